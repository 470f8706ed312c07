"""What the commands print: two consoles (results on stdout, progress and errors on stderr) and the reports
several commands share."""

from __future__ import annotations


class _Console:
    """A rich Console made when first used: importing rich is 20 ms of every command's start, and the command run
    most often, the webhook's `wechat-pub index` after each change, prints one plain line."""

    def __init__(self, **options):
        self._options = options
        self._made = None

    def __getattr__(self, name: str):
        if self._made is None:
            from rich.console import Console

            self._made = Console(**self._options)
        return getattr(self._made, name)


def rx(text: str) -> str:
    """``text`` with rich's markup escaped (a file name with [brackets] printed as it is)."""
    from rich.markup import escape

    return escape(text)


out = _Console(highlight=False, soft_wrap=True)
err = _Console(stderr=True, highlight=False, soft_wrap=True)

__all__ = ["out", "err", "rx", "print_report", "print_push", "print_rows"]


def print_report(report) -> None:
    """One file's `check` report: its problems with file:line and what to do, and how it fits WeChat."""
    status = "[red]✗[/]" if report.errors else ("[yellow]![/]" if report.warnings else "[green]✓[/]")
    out.print(f"{status} [bold]{rx(report.path)}[/]", markup=True)
    for problem in report.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        out.print(f"  [{colour}]{problem.severity}[/] {rx(str(problem.pos or report.path))}: "
                  f"{rx(problem.message)}", markup=True)
        if problem.hint:
            out.print(f"      [dim]→ {rx(problem.hint)}[/]", markup=True)
    if report.rendered:
        out.print(f"  {rx(report.rendered.split_summary)}")
        for article in report.rendered.articles:
            size = len(article.content)
            out.print(f"  article {article.part.index}: {rx(repr(article.title))} ({len(article.title)}/32), "
                      f"{size:,} characters, {len(article.content.encode()):,} bytes")


PUSH_VERBS = {"created": "created draft", "updated": "updated draft", "unchanged": "unchanged; draft",
              "replaced": "replaced the draft with", "recreated": "created new draft",
              "published-already": "already published from draft",
              "publishing-already": "already being published (its answer was lost) from draft"}


def print_push(outcome, account: str, sandbox_url: str = "", started_here: bool = False) -> None:
    """What a push did, to ``account`` (its label); ``sandbox_url``: the sandbox's when the account is the sandbox's
    (``started_here``: for this command only)."""
    out.print(f"issue {outcome.issue} → {rx(account)}: {PUSH_VERBS[outcome.action]} [bold]{outcome.media_id}[/] "
              f"({outcome.articles} article(s))", markup=True)
    out.print(f"  images: {outcome.uploaded} uploaded, {outcome.cached} from the upload cache; cover: {outcome.cover}")
    for note in outcome.notes:
        out.print(f"  [yellow]note:[/] {rx(note)}", markup=True)
    if outcome.wechat_changes:
        out.print(f"  [yellow]WeChat changed what was sent[/] ({len(outcome.wechat_changes)}):", markup=True)
        for change in outcome.wechat_changes[:12]:
            out.print(f"    {rx(change)}")
    if outcome.publish_id:
        out.print(f"  publish job {outcome.publish_id}: " + (", ".join(outcome.article_urls) if outcome.article_urls
                                                              else "publishing; `wechat-pub status` shows the result"))
    if sandbox_url and not outcome.publish_id and not outcome.action.endswith("-already"):
        out.print(f"  draft page: {sandbox_url}/sandbox/drafts/{outcome.media_id}")
        if started_here:
            out.print("  (the sandbox ran for this command only; `wechat-pub sandbox` serves that page)")


def print_rows(rows, colours: dict[str, str]) -> None:
    """Rows of (issue, state, path, details), as `status` and `schedule list` show them."""
    for issue, state, path, details in rows:
        colour = colours.get(state, "default")
        out.print(f"{issue:>4}  [{colour}]{state:<10}[/] {rx(path)}", markup=True)
        if details:
            out.print(f"      {rx(details)}", markup=True)
