"""Shared fixtures: a clean environment per test, paths to the seed and examples, a CLI runner that runs
the real ``main()`` (error boundary included) and fails loudly on a surprise exit status, the sandbox, the
state database (SQLite, and PostgreSQL when CI provides one), Redis, and helpers for real servers.

Nothing here reads outside the repository: the seed issue's PDF text is ``docs/examples/issue-135.txt``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "docs" / "examples" / "issue-135.txt"  # the real issue No. 135, as text taken out of its PDF
SEED_ARTICLE = ROOT / "articles" / "issue-135.md"
EXAMPLE = ROOT / "docs" / "examples" / "issue-136.md"
CONFIG = ROOT / "config.toml"


def pytest_configure(config) -> None:
    """One clear message, instead of an import error per test module, when this Python lacks the project."""
    import importlib.util
    import sys

    needed = ("markdown_it", "css_inline", "PIL", "bs4", "sqlalchemy", "flask", "psycopg", "redis", "playwright")
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        pytest.exit(f"the tests need wechat-pub installed with its test extra in this Python ({sys.executable}); "
                    f"missing: {', '.join(missing)}. Run the README's install command first: pip install -e '.[test]'",
                    returncode=4)
    use_cheap_password_hashes_everywhere()
    keep_compiled_bytecode(config)
    import migrated_once  # here: it imports the project, which the check above needs first
    import stalls

    migrated_once.install()
    stalls.install()


def keep_compiled_bytecode(config) -> None:
    """Compiled modules kept for this process and every Python process the tests start, in pytest's cache folder
    (so none in the source folders): a shell with PYTHONDONTWRITEBYTECODE otherwise makes each of the hundreds of
    processes (workers, `wechat-pub run`, commands) compile the project, and pytest rewrite every test module."""
    import sys

    if not sys.dont_write_bytecode or sys.pycache_prefix:
        return  # Python already keeps them (next to the sources, or where the developer said)
    folder = str(config.rootpath / ".pytest_cache" / "pycache")
    sys.dont_write_bytecode, sys.pycache_prefix = False, folder
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = folder


def use_cheap_password_hashes_everywhere() -> None:
    """argon2 at its cheapest in this process and in every Python process the tests start (cheap_hashes/)."""
    import runpy

    folder = Path(__file__).parent / "cheap_hashes"
    if str(folder) not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    runpy.run_path(str(folder / "sitecustomize.py"))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """No WECHAT_PUB_* variable from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("WECHAT_PUB_"):
            monkeypatch.delenv(name)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty folder as the current directory (no config.toml: embedded defaults)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def firm_config(folder: Path, extra: str = "") -> Path:
    """The publisher's config.toml (plus ``extra`` settings) in ``folder``, with the files it names (its QR code)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(CONFIG.read_text(encoding="utf-8") + extra, encoding="utf-8")
    shutil.copytree(ROOT / "assets", folder / "assets", dirs_exist_ok=True)
    return folder / "config.toml"


@pytest.fixture(scope="module")
def firm_options():
    """The publisher's render options (theme, publisher, QR code), from this repository's config.toml."""
    from wechat_pub.config import load_config
    from wechat_pub.deployment import Deployment

    return Deployment(load_config(CONFIG)).site().render_options()


@pytest.fixture
def firm_dir(tmp_path, monkeypatch):
    """A folder with the publisher's config.toml, as in this repository."""
    firm_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys):
    """run_cli(*args, expect=0, clock=None) -> CliResult; a different exit status fails with the output.
    ``clock`` (a :class:`FakeClock`) is the time the command sees instead of the system's."""
    from wechat_pub.cli import main

    def run(*args: str, expect: int = 0, clock: FakeClock | None = None) -> CliResult:
        try:
            main([str(a) for a in args], clock=clock.clock if clock else None)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        result = CliResult(code, captured.out, captured.err)
        assert code == expect, f"exit {code}, expected {expect}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        return result

    return run


def write_article(folder: Path, text: str, name: str = "issue.md") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- time ------------------------------------------------------------------------------------------


class FakeClock:
    """Time that moves only when told (or when something sleeps on it): tests inject it instead of sleeping."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start
        self.mono = 1_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.mono += seconds

    @property
    def clock(self):
        from wechat_pub.clock import Clock

        return Clock(time=self.time, monotonic=self.monotonic, sleep=self.sleep)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


# ---- real servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def until(check, timeout: float = 30.0, every: float = 0.05):
    """What ``check()`` returns once it is true, asked every ``every`` seconds for up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError("not within the time")


def wait_until_responds(url: str, timeout: float = 20, process: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers 200 (a service's /healthz: and its first search index is made, see
    :func:`wait_until_searchable`); fail early, with its output, if ``process`` dies meanwhile."""
    import json

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the server exited with {process.returncode} before answering {url}:\n{output}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read()
                if response.status == 200 and not (url.endswith("/healthz") and "being made" in
                                                   json.loads(body or b"{}").get("search_index", {}).values()):
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} did not respond within {timeout} s")


def wait_until_searchable(base_url: str, timeout: float = 60) -> None:
    """Poll ``base_url``/healthz until every account's search index is made: a host's first index is made in the
    background, and until then followers hear that search is unavailable (tests that ask wait for it)."""
    import json

    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=10) as response:
                state = json.load(response).get("search_index", {})
            if state and all(value == "ready" for value in state.values()):
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{base_url}: the search index was not made within {timeout} s ({state})")


def start_redis(port: int | None = None) -> tuple[subprocess.Popen, str]:
    """A Redis server of the test's own (one it may kill), on a free port (or ``port``: the same one again,
    empty, after a kill), ready to answer."""
    import redis

    server = shutil.which("redis-server")
    assert server, "redis-server must be installed (.ci/run installs Debian's redis-server)"
    port = port or free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=real_clock_environment())
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(200):
        try:
            client.ping()
            return process, url
        except redis.ConnectionError:
            time.sleep(0.025)
    process.kill()
    raise AssertionError("redis-server did not start")


# Read when the tests are collected: the autouse _clean_environment removes every WECHAT_PUB_* variable from a
# test's environment, and a test may ask for this fixture from inside its own (request.getfixturevalue).
REDIS_URL = os.environ.get("WECHAT_PUB_TEST_REDIS_URL", "")


@pytest.fixture(scope="session")
def redis_url():
    """The Redis CI started (WECHAT_PUB_TEST_REDIS_URL), else one started for this test session. Each of
    pytest-xdist's workers gets a database of its own on it (keys such as an app id's token are shared by name)."""
    given = REDIS_URL
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, … under pytest-xdist
    if given:
        yield f"{given.rsplit('/', 1)[0]}/{int(worker[2:]) + 1}" if worker else given
        return
    process, url = start_redis()
    yield url
    process.terminate()
    process.wait(10)


# ---- the state database: SQLite always, PostgreSQL when CI provides one ------------------------------

POSTGRES_URL = os.environ.get("WECHAT_PUB_TEST_DATABASE_URL", "")
NO_POSTGRES = "WECHAT_PUB_TEST_DATABASE_URL is not set (.ci/run starts a PostgreSQL and sets it)"


def postgres_schema_url(base: str) -> str:
    """A fresh, empty schema on the test PostgreSQL, as a URL whose connections use it (and leave it there)."""
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def make_database_url(kind: str, folder: Path) -> str:
    """A fresh state database of ``kind`` ('sqlite' in ``folder``, or 'postgresql'); skips without PostgreSQL."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'state' / 'state.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    return postgres_schema_url(POSTGRES_URL)


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """The state database every test of stored state runs against: SQLite, then PostgreSQL."""
    return make_database_url(request.param, tmp_path)


# ---- the sandbox of the WeChat API ---------------------------------------------------------------

import json as _json  # noqa: E402
import urllib.request as _request  # noqa: E402


class SandboxHandle:
    """A running sandbox (a real HTTP server on a free port) and its admin API."""

    def __init__(self, running, settings):
        self.running = running
        self.settings = settings
        self.url = running.url
        self.api_base = running.api_base
        self.port = int(self.url.rsplit(":", 1)[1])

    def admin(self, path: str, method: str = "GET", data: dict | None = None) -> dict:
        body = _json.dumps(data).encode() if data is not None else None
        req = _request.Request(f"{self.url}/sandbox/{path}", data=body, method=method)
        with _request.urlopen(req, timeout=10) as response:
            return _json.loads(response.read())

    def calls(self) -> dict[str, int]:
        return self.admin("calls")["calls"]

    def reset_calls(self) -> None:
        self.admin("calls", "DELETE")

    def fault(self, endpoint: str, kind: str, times: int = 1, seconds: float = 0) -> None:
        self.admin("faults", "POST", {"endpoint": endpoint, "kind": kind, "times": times, "seconds": seconds})

    def advance(self, seconds: float) -> None:
        self.admin("clock", "POST", {"advance": seconds})

    @property
    def state(self):
        from wechat_pub.sandbox.state import SandboxState

        return SandboxState(self.settings)


@pytest.fixture
def sandbox(tmp_path):
    from wechat_pub.sandbox.server import start_in_thread
    from wechat_pub.sandbox.state import SandboxSettings

    settings = SandboxSettings(db_path=str(tmp_path / "sandbox" / "sandbox.sqlite3"), publish_delay=0.3)
    running = start_in_thread(settings)
    yield SandboxHandle(running, settings)
    running.stop()


@pytest.fixture
def sandbox_dir(firm_dir, sandbox):
    """The firm's folder, configured to use the running sandbox (as after `wechat-pub sandbox`)."""
    with open(firm_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(f"\n[sandbox]\nport = {sandbox.port}\n")
    return firm_dir


def use_database(folder: Path, url: str) -> None:
    """Point the config in ``folder`` at the state database ``url`` (SQLite URLs keep the default file)."""
    if not url.startswith("sqlite"):
        with open(folder / "config.toml", "a", encoding="utf-8") as handle:
            handle.write(f"\n[state]\ndatabase_url = \"{url}\"\n")


def api_client(sandbox, store_dir, **options):
    from wechat_pub.wechat import WeChatAPI

    stores = stores_at(f"sqlite:///{store_dir / 'state.sqlite3'}")
    return WeChatAPI("wx_sandbox", "sandbox-secret", stores.tokens, stores.locks, sandbox.api_base, **options)


@dataclass
class Stores:
    """The job-specific stores over one state database, for tests that read or prepare stored state."""

    db: object
    tokens: object
    locks: object

    def pushes(self, appid: str = "wx_sandbox"):
        from wechat_pub.state.pushes import PushLedger

        return PushLedger(self.db, appid)

    def runs(self, appid: str = "wx_sandbox"):
        from wechat_pub.state.runs import ScheduleRuns

        return ScheduleRuns(self.db, appid)

    def sends(self, appid: str = "wx_sandbox"):
        from wechat_pub.state.sends import SendLedger

        return SendLedger(self.db, appid)

    def query_log(self, appid: str = "wx_sandbox", spool_folder: Path | None = None):
        """The query log of ``appid`` (reading needs no spool; writing here goes through ``spool_folder``)."""
        import tempfile

        from wechat_pub.state.querylog import QueryLog, QuerySpool

        spool = QuerySpool(lambda: self.db, spool_folder or Path(tempfile.mkdtemp()), delay=0)
        return QueryLog(self.db, appid, spool)


def stores_at(url: str) -> Stores:
    from wechat_pub.state.database import StateDatabase
    from wechat_pub.state.locks import Locks
    from wechat_pub.state.tokens import TokenStorage

    db = StateDatabase(url)
    return Stores(db, TokenStorage(db), Locks(db))


def open_site(folder: Path, account: str | None = None, clock=None):
    """The Site of ``account`` as the config in ``folder`` builds it (what the commands there work on), on
    ``clock`` (a :class:`FakeClock`) when given, else the system's."""
    from wechat_pub.clock import SYSTEM_CLOCK
    from wechat_pub.config import load_config
    from wechat_pub.deployment import Deployment

    return Deployment(load_config(folder / "config.toml"), clock.clock if clock else SYSTEM_CLOCK).site(account)


def state_url(folder: Path) -> str:
    """The state database the config in ``folder`` uses."""
    return open_site(folder).services.database_url


def jpeg_bytes(width: int = 120, height: int = 80, colour: str = "#336699", noise: bool = False) -> bytes:
    import io

    from PIL import Image

    image = Image.effect_noise((width, height), 90).convert("RGB") if noise else Image.new("RGB", (width, height), colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


# ---- a real headless browser: Debian's Chromium driven by Playwright ----------------------------------

# Debian builds two programs from its chromium source: the browser, and the headless shell that Playwright itself runs
# for headless pages (the same Blink, V8 and fonts, without the browser's windows and background services). A page
# costs the shell about a quarter of the browser's CPU, and the suite opens hundreds, so it runs in the shell when
# .ci/run installed it; WECHAT_PUB_TEST_CHROMIUM=/usr/bin/chromium runs them all in the browser.
# tests/test_preview_browser.py checks the two draw a preview alike.
FULL_CHROMIUM = "/usr/bin/chromium"
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM = os.environ.get("WECHAT_PUB_TEST_CHROMIUM") or (HEADLESS_SHELL if os.path.exists(HEADLESS_SHELL) else FULL_CHROMIUM)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def real_clock_environment() -> dict[str, str]:
    """Our environment without a preloaded fake clock, for the programs that are not ours: CI runs the suite a
    second time with the clock years ahead (libfaketime, .ci/run); neither Chromium nor redis-server starts
    under it, and the time that matters is our servers' (the pages show what they say; Redis keeps only TTLs)."""
    return {name: value for name, value in os.environ.items() if name != "LD_PRELOAD" and not name.startswith("FAKETIME")}


@pytest.fixture(scope="session")
def playwright():
    """Playwright's driver, once per test process (a second one cannot start beside it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright):
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is not installed (.ci/run installs chromium-headless-shell and chromium)"
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=real_clock_environment())
    yield launched
    launched.close()
