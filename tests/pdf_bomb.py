"""A small PDF whose one 5000x5000 picture is drawn N times (python tests/pdf_bomb.py N: its import's peak memory)."""
import sys
import zlib


def peak_megabytes() -> float:
    """This process's peak resident size since it started (VmHWM: Linux's ru_maxrss keeps the peak of the process
    that forked it, a test worker of hundreds of MB, across exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def bomb_pdf(draws: int, side: int = 5000, distinct: int = 1) -> bytes:
    """One page drawing ``draws`` times each of ``distinct`` pictures of ``side`` x ``side`` pixels."""
    pictures = [zlib.compress(bytes([shade]) * (side * side * 3), 9) for shade in range(distinct)]
    ops = ["BT /F1 14 Tf 40 800 Td (Issue 1 Newsletter) Tj ET"]
    for k in range(draws * distinct):
        x, y = 20 + (k % 10) * 50, 100 + (k // 10) * 50
        ops.append(f"q 40 0 0 40 {x} {y} cm /Im{k % distinct} Do Q")
    content = "\n".join(ops).encode()
    names = " ".join(f"/Im{n} {6 + n} 0 R" for n in range(distinct))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> "
        b"/XObject << " + names.encode() + b" >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
    ] + [(f"<< /Type /XObject /Subtype /Image /Width {side} /Height {side} /ColorSpace /DeviceRGB "
          f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(raw)} >>\nstream\n").encode() + raw + b"\nendstream"
         for raw in pictures]
    return pdf_of(objects)


def pdf_of(objects: list[bytes]) -> bytes:
    """A PDF file of ``objects`` (numbered from 1; the first the catalog), with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


if __name__ == "__main__":
    import time

    from wechat_pub.source.pdf import read_pdf
    n = int(sys.argv[1])
    data = bomb_pdf(n)
    t = time.time()
    try:
        result = read_pdf(data, "bomb.pdf")
        outcome = f"{len(result.images)} image(s) kept; skipped: {result.skipped_images[:2]}"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    peak = peak_megabytes()
    print(f"draws={n} pdf={len(data)/1024:.0f} KB peak RSS={peak:.0f} MB time={time.time()-t:.1f}s -> {outcome}")
