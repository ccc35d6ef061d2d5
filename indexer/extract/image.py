"""Scanned images (PNG, JPEG, TIFF) read by OCR (:mod:`indexer.extract.ocr`).

Every frame of a multi-page TIFF is a page. The image's size is checked before it is decoded
(a decompression bomb is refused with its size, not found out by running out of memory), and
an image that cannot be decoded fails with a reason a person can act on.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from indexer.extract import Extracted, ExtractionError, ocr
from indexer.extract.pdf import clean_cjk

if TYPE_CHECKING:
    from PIL.Image import Image

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


def extract_image(data: bytes, suffix: str) -> Extracted:
    """The text of a scanned image (PNG, JPEG, TIFF; every frame of a multi-page TIFF)."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    PILImage.MAX_IMAGE_PIXELS = ocr.MAX_PIXELS  # Pillow refuses twice as many itself
    try:
        with warnings.catch_warnings():  # between 1x and 2x: refused below, with its size
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            image = PILImage.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise ExtractionError(f"not a readable {suffix[1:].upper()} image") from exc
    except PILImage.DecompressionBombError as exc:
        raise ExtractionError(f"image is over the limit of {ocr.MAX_PIXELS:,} pixels") from exc
    width, height = image.size
    if width * height > ocr.MAX_PIXELS:
        raise ExtractionError(
            f"image is {width:,}×{height:,} pixels, over the limit of {ocr.MAX_PIXELS:,}"
        )
    reader = ocr.engine()
    if reader is None:
        raise ExtractionError(
            "image needs OCR, which is off or not installed (pip install rapidocr-onnxruntime)"
        )
    total = getattr(image, "n_frames", 1)

    def frames() -> Iterator[Image]:
        for index in range(min(total, ocr.MAX_PAGES)):
            try:
                image.seek(index)
                frame = image.convert("RGB")  # decodes: damage shows here
            except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's kinds
                raise ExtractionError(f"image is damaged or truncated ({exc})") from exc
            yield frame

    result = ocr.read_pages(frames(), total, reader)
    text = clean_cjk(result.text)
    if not text.strip():
        raise ExtractionError("no text found in the image by OCR")
    return Extracted(
        text, IMAGE_TYPES.get(suffix, "image/png"), "ocr", {"pages": total, **result.extra()}
    )


def image_extractor(suffix: str) -> Callable[[bytes], Extracted]:
    """The extractor of image files with ``suffix`` (for :data:`indexer.extract.EXTRACTORS`)."""

    def extract(data: bytes) -> Extracted:
        return extract_image(data, suffix)

    return extract
