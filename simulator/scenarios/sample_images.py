"""The sample selfies that ship with the scenarios: drawn with Pillow, no real faces.

Each magic image is a placeholder portrait (a flat background, an outline of a head, the scenario's
name) whose exact bytes select its scenario. The shipped files are checked in; this draws missing ones:

    python -m simulator.scenarios.sample_images            # into simulator/scenarios/builtin/images
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw

from simulator.scenarios.loader import BUILTIN_DIR

SIZE = (240, 320)
SAMPLES: dict[str, tuple[int, int, int]] = {
    "selfie-spoof.jpg": (176, 64, 64),
    "selfie-retry-then-pass.jpg": (200, 150, 60),
    "selfie-slow.jpg": (90, 120, 170),
    "selfie-attempts-exhausted.jpg": (120, 80, 150),
    "selfie-system-error.jpg": (70, 70, 70),
}


def draw(label: str, background: tuple[int, int, int]) -> bytes:
    """A placeholder portrait: a head and shoulders outline and `label`, as JPEG bytes."""
    image = Image.new("RGB", SIZE, background)
    pen = ImageDraw.Draw(image)
    skin, line = (236, 206, 180), (40, 40, 40)
    pen.ellipse((70, 60, 170, 180), fill=skin, outline=line, width=3)
    pen.ellipse((97, 105, 109, 117), fill=line)
    pen.ellipse((131, 105, 143, 117), fill=line)
    pen.arc((100, 125, 140, 160), start=20, end=160, fill=line, width=3)
    pen.pieslice((30, 190, 210, 380), start=180, end=360, fill=skin, outline=line, width=3)
    pen.rectangle((0, 290, SIZE[0], SIZE[1]), fill=(255, 255, 255))
    pen.text((8, 298), label, fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def write_missing(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, background in SAMPLES.items():
        target = directory / name
        if not target.exists():
            target.write_bytes(draw(name.removesuffix(".jpg"), background))
            written.append(target)
    return written


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else BUILTIN_DIR / "images"
    for path in write_missing(out):
        print(path)
