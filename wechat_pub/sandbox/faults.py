"""Faults the sandbox can inject, as `wechat-pub sandbox --fault ENDPOINT=KIND[:TIMES]` writes them."""

from __future__ import annotations

from wechat_pub.errors import UsageError

KINDS = ("expired_token", "invalid_token", "busy", "quota", "minute_quota", "slow", "drop", "drop_after", "errcode:N")


def parse_fault(text: str) -> tuple[str, str, int]:
    """'draft/add=busy:2' -> ('draft/add', 'busy', 2); 'x=errcode:40164' -> ('x', 'errcode:40164', 1)."""
    endpoint, _, spec = text.partition("=")
    parts = spec.split(":")
    times = 1
    if len(parts) > (2 if parts[0] == "errcode" else 1):
        last = parts.pop()
        times = int(last) if last.isdigit() else 0
    if not endpoint or not parts[0] or times < 1:
        raise UsageError(f"--fault {text!r}: write ENDPOINT=KIND[:TIMES], e.g. draft/add=busy:2 "
                         f"(kinds: {', '.join(KINDS)}).")
    return endpoint, ":".join(parts), times
