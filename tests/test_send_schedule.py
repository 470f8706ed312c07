"""What a scheduled issue does at its time, in words and in deed (issue 23): `deliver: send` sends it once at
its time; `schedule list`, `status` and `schedule add` say what will happen; an older config's
`schedule.publish = true` is still read, with a note; a send or a mark by hand clears the pending schedule."""

from __future__ import annotations

import requests
from test_scheduler import Running, days_ahead, passed, site  # noqa: F401 (site: the fixture)

from conftest import open_site


def add_front_matter(path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace("---\n\n#", f"{line}\n---\n\n#", 1), encoding="utf-8")


def mass(sandbox) -> list[dict]:
    return [e for e in requests.get(f"{sandbox.url}/sandbox/api/mass", timeout=10).json()["mass"] if not e["preview"]]


def test_deliver_send_sends_once_at_its_time(site, sandbox):  # noqa: F811
    path = site / "articles" / "issue-135.md"
    add_front_matter(path, "deliver: send")
    passed(path, 5)  # its time came a moment ago, within grace
    service = Running(site)
    try:
        done = service.wait_for("done", timeout=60)
    finally:
        service.stop()
    assert "sent to all followers (msg_id" in done
    assert len(mass(sandbox)) == 1
    service = Running(site)  # a restart does not send it again
    try:
        service.service.sync(force=True)
    finally:
        service.stop()
    assert len(mass(sandbox)) == 1


def test_the_schedule_says_what_will_happen(site, run_cli, fake_clock):  # noqa: F811
    path = site / "articles" / "issue-135.md"
    add_front_matter(path, "deliver: send\nsend_to_tag: 2")
    tuesday = days_ahead(fake_clock, 3, "09:00")
    added = run_cli("schedule", "add", path, "--at", tuesday, clock=fake_clock).stdout
    assert "send to followers with tag 2 at " in added and tuesday in added
    listed = run_cli("schedule", "list", clock=fake_clock).stdout
    assert "send to followers with tag 2 at " in listed and tuesday in listed
    assert "scheduled: send to followers with tag 2 at" in run_cli("status", clock=fake_clock).stdout


def test_an_old_config_publish_true_is_read_with_a_note(site, run_cli, fake_clock):  # noqa: F811
    with open(site / "config.toml", "a", encoding="utf-8") as handle:
        handle.write("")
    text = (site / "config.toml").read_text()
    (site / "config.toml").write_text(text.replace("\n[schedule]\n", "\n[schedule]\npublish = true\n", 1))
    assert open_site(site).schedule.deliver == "publish"
    run_cli("schedule", "add", site / "articles" / "issue-135.md", "--at", days_ahead(fake_clock, 1, "09:00"),
            clock=fake_clock)
    listed = run_cli("schedule", "list", clock=fake_clock)
    assert 'read as schedule.deliver = "publish"' in listed.stderr
    assert "publish (no follower is told) at" in listed.stdout


def test_marking_sent_by_hand_clears_the_schedule_and_says_so(site, run_cli, fake_clock):  # noqa: F811
    path = site / "articles" / "issue-135.md"
    run_cli("schedule", "add", path, "--at", days_ahead(fake_clock, 2, "09:00"), clock=fake_clock)
    marked = run_cli("mark-sent", path, "--url", "https://mp.weixin.qq.com/s/x", clock=fake_clock).stdout
    assert "its schedule" in marked and "was cleared: it was sent by hand" in marked
    assert "publish_at" not in path.read_text()
    assert "nothing scheduled" in run_cli("schedule", "list", clock=fake_clock).stdout


def test_publishing_by_hand_clears_the_schedule_and_says_so(site, run_cli, fake_clock):  # noqa: F811
    path = site / "articles" / "issue-135.md"
    run_cli("schedule", "add", path, "--at", days_ahead(fake_clock, 2, "09:00"), clock=fake_clock)
    published = run_cli("push", path, "--publish", clock=fake_clock).stdout
    assert "was cleared: it was published by hand" in published
    assert "publish_at" not in path.read_text()


def test_an_editors_schedule_does_not_publish_or_send_without_an_approver(site, sandbox):  # noqa: F811
    """Issue 21's review: an editor (who may not publish or send by hand) published by scheduling. The issue's
    text was last changed in the console by an editor: at its time it becomes a draft, and says why."""
    open_site(site).services.users.add("ed1", "editor", "a long enough password")
    path = site / "articles" / "issue-135.md"
    add_front_matter(path, "deliver: send")
    passed(path, 5)
    text = path.read_text(encoding="utf-8")
    library = open_site(site).library
    library.sync()
    row = library.row(135)
    library.save(row.filename, text + "\n", row.version, "ed1")  # the editor's save, from the console
    service = Running(site)
    try:
        done = service.wait_for("done", timeout=60)
    finally:
        service.stop()
    assert "only, not send to all followers: ed1 (an editor) last changed it" in done
    assert mass(sandbox) == []
