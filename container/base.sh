#!/bin/sh
# Build the container base image offline-from-registries: debootstrap Debian (python3 + venv) from the
# Debian mirror apt already uses, and import the folder as an image. Needs root, debootstrap and buildah.
#   container/base.sh [IMAGE] [ROOTFS_DIR]
set -eu
IMAGE=${1:-localhost/onekyc-sim-base:bookworm}
ROOTFS=${2:-build/base-rootfs}
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-$(sed -n 's/^URIs: *//p; s/^deb \(http[^ ]*debian\) .*/\1/p' /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list 2>/dev/null | grep -v security | head -n 1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
BUILDAH=${BUILDAH:-buildah --storage-driver vfs}

if [ ! -x "$ROOTFS/usr/bin/python3" ]; then
  rm -rf "$ROOTFS"
  mkdir -p "$(dirname "$ROOTFS")"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates "$SUITE" "$ROOTFS" "$MIRROR"
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/usr/share/doc/* \
    "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/locale/*
fi
tar -C "$ROOTFS" -cf "$ROOTFS.tar" .
ctr=$($BUILDAH from scratch)
$BUILDAH add "$ctr" "$ROOTFS.tar" /
$BUILDAH config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/sh "$ctr"
$BUILDAH commit --rm "$ctr" "$IMAGE"
rm -f "$ROOTFS.tar"
echo "base image: $IMAGE"
