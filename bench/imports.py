"""The package's import graph, read from the code with ``ast``: modules, edges, circles, and modules over the
line limit. An edge is a run-time import, at the top of a module or inside a function alike (both run);
imports under ``if TYPE_CHECKING:`` are type-only and left out. A circle is a group of modules that reach
each other (a strongly connected component of more than one module, or a module importing itself).

    python bench/imports.py [PACKAGE_FOLDER]     # default: this checkout's wechat_pub/

tests/test_structure.py asserts zero circles and no module over the limit.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_LINES = 400


@dataclass(frozen=True)
class Graph:
    modules: dict[str, Path]  # dotted name -> file
    edges: dict[str, set[str]]  # module -> the package's modules it imports at run time

    @property
    def edge_count(self) -> int:
        return sum(len(targets) for targets in self.edges.values())

    def circles(self) -> list[list[str]]:
        """Every group of modules that import each other, directly or round about (sorted)."""
        return sorted(sorted(group) for group in _components(self.edges)
                      if len(group) > 1 or next(iter(group)) in self.edges[next(iter(group))])

    def long_modules(self, limit: int = MAX_LINES) -> dict[str, int]:
        counts = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in self.modules.items()}
        return {name: count for name, count in sorted(counts.items()) if count > limit}


def import_graph(package: Path, type_only: bool = False) -> Graph:
    """``type_only``: count the imports under ``if TYPE_CHECKING:`` too (the structure as a reader sees it)."""
    root = package.name
    modules = {_dotted(path, package, root): path for path in sorted(package.rglob("*.py"))}
    edges = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target in _imports(tree, name, path.name == "__init__.py", type_only):
            resolved = _resolve(target, modules)
            if resolved and resolved != name:
                edges[name].add(resolved)
    return Graph(modules, edges)


def _dotted(path: Path, package: Path, root: str) -> str:
    parts = [root, *path.relative_to(package).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, module: str, is_package: bool, type_only: bool):
    """The dotted names ``tree`` imports, outside ``if TYPE_CHECKING:`` blocks unless ``type_only`` (``from a
    import b`` gives ``a.b``, which :func:`_resolve` turns into ``a`` when ``b`` is not a module)."""
    skipped = set() if type_only else {id(node) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block.test)
               for statement in block.body for node in ast.walk(statement)}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    anchor = parts if is_package else parts[:-1]
    anchor = anchor[:len(anchor) - (node.level - 1)]
    return ".".join(anchor + ([node.module] if node.module else []))


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The package's module that importing ``name`` runs (the longest known prefix), None outside the package."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _components(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            found.append(group)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def main(argv: list[str]) -> int:
    package = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "wechat_pub"
    graph = import_graph(package)
    circles = graph.circles()
    long = graph.long_modules()
    print(f"{len(graph.modules)} modules, {graph.edge_count} run-time import edges, {len(circles)} circle(s)")
    for circle in circles:
        print("  circle: " + " <-> ".join(circle))
    typed = import_graph(package, type_only=True)
    print(f"with the type-only imports: {typed.edge_count} edges, {len(typed.circles())} circle(s)")
    for circle in typed.circles():
        print("  circle: " + " <-> ".join(circle))
    print(f"{len(long)} module(s) over {MAX_LINES} lines" + "".join(f"\n  {name}: {n}" for name, n in long.items()))
    return 1 if circles or long else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
