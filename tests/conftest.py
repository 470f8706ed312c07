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
