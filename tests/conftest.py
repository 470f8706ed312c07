"""Shared fixtures: a clean environment per test, paths to the seed and examples, and a CLI runner
that runs the real ``main()`` (error boundary included) and fails loudly on a surprise exit status."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seeds" / "000_eeabedc8267fa16e.txt"
SEED_ARTICLE = ROOT / "articles" / "issue-135.md"
EXAMPLE = ROOT / "docs" / "examples" / "issue-136.md"
CONFIG = ROOT / "config.toml"


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


@pytest.fixture
def firm_dir(tmp_path, monkeypatch):
    """A folder with the publisher's config.toml, as in this repository."""
    shutil.copy(CONFIG, tmp_path / "config.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys):
    """run_cli(*args, expect=0) -> CliResult; a different exit status fails with the output."""
    from wechat_pub.cli import main

    def run(*args: str, expect: int = 0) -> CliResult:
        try:
            main([str(a) for a in args])
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


def api_client(sandbox, store_dir, **options):
    from wechat_pub.store import Store
    from wechat_pub.wechat import WeChatAPI

    store = Store(f"sqlite:///{store_dir / 'state.sqlite3'}")
    return WeChatAPI("wx_sandbox", "sandbox-secret", store, sandbox.api_base, **options)


def jpeg_bytes(width: int = 120, height: int = 80, colour: str = "#336699", noise: bool = False) -> bytes:
    import io

    from PIL import Image

    image = Image.effect_noise((width, height), 90).convert("RGB") if noise else Image.new("RGB", (width, height), colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()
