"""Issue 21, deliverable 7: secrets at rest. The state folder is 0700 and the state database's files
(-wal and -shm too) 0600 whatever the umask; the query salt and the console's key have one place (the state
database); `wechat-pub doctor` says when the folder or files are readable by others, and the chmod to run."""

from __future__ import annotations

import os
import re
import stat

import pytest
from security_server import Console

from conftest import free_port, state_url, stores_at


@pytest.fixture
def wide_umask():
    """The usual umask of a login shell, under which the state database used to be -rw-r--r--."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_state_folder_and_database_files_are_private(tmp_path, fake_clock, wide_umask, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "tok3n")
    folder = tmp_path / "site"
    running = Console(folder, f"sqlite:///{folder / 'state' / 'state.sqlite3'}", fake_clock.clock)
    try:
        running.sign_in("admin1")  # the service is working: SQLite's -wal and -shm files are there
        state = folder / "state"
        assert mode(state) == 0o700  # before: 0o755, listable by every local user
        files = [state / name for name in ("state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm")]
        assert all(path.exists() for path in files)
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}  # before: 0o644
    finally:
        running.stop()


def test_doctor_warns_when_others_may_read_the_state_and_says_the_chmod(firm_dir, run_cli, wide_umask):
    run_cli("doctor")  # a new deployment: it makes the state folder, and its database check the database
    state, database = firm_dir / "state", firm_dir / "state" / "state.sqlite3"
    assert mode(state) == 0o700 and mode(database) == 0o600
    os.chmod(state, 0o755)  # as an older version left them
    os.chmod(database, 0o644)
    report = run_cli("doctor").stdout  # warnings alone: exit 0
    assert f"warn permissions: {state} is drwxr-xr-x (others may read it): run `chmod 700 {state}`" in report
    assert f"run `chmod 600 {database}`" in report and f"{database} is -rw-r--r--" in report
    # what it says to run: each chmod it names (the database's -shm too, when the check's own connection to the
    # database, made while it was 0644, still holds one open)
    for command in re.findall(r"run `(chmod [0-7]{3} [^`]+)`", report):
        assert os.system(command) == 0, command
    report = run_cli("doctor").stdout
    assert "warn permissions" not in report
    assert f"ok   permissions: {state} and the state database are readable by this user only" in report


def test_doctor_warns_about_a_readable_config_file_with_secrets(firm_dir, run_cli, wide_umask):
    with open(firm_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write('\n[console]\nsecret_key = "a-key-written-into-the-file"\n')
    os.chmod(firm_dir / "config.toml", 0o644)
    report = run_cli("doctor").stdout
    assert "holds secrets and others may read it: run `chmod 600" in report
    assert "a-key-written-into-the-file" not in report


def test_doctor_fails_when_the_state_database_is_away(firm_dir, run_cli, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_STATE__DATABASE_URL", f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    report = run_cli("doctor", expect=1).stdout
    assert "fail database: Could not open the state database" in report and "nobody" not in report


def test_doctor_names_what_the_console_lacks(firm_dir, run_cli):
    assert "warn console: no admin can manage the console's users" in run_cli("doctor").stdout
    with open(firm_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write('\n[console]\npublic_url = "https://pub.example.com"\n')
    assert "set [console] secure_cookies = true" in run_cli("doctor").stdout


def test_the_query_salt_is_kept_in_the_database_alone(firm_dir, database_url):
    """Before: a 0600 file in the state folder and a copy in the database. Now the database (the one place
    every host shares, as for the console's key); an older version's file is adopted, then removed."""
    from conftest import use_database
    from wechat_pub.config import load_config
    from wechat_pub.deployment import Deployment
    from wechat_pub.state.issues import SharedValues

    use_database(firm_dir, database_url)
    (firm_dir / "state").mkdir(mode=0o700)
    legacy = firm_dir / "state" / "query-salt"
    legacy.write_text("salt-of-an-older-version\n")
    deployment = Deployment(load_config(firm_dir / "config.toml"))
    assert deployment.services.query_salt() == "salt-of-an-older-version"  # earlier followers' hashes still match
    assert not legacy.exists()
    again = Deployment(load_config(firm_dir / "config.toml"))
    assert again.services.query_salt() == "salt-of-an-older-version" and not legacy.exists()
    assert SharedValues(stores_at(state_url(firm_dir)).db).get_or_create("query_salt", str) == "salt-of-an-older-version"
    assert not [name for name in os.listdir(firm_dir / "state") if "salt" in name]


def test_the_service_warns_at_start_when_others_may_read_the_state(sandbox_dir, run_cli):
    from wechat_pub.config import load_config
    from wechat_pub.deployment import Deployment
    from wechat_pub.service import Service

    firm_dir = sandbox_dir  # (the test's own sandbox, not one on the default port)
    run_cli("doctor")  # makes the state and its database
    os.chmod(firm_dir / "state", 0o755)
    said: list[str] = []
    service = Service(Deployment(load_config(firm_dir / "config.toml")), "127.0.0.1", free_port(), say=said.append)
    service.start()
    service.stop()
    assert f"warning: {firm_dir / 'state'} is drwxr-xr-x (others may read it): run `chmod 700 {firm_dir / 'state'}`" in said
