"""The pictures of a newsletter PDF, as images WeChat takes: charts and photos kept, decoration left out.

pypdfium2 decodes each image object as the PDF holds it (whatever its filter); it is saved as PNG, or as JPEG when a
PNG would pass WeChat's 1 MB for an image in an article. A picture that repeats (the same pixels more than once: a
logo on every page) or is tiny (a rule, a bullet) is decoration: left out, and said so in the review.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zlib
from collections import defaultdict
from dataclasses import dataclass

from wechat_pub.limits import UPLOADIMG_MAX_BYTES

TINY = 32  # pixels: a narrower or lower picture is a rule, a bullet or a spacer
MAX_PIXELS = 25_000_000  # more is not a newsletter's chart, and would take the memory of a small server
MAX_PDF_PIXELS = 10 * MAX_PIXELS  # decoded for one PDF at most (a newsletter's charts are a few million each)
MAX_DRAWS = 1000  # pictures drawn that one PDF decodes at most (an import writes 60; a logo is drawn on each page)
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
    found = _Pictures()
    document = pypdfium2.PdfDocument(data)
    try:
        for number, boxes in places.items():
            if boxes:
                _read_page(document[number - 1], number, boxes, found)
    finally:
        document.close()
    return found.unrepeated()


class _Pictures:
    """The pictures found so far, each kept encoded, its pixels dropped (a PDF is written by whoever may import
    one: a few kilobytes can draw one large picture a thousand times, or hold a picture larger than it says). Every
    draw is decoded, one at a time (two draws of the same stream may still differ: another /Decode, mask or
    palette), against a budget of pixels and of draws for the PDF, each picture's real size read first."""

    def __init__(self):
        self.places: dict[str, list[tuple]] = defaultdict(list)  # the pixels' hash -> where the picture is drawn
        self.encoded: dict[str, PdfImage] = {}  # the pixels' hash -> the picture, encoded once
        self.pixels_left = MAX_PDF_PIXELS
        self.draws_left = MAX_DRAWS
        self.skipped: list[str] = []

    def add(self, key: tuple, image) -> None:
        size = _real_size(image)
        if size is None:
            self.skipped.append(f"page {key[1]}: a picture whose data is not what the PDF says it is was left out; "
                                "export it separately and add it by hand")
            return
        width, tall = size
        if width * tall > MAX_PIXELS:
            self.skipped.append(f"page {key[1]}: a picture of {width}×{tall} pixels is too large to import; "
                                "export it separately and add it by hand")
            return
        if width * tall > self.pixels_left or not self.draws_left:
            self.skipped.append(f"page {key[1]}: a picture was left out: the PDF's pictures are too many or too "
                                "large to import at once; add it by hand")
            return
        self.pixels_left -= width * tall
        self.draws_left -= 1
        picture = image.get_bitmap(render=False).to_pil()
        pixels = hashlib.sha256(picture.tobytes() + repr(picture.size).encode()).hexdigest()
        self.places[pixels].append(key)
        if pixels not in self.encoded:
            self.encoded[pixels] = encode(picture, key[1])

    def unrepeated(self) -> tuple[dict[tuple, PdfImage], list[str]]:
        kept = {}
        for pixels, keys in self.places.items():
            picture = self.encoded[pixels]
            if len(keys) > 1:
                pages = ", ".join(str(page) for page in sorted({key[1] for key in keys}))
                self.skipped.append(f"a picture of {picture.width}×{picture.height} pixels repeated {len(keys)} "
                                    f"times (page(s) {pages}) was left out as decoration (a logo?)")
                continue
            kept[keys[0]] = picture
        return kept, self.skipped


def _real_size(image) -> tuple[int, int] | None:
    """The picture's size as decoding would make it: a JPEG's or JPEG 2000's own header says it (pdfium decodes
    those at their own size, whatever the PDF's dictionary declares); the larger of the two counts. A codec's
    data packed in Flate is unpacked only as far as a sane picture of that size could go (a megabyte of PDF can
    unpack to a gigabyte, which pdfium would unpack whole, for every draw). None: not to be decoded at all."""
    from PIL import Image

    width, tall = image.get_px_size()
    filters = list(image.get_filters())
    if not {"DCTDecode", "JPXDecode"} & set(filters):
        return width, tall
    try:
        raw = bytes(image.get_data(decode_simple=False))
        with warnings.catch_warnings():  # (a large size is what is being found out: said by the caller)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(_unpacked_head(raw, filters[:-1]))) as header:  # (its header only)
                width, tall = max(width, header.width), max(tall, header.height)
        if filters[:-1]:
            _unpacks_within(raw, 3 * width * tall + (1 << 20))
    except Exception:  # unreadable, packed beyond reason, or a bomb: left out (None)
        return None
    return width, tall


HEAD = 256 * 1024  # bytes of a JPEG or JPEG 2000 stream enough for its header


def _unpacked_head(raw: bytes, packing: list[str]) -> bytes:
    """The first bytes of an image codec's data under ``packing`` (Flate, or nothing; anything else: refused)."""
    if not packing:
        return raw[:HEAD]
    if packing != ["FlateDecode"]:
        raise ValueError(f"image data packed as {packing}")
    return zlib.decompressobj().decompress(raw, HEAD)


def _unpacks_within(raw: bytes, limit: int) -> None:
    """Raise ValueError when Flate ``raw`` unpacks to more than ``limit`` bytes (checked a piece at a time)."""
    unpacker, total = zlib.decompressobj(), 0
    while raw and total <= limit:
        total += len(unpacker.decompress(raw, 1 << 20))
        raw = unpacker.unconsumed_tail
    if total > limit:
        raise ValueError("packed data unpacks beyond its picture's size")


def _read_page(page, number: int, boxes: list[Place], found: _Pictures) -> None:
    import pypdfium2.raw as pdfium

    height = page.get_height()
    at: dict[tuple[int, int], list] = defaultdict(list)  # the page's pictures by where they are (a grid of boxes)
    for count, image in enumerate(page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE], max_depth=3)):
        if count == MAX_DRAWS:
            found.skipped.append(f"page {number}: more than {MAX_DRAWS} pictures; the rest were left out")
            break
        left, bottom, right, top = image.get_bounds()
        place = (left, height - top, right, height - bottom)
        at[_cell(place)].append((place, image))
    for index, box in enumerate(boxes):
        x, y = _cell(box)
        near = (entry for dx in (-1, 0, 1) for dy in (-1, 0, 1) for entry in at.get((x + dx, y + dy), ()))
        match = next((o for place, o in near if all(abs(a - b) <= SAME_PLACE for a, b in zip(place, box))), None)
        if match is None:
            continue
        width, tall = match.get_px_size()
        if width < TINY or tall < TINY:
            continue  # a rule or bullet: not worth a line in the review
        try:
            found.add(("picture", number, index), match)
        except Exception as exc:  # pdfium's errors have no common base; one bad picture must not stop the rest
            found.skipped.append(f"page {number}: a picture could not be decoded ({type(exc).__name__}); add it by "
                                 "hand")


def _cell(place: Place) -> tuple[int, int]:
    return int(place[0] // SAME_PLACE), int(place[1] // SAME_PLACE)


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
