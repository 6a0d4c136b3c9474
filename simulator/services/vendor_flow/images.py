"""The one image check: every image the simulator decodes (uploaded selfies, fetched reference images,
the sample images of scenario files) passes `check_image` with explicit limits.

    verdict          when                                        upload (storage PUT)         reference fetch
    ok               an allowed format (JPEG, PNG, WebP), in limits  200                          planned verdict
    too_many_bytes   more bytes than the cap                     400 EntityTooLarge (S3)      too_large
    too_many_pixels  width x height over the pixel cap           413 IMAGE_TOO_LARGE          too_large
    not_allowed      an image of a format that is not allowed    422 INVALID_UPLOAD_ARTIFACT  not_image
    undecodable      anything else the decoder refuses           422 INVALID_UPLOAD_ARTIFACT  not_image
                     (not an image, truncated, corrupt, …)

The pixel cap (default 24 million, a 6000 x 4000 photo) sits far below Pillow's decompression-bomb
threshold (about 89 million pixels warns, twice that raises), so a small file that declares a huge
canvas is refused from its header, before anything is decoded; the whole image is then decoded (JPEG at
1/8 scale) so a truncated or corrupt body is caught too. The vendor publishes no format or size limits
for selfies or reference images (vendor-notes.md §5 item 7, §1.5 P1); the defaults are the simulator's.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, UnidentifiedImageError

from simulator.settings import Settings

MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
DEFAULT_FORMATS = ("JPEG", "PNG", "WEBP")
DEFAULT_MAX_PIXELS = 24_000_000


class Verdict(StrEnum):
    OK = "ok"
    TOO_MANY_BYTES = "too_many_bytes"
    TOO_MANY_PIXELS = "too_many_pixels"
    NOT_ALLOWED = "not_allowed"
    UNDECODABLE = "undecodable"


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """What an image may be: at most `max_bytes` bytes, `max_pixels` pixels (width x height), and one of
    `formats` (Pillow format names, a subset of JPEG, PNG, WEBP)."""

    max_bytes: int
    max_pixels: int = DEFAULT_MAX_PIXELS
    formats: tuple[str, ...] = DEFAULT_FORMATS


@dataclass(frozen=True, slots=True)
class ImageCheck:
    """The outcome of `check_image`: the verdict, the MIME type when ok, and a sentence saying why not."""

    verdict: Verdict
    content_type: str | None = None
    detail: str = ""
    width: int = 0
    height: int = 0

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK

    @property
    def too_large(self) -> bool:
        return self.verdict in (Verdict.TOO_MANY_BYTES, Verdict.TOO_MANY_PIXELS)


def upload_limits(settings: Settings) -> ImageLimits:
    """The limits of an uploaded selfie (the upload byte cap, the image pixel cap and formats)."""
    return ImageLimits(settings.upload_max_bytes, settings.image_max_pixels, tuple(settings.image_formats))


def reference_limits(settings: Settings) -> ImageLimits:
    """The limits of a fetched reference image (the reference byte cap, the image pixel cap and formats)."""
    return ImageLimits(settings.reference_max_bytes, settings.image_max_pixels, tuple(settings.image_formats))


def _names(formats: tuple[str, ...] | list[str]) -> str:
    names = ["WebP" if f == "WEBP" else f for f in formats]
    return " or ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))


def check_image(data: bytes, limits: ImageLimits) -> ImageCheck:
    """Judge `data` against `limits`; never raises, whatever the bytes (every decoder failure, including
    Pillow's DecompressionBombError/Warning and MemoryError, becomes `UNDECODABLE` or `TOO_MANY_PIXELS`)."""
    if len(data) > limits.max_bytes:
        return ImageCheck(Verdict.TOO_MANY_BYTES, detail=f"larger than the {limits.max_bytes}-byte cap")
    formats = [f for f in limits.formats if f in MIME_TYPES]
    try:
        with warnings.catch_warnings():
            # Our pixel cap is checked below, from the header; Pillow's own (higher) one must not raise
            # a warning that pytest or a -W error interpreter turns into an exception.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as image:
                kind, (width, height) = image.format or "", image.size
                if kind not in formats:
                    return ImageCheck(Verdict.NOT_ALLOWED, detail=f"a {kind} image; allowed: {_names(formats)}")
                if width * height > limits.max_pixels:
                    return ImageCheck(
                        Verdict.TOO_MANY_PIXELS,
                        detail=f"{width}x{height} pixels is more than the {limits.max_pixels}-pixel cap",
                        width=width,
                        height=height,
                    )
                if kind == "JPEG":
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
    except Image.DecompressionBombError:
        detail = f"declares more pixels than the {limits.max_pixels}-pixel cap"
        return ImageCheck(Verdict.TOO_MANY_PIXELS, detail=detail)
    except UnidentifiedImageError:
        return ImageCheck(Verdict.UNDECODABLE, detail=f"not a {_names(formats)} image")
    except Exception as exc:  # any failure of the decoder on untrusted bytes is "undecodable"
        return ImageCheck(Verdict.UNDECODABLE, detail=f"not a readable {_names(formats)} image ({_why(exc)})")
    return ImageCheck(Verdict.OK, MIME_TYPES[kind], width=width, height=height)


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__
