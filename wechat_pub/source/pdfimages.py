"""The pictures of a newsletter PDF, as images WeChat takes: charts and photos kept, decoration left out.

pypdfium2 decodes each image object as the PDF holds it (whatever its filter); it is saved as PNG, or as JPEG when a
PNG would pass WeChat's 1 MB for an image in an article. A picture that repeats (the same pixels more than once: a
logo on every page) or is tiny (a rule, a bullet) is decoration: left out, and said so in the review.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass

from wechat_pub.limits import UPLOADIMG_MAX_BYTES

TINY = 32  # pixels: a narrower or lower picture is a rule, a bullet or a spacer
MAX_PIXELS = 25_000_000  # more is not a newsletter's chart, and would take the memory of a small server
SAME_PLACE = 3.0  # points: how far pdfplumber's and pdfium's idea of a picture's box may differ


@dataclass(frozen=True)
class PdfImage:
    data: bytes
    kind: str  # "PNG" or "JPEG"
    width: int
    height: int
    page: int


Place = tuple[float, float, float, float]  # x0, top, x1, bottom, in points from the page's top left


def page_images(data: bytes, places: dict[int, list[Place]]) -> tuple[dict[tuple, PdfImage], list[str]]:
    """The pictures at ``places`` (page number -> boxes), keyed ("picture", page, index); and what was left out."""
    import pypdfium2

    if not any(places.values()):
        return {}, []
    pictures: dict[tuple, object] = {}
    skipped: list[str] = []
    document = pypdfium2.PdfDocument(data)
    try:
        for number, boxes in places.items():
            if boxes:
                pictures.update(_decode_page(document[number - 1], number, boxes, skipped))
    finally:
        document.close()
    return _keep_unrepeated(pictures, skipped)


def _decode_page(page, number: int, boxes: list[Place], skipped: list[str]) -> dict[tuple, object]:
    import pypdfium2.raw as pdfium

    height = page.get_height()
    objects = []
    for found in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = found.get_bounds()
        objects.append(((left, height - top, right, height - bottom), found))
    decoded = {}
    for index, box in enumerate(boxes):
        match = next((o for place, o in objects if all(abs(a - b) <= SAME_PLACE for a, b in zip(place, box))), None)
        if match is None:
            continue
        width, tall = match.get_px_size()
        if width < TINY or tall < TINY:
            continue  # a rule or bullet: not worth a line in the review
        if width * tall > MAX_PIXELS:
            skipped.append(f"page {number}: a picture of {width}×{tall} pixels is too large to import; "
                           "export it separately and add it by hand")
            continue
        try:
            decoded[("picture", number, index)] = match.get_bitmap(render=False).to_pil()
        except Exception as exc:  # pdfium's errors have no common base; one bad picture must not stop the rest
            skipped.append(f"page {number}: a picture could not be decoded ({type(exc).__name__}); add it by hand")
    return decoded


def _keep_unrepeated(pictures: dict[tuple, object], skipped: list[str]) -> tuple[dict[tuple, PdfImage], list[str]]:
    seen: dict[str, list[tuple]] = defaultdict(list)
    for key, picture in pictures.items():
        seen[hashlib.sha256(picture.tobytes() + repr(picture.size).encode()).hexdigest()].append(key)
    kept = {}
    for keys in seen.values():
        picture = pictures[keys[0]]
        if len(keys) > 1:
            pages = ", ".join(str(page) for page in sorted({key[1] for key in keys}))
            skipped.append(f"a picture of {picture.size[0]}×{picture.size[1]} pixels repeated {len(keys)} times "
                           f"(page(s) {pages}) was left out as decoration (a logo?)")
            continue
        kept[keys[0]] = encode(picture, keys[0][1])
    return kept, skipped


def encode(picture, page: int) -> PdfImage:
    """The picture as PNG, or as JPEG (made smaller as needed) when a PNG would pass WeChat's 1 MB."""
    if picture.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        picture = picture.convert("RGB")
    data, kind = _save(picture, "PNG"), "PNG"
    while len(data) >= UPLOADIMG_MAX_BYTES:
        picture = picture.convert("RGB")
        data, kind = _save(picture, "JPEG"), "JPEG"
        if len(data) >= UPLOADIMG_MAX_BYTES:
            picture = picture.resize((max(1, picture.width * 3 // 4), max(1, picture.height * 3 // 4)))
    return PdfImage(data, kind, picture.width, picture.height, page)


def _save(picture, kind: str) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, kind, **({"quality": 85} if kind == "JPEG" else {"optimize": True}))
    return buffer.getvalue()
