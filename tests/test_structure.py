"""The package's shape, measured from its code (bench/imports.py): no run-time import circle (imports under
``if TYPE_CHECKING:`` aside), no module over 400 lines."""

from __future__ import annotations

import importlib.util
import sys

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("bench_imports", ROOT / "bench" / "imports.py")
imports = sys.modules["bench_imports"] = importlib.util.module_from_spec(_spec)  # (its dataclass looks itself up)
_spec.loader.exec_module(imports)

GRAPH = imports.import_graph(ROOT / "wechat_pub")


def test_no_module_imports_itself_round_about_at_run_time():
    assert GRAPH.circles() == []


def test_no_module_is_over_400_lines():
    assert GRAPH.long_modules(400) == {}


def test_the_measure_finds_a_circle_and_sees_past_type_only_imports(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def f():\n    from pkg.a import x\n")  # inside a function: still run time
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import d\n")
    (package / "d.py").write_text("from . import c\n")
    graph = imports.import_graph(package)
    assert graph.circles() == [["pkg.a", "pkg.b"]]
    assert imports.import_graph(package, type_only=True).circles() == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
