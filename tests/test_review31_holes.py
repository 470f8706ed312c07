"""Review 31: a newcomer and an operator follow the README word for word (a fresh clone, a new virtualenv, the
firm's two accounts 立方律师事务所 and 竞争法视界, then PostgreSQL and Redis). Each test fails on the code as
committed (1ae2b95) and passes once the hole is closed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid

import pytest
from test_accounts import ISSUE_7, SECOND

from conftest import POSTGRES_URL, ROOT, SEED_ARTICLE, postgres_schema_url, use_database

# ---- Medium: moving a running deployment to PostgreSQL, as "Running on PostgreSQL and Redis" says ------------------


@pytest.mark.parametrize("target", ["sqlite-elsewhere", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_pointing_an_existing_deployment_at_a_new_state_database_does_not_push_a_second_draft_silently(
        sandbox_dir, sandbox, run_cli, tmp_path, target):
    """README "Running on PostgreSQL and Redis" tells the operator of a deployment that grew to several hosts to
    `export WECHAT_PUB_STATE__DATABASE_URL=postgresql://...` and nothing else. Everything the deployment recorded
    until then stays in state/state.sqlite3, unread and unmentioned: the pushes (draft ids), publishes and sends,
    the console's users, the schedule's runs. Done on the clone: `status` then calls the published issue 136
    "not pushed", followers stop finding it, the admin is gone, and the next `wechat-pub push` of the issue makes a
    SECOND draft in the account's draft box ("Pushing again never makes a second draft"), uploading its images
    again. No command (push, status, doctor, run) says that state/state.sqlite3 holds the deployment's records
    and the new database is empty, and the README gives no step to carry them over. Expected: the push that would
    make a new draft for an issue recorded only in the left-behind SQLite file refuses or at least says so
    (naming state/state.sqlite3), instead of silently duplicating the draft."""
    (sandbox_dir / "articles").mkdir(exist_ok=True)
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles" / "issue-135.md")
    first = run_cli("push", "articles/issue-135.md")
    assert "created draft" in first.stdout
    assert (sandbox_dir / "state" / "state.sqlite3").exists()
    new_url = f"sqlite:///{tmp_path / 'elsewhere' / 'state.sqlite3'}" if target == "sqlite-elsewhere" else (
        postgres_schema_url(POSTGRES_URL) if POSTGRES_URL else pytest.skip("no PostgreSQL"))
    (tmp_path / "elsewhere").mkdir(exist_ok=True)
    with open(sandbox_dir / "config.toml", "a", encoding="utf-8") as handle:  # the README's one step
        handle.write(f"\n[state]\ndatabase_url = \"{new_url}\"\n")
    sandbox.reset_calls()
    second = run_cli("push", "articles/issue-135.md", expect=ANY_EXIT)  # refusing (exit 1) or saying why: both fix it
    said = second.stdout + second.stderr
    made_another = sandbox.calls().get("draft/add", 0)
    assert made_another == 0 or "state.sqlite3" in said, (
        f"a second draft of issue 135 was made without a word about state/state.sqlite3:\n{said}")
    assert made_another == 0 and second.exit_code != 0 and "db copy" in said, said  # refused, saying what to do
    copied = run_cli("db", "copy", "state/state.sqlite3").stdout  # the step the README gives
    assert "pushes 1" in copied, copied
    again = run_cli("push", "articles/issue-135.md")
    assert "unchanged" in again.stdout and sandbox.calls().get("draft/add", 0) == 0, again.stdout
    assert "draft" in run_cli("status").stdout
    refused = run_cli("db", "copy", "state/state.sqlite3", expect=ANY_EXIT)  # twice: it would mix two deployments'
    assert refused.exit_code != 0 and "already holds records" in refused.stderr, refused.stderr


class _AnyExit:
    """An exit status run_cli accepts, whatever the command returns."""

    def __eq__(self, other):
        return True


ANY_EXIT = _AnyExit()


# ---- Low: the second account's error messages name the first account's environment variables -----------------------

def test_half_credentials_of_a_second_account_name_that_accounts_environment_variable(firm_dir, run_cli):
    """config.example.toml's second account, uncommented as it stands, sets `appid = "wx0123456789abcdef"` under
    [accounts.jzfsj.wechat]; the README says its secret comes from WECHAT_PUB_ACCOUNTS__JZFSJ__WECHAT__SECRET. Every
    command then stops with "config.toml [accounts.jzfsj]: ... wechat.secret (WECHAT_PUB_WECHAT__SECRET) is missing".
    The operator who exports that variable sets the *default* account's secret: the next command fails on the
    default account instead ("wechat.appid (WECHAT_PUB_WECHAT__APPID) is missing"), and a default account that had
    an appid would be given jzfsj's secret. Expected: the message names WECHAT_PUB_ACCOUNTS__JZFSJ__WECHAT__SECRET."""
    with open(firm_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write('\n[accounts.jzfsj.wechat]\nappid = "wx0123456789abcdef"\n\n[accounts.jzfsj.paths]\n'
                     'articles = "articles-jzfsj"\n')
    (firm_dir / "articles-jzfsj").mkdir()
    failed = run_cli("--account", "jzfsj", "status", expect=1)
    assert "WECHAT_PUB_ACCOUNTS__JZFSJ__WECHAT__SECRET" in failed.stderr, failed.stderr
    assert "(WECHAT_PUB_WECHAT__SECRET)" not in failed.stderr, failed.stderr


def test_run_tells_the_second_account_which_variable_holds_its_webhook_token(sandbox_dir, sandbox):
    """`wechat-pub run` with the README's second account prints, for it, "note: webhook.token of account 'jzfsj' is
    empty (...; set WECHAT_PUB_WEBHOOK__TOKEN for WeChat)". That variable is the default account's token (which
    every account without its own inherits): following the note gives 竞争法视界 the Token of 立方律师事务所's
    服务器配置, and the account's own, from its mp.weixin.qq.com, is refused with 403 "bad signature" once it is
    live. (site.bot()'s error for a live account already names WECHAT_PUB_ACCOUNTS__NAME__WEBHOOK__TOKEN.) Expected:
    the note names WECHAT_PUB_ACCOUNTS__JZFSJ__WEBHOOK__TOKEN for the account jzfsj."""
    from wechat_pub.config import load_config
    from wechat_pub.deployment import Deployment
    from wechat_pub.service import Service

    with open(sandbox_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(SECOND)
    (sandbox_dir / "articles-jzfsj").mkdir()
    said: list[str] = []
    service = Service(Deployment(load_config(sandbox_dir / "config.toml")), "127.0.0.1", 0, say=said.append)
    try:
        service.start()
    finally:
        service.stop()
    note = next(line for line in said if "account 'jzfsj'" in line and "webhook.token" in line)
    assert "WECHAT_PUB_ACCOUNTS__JZFSJ__WEBHOOK__TOKEN" in note, note


def test_a_sandbox_started_before_the_account_was_added_is_named_not_the_appid(sandbox_dir, sandbox, run_cli):
    """The operator adds 竞争法视界 ([accounts.jzfsj], no credentials: "An account without credentials gets its own
    app id in the sandbox") while `wechat-pub run` is running, and pushes its first issue as the README shows
    (`wechat-pub --account jzfsj push articles-jzfsj/issue-007.md`). The push goes to the running sandbox, which
    learnt its accounts when it started and answers 40013; the command says "Error: WeChat stable_token failed:
    the AppID is not valid [errcode 40013: invalid appid] / hint: Check wechat.appid (WECHAT_PUB_WECHAT__APPID)".
    The account has no appid to check, and that variable is the default account's; what helps is restarting
    `wechat-pub run` (or `wechat-pub sandbox`) so the sandbox knows the new account. Expected: for an account on
    the sandbox, a 40013 says the sandbox does not know this account yet and to restart it."""
    with open(sandbox_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(SECOND)
    (sandbox_dir / "articles-jzfsj").mkdir()
    (sandbox_dir / "articles-jzfsj" / "issue-007.md").write_text(ISSUE_7, encoding="utf-8")
    failed = run_cli("--account", "jzfsj", "push", "articles-jzfsj/issue-007.md", expect=3)
    assert "40013" in failed.stderr
    assert "WECHAT_PUB_WECHAT__APPID" not in failed.stderr, failed.stderr
    assert "restart" in failed.stderr.lower() and "sandbox" in failed.stderr.split("hint:")[-1], failed.stderr


# ---- Low: schema migrations, as "Schema migrations" says -----------------------------------------------------------

def test_db_current_does_not_send_a_host_behind_the_database_to_db_upgrade(firm_dir, run_cli, database_url):
    """When the state database is at a revision newer than this wechat-pub knows (another host already runs the
    next release; or a developer's `db revision` was applied and then removed), `wechat-pub db current` prints
    "revision 0013, newest 0012" and "Run: wechat-pub db upgrade", exit 1. That command cannot help: it fails with
    "the state database is at schema revision 0013, newer than this wechat-pub knows ... Upgrade wechat-pub on this
    host". Expected: `db current` says that (upgrade wechat-pub), not to run `db upgrade`."""
    import sqlalchemy

    from wechat_pub.state.migrate import head

    use_database(firm_dir, database_url)
    run_cli("db", "upgrade")
    ahead = f"{int(head()) + 1:04d}"
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{ahead}'")
    engine.dispose()
    shown = run_cli("db", "current", expect=1)
    assert f"revision {ahead}" in shown.stdout
    assert "Run: wechat-pub db upgrade" not in shown.stdout, shown.stdout


def test_db_revision_without_a_schema_change_writes_no_empty_migration(tmp_path):
    """README "Schema migrations": change schema.py, then `wechat-pub db revision "what changes"`. Run without a
    change in schema.py (a developer checking whether one is needed, or running it twice), it writes
    versions/0013_what_changes.py anyway, with `pass` as its upgrade. Every command run from that checkout then
    upgrades its state database to 0013; once the empty file is deleted (as it should be), that database refuses
    this very checkout ("newer than this wechat-pub knows ... Upgrade wechat-pub"), and committed, it is a release's
    empty revision forever. Expected: no file written, and the command says schema.py matches the migrations."""
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT / "wechat_pub", copy / "wechat_pub", ignore=shutil.ignore_patterns("__pycache__"))
    versions = copy / "wechat_pub" / "state" / "migrations" / "versions"
    before = sorted(path.name for path in versions.glob("*.py"))
    ran = subprocess.run([sys.executable, "-c", "from wechat_pub.cli import main; main()", "db", "revision",
                          f"nothing changes {uuid.uuid4().hex[:6]}"], cwd=tmp_path, capture_output=True, text=True,
                         env={**_environ(), "PYTHONPATH": str(copy)}, timeout=120)
    after = sorted(path.name for path in versions.glob("*.py"))
    assert after == before, f"an empty migration was written: {set(after) - set(before)}\n{ran.stdout}{ran.stderr}"


def _environ() -> dict[str, str]:
    import os

    return {name: value for name, value in os.environ.items() if not name.startswith("WECHAT_PUB_")}
