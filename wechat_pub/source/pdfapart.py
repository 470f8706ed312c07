"""Reading a PDF received from outside in a process of its own, with a memory and a time limit. A PDF can hide work
and memory out of all proportion to its size (packed streams under any filter, pages, fonts) in more ways than a
check before reading catches, and the process that imports it also answers the followers and runs the schedule:
there, a PDF that needs more than a newsletter ever does is refused, and nothing else waits on it.

    python -m wechat_pub.source.pdfapart NAME MEMORY_BYTES < FILE.pdf    # (what read_pdf_apart runs)
"""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys

from wechat_pub.source.pdf import PdfText, PdfUnreadable, read_pdf

log = logging.getLogger(__name__)

MEMORY_LIMIT = 2 * 1024**3  # bytes of address space the reading process may take (a newsletter needs a few hundred MB)
TIME_LIMIT = 180.0  # seconds it may take (a newsletter takes a few)
_OUT_OF_MEMORY = 3  # the reading process's exit status when its memory ran out
_AGAIN = "Export or print the newsletter to PDF again, then import that file."


def read_pdf_apart(data: bytes, name: str, memory: int | None = None) -> PdfText:
    """:func:`wechat_pub.source.pdf.read_pdf` in a process of its own (``memory``: its limit, default
    :data:`MEMORY_LIMIT`); :class:`PdfUnreadable` when it refuses the PDF, or the PDF needs more than the limits."""
    command = [sys.executable, "-m", "wechat_pub.source.pdfapart", name, str(memory or MEMORY_LIMIT)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        raise PdfUnreadable(f"{name} took over {int(TIME_LIMIT)} seconds to read, far longer than a newsletter; it "
                            "was not read.", _AGAIN) from None
    if done.returncode == _OUT_OF_MEMORY or done.returncode < 0:  # (< 0: killed, e.g. by the kernel for memory)
        raise PdfUnreadable(f"{name} needs more memory to read than any newsletter; it was not read.", _AGAIN)
    if done.returncode != 0:
        log.error("reading %s in its own process failed: %s", name, done.stderr.decode("utf-8", "replace")[-2000:])
        raise PdfUnreadable(f"{name} could not be read (the reading stopped with an error).", _AGAIN)
    answer = pickle.loads(done.stdout)  # (our own child's answer: PdfText, or why it refused)
    if answer[0] == "refused":
        raise PdfUnreadable(answer[1], answer[2])
    return answer[1]


def main() -> None:
    import resource

    name, memory = sys.argv[1], int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    data = sys.stdin.buffer.read()
    try:
        answer = ("read", read_pdf(data, name))
    except PdfUnreadable as exc:
        answer = ("refused", exc.message, exc.hint)
    except MemoryError:
        sys.exit(_OUT_OF_MEMORY)
    sys.stdout.buffer.write(pickle.dumps(answer))


if __name__ == "__main__":
    main()
