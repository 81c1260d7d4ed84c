"""The layers, read from the code's own imports (`ast`, nothing executed) and checked by
importing every module cold.

    bot/                      everything Telegram
      -> digests/ use cases   services, dispatch, delivery, subscriptions, reading, ...
        -> digests/ store, ingest, topics
          -> the floor         records, text, dates, messages, clock, ...

`digests` never imports `bot` or `telegram`; the store never imports ingestion or the
classifier, only itself and the floor; the floor only itself. No two modules import each
other, directly or round a circle, whether the import sits at the top of a module, under
`if TYPE_CHECKING` or inside a function: an import inside a function is for start-up speed
(`bot/cli.py`; of other packages: matplotlib in `digests/charts.py`, and what `mohbot run`
needs only later, each said where it is imported: Alembic, BeautifulSoup, lxml, feedparser,
rapidfuzz, SQLAlchemy's dialects), never a way round a circle.

SQL lives in the `digests/store/` repositories: no other module of `digests` builds a
statement (sqlalchemy's select, update, delete, insert, func, text) or runs one through a
session or connection, save the infrastructure modules named in `SQL_INFRASTRUCTURE`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "digests")

# Below the store and ingestion: records and helpers that import nothing of the project but
# each other. The store may import these and itself, nothing else.
FLOOR = {
    "digests.backoff",
    "digests.clock",
    "digests.dates",
    "digests.errors",
    "digests.locks",
    "digests.messages",
    "digests.pacing",
    "digests.paths",
    "digests.progress",
    "digests.records",
    "digests.redaction",
    "digests.schedule",
    "digests.text",
    "digests.zones",
}

# Modules that import the project inside functions, and why. `mohbot --help` must start fast,
# so the command line imports what a command needs when it runs. Nowhere else: an import
# inside a function is not a way round a circle.
LAZY = {"bot.cli": "start-up speed of the command line"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports: a module, or a package when a name is taken from it
    line: int
    place: str  # "top", "type" (under `if TYPE_CHECKING`) or "function"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    base = node.module or ""
    if node.level:  # relative: from the importing module's package
        package = module.split(".")
        is_package = MODULES[module].name == "__init__.py"
        anchor = package[: len(package) - node.level + (1 if is_package else 0)]
        base = ".".join(anchor + ([base] if base else []))
    for alias in node.names:
        # `from digests.ingest import readers` imports the module digests.ingest.readers.
        candidate = f"{base}.{alias.name}"
        yield candidate if candidate in MODULES else base


def _imports(module: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def walk(nodes: list[ast.stmt], place: str) -> Iterator[Import]:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(module, node):
                    yield Import(module, target, node.lineno, place)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from walk_inside(node, "function")
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from walk(node.body, "type" if place == "top" else place)
                yield from walk(node.orelse, place)
            else:
                yield from walk_inside(node, place)

    def walk_inside(node: ast.AST, place: str) -> Iterator[Import]:
        children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt)]
        yield from walk(children, place)

    yield from walk(tree.body, "top")


IMPORTS = [imp for module, path in MODULES.items() for imp in _imports(module, path)]


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _project(name: str) -> str | None:
    """The project module an import reaches, or None for the standard library and others."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _where(imp: Import) -> str:
    return f"{MODULES[imp.module].relative_to(ROOT)}:{imp.line} imports {imp.target}"


def test_the_graph_sees_every_module() -> None:
    assert {"bot.app", "digests.services", "digests.store.articles"} <= MODULES.keys()
    assert any(i.place == "function" for i in IMPORTS)  # bot/cli.py's lazy imports are read


def test_digests_never_imports_bot_or_telegram() -> None:
    wrong = [
        _where(i)
        for i in IMPORTS
        if _under(i.module, "digests") and _under(i.target, "bot", "telegram")
    ]
    assert not wrong, "\n".join(wrong)


def test_the_store_imports_only_itself_and_the_floor() -> None:
    wrong = [
        _where(i)
        for i in IMPORTS
        if _under(i.module, "digests.store")
        and (target := _project(i.target)) is not None
        and not _under(target, "digests.store")
        and target not in FLOOR
        and target != "digests"
    ]
    assert not wrong, "\n".join(wrong)


def test_the_floor_imports_only_the_floor() -> None:
    wrong = [
        _where(i)
        for i in IMPORTS
        if i.module in FLOOR
        and (target := _project(i.target)) is not None
        and target not in FLOOR
        and target != "digests"
    ]
    assert not wrong, "\n".join(wrong)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), and modules that
    import themselves."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    """Every import counts, wherever it sits: one inside a function that closes a circle is a
    circle hidden, not removed. (A package's `__init__` is not an edge: importing
    `digests.store.models` runs `digests/store/__init__.py`, which imports nothing.)"""
    edges: dict[str, set[str]] = {}
    lines: dict[tuple[str, str], list[str]] = {}
    for imp in IMPORTS:
        target = _project(imp.target)
        if target is None or target == imp.module or MODULES[target].name == "__init__.py":
            continue
        edges.setdefault(imp.module, set()).add(target)
        said = lines.setdefault((imp.module, target), [])
        if (line := f"{_where(imp)} ({imp.place})") not in said:
            said.append(line)  # once for `from a import b, c`
    circles = [
        [line for a in circle for b in circle for line in lines.get((a, b), [])]
        for circle in _cycles(edges)
    ]
    assert not circles, "\n\n".join("\n".join(c) for c in circles)


def test_imports_inside_functions_only_where_said() -> None:
    wrong = [
        _where(i)
        for i in IMPORTS
        if i.place == "function" and _project(i.target) is not None and i.module not in LAZY
    ]
    assert not wrong, "\n".join(wrong)


def test_package_inits_import_nothing_of_the_project() -> None:
    """So that the circle check may pass over them: an `__init__` is run by every import of
    its package's modules."""
    wrong = [
        _where(i)
        for i in IMPORTS
        if MODULES[i.module].name == "__init__.py" and _project(i.target) is not None
    ]
    assert not wrong, "\n".join(wrong)


# Modules outside the store that talk to the database themselves, and why. Nowhere else.
SQL_INFRASTRUCTURE = {
    "digests.locks": "advisory locks, on a connection of their own",
    "digests.ratelimit": "the shared send budget: one atomic UPDATE per reservation",
}
# What builds a statement: taken from `sqlalchemy` (or one of its modules), only in the store.
SQL_CONSTRUCTS = {"select", "update", "delete", "insert", "func", "text"}
# What runs a statement, on any receiver: a session, a connection.
SQL_CALLS = {"execute", "scalars", "scalar", "query"}
# What a session does with rows, when called on something named a session.
SESSION_CALLS = {"get", "add", "add_all", "delete", "merge"}


def _receiver(node: ast.expr) -> str:
    """The last name of what a method is called on: `session` in `self.session.get(...)`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _sql_in(source: str, where: str) -> Iterator[str]:
    for node in ast.walk(ast.parse(source, filename=where)):
        if isinstance(node, ast.ImportFrom) and _under(node.module or "", "sqlalchemy"):
            for alias in node.names:
                if alias.name in SQL_CONSTRUCTS:
                    yield f"{where}:{node.lineno} imports {alias.name} from {node.module}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _under(alias.name, "sqlalchemy") and alias.asname:
                    yield f"{where}:{node.lineno} imports {alias.name} as {alias.asname}"
        elif isinstance(node, ast.Attribute) and node.attr in SQL_CONSTRUCTS:
            if _receiver(node.value) == "sqlalchemy":
                yield f"{where}:{node.lineno} uses sqlalchemy.{node.attr}"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, _receiver(node.func.value)
            if method in SQL_CALLS or (method in SESSION_CALLS and "session" in receiver.lower()):
                yield f"{where}:{node.lineno} calls {receiver or '(...)'}.{method}()"


def test_sql_lives_in_the_store() -> None:
    """Statements are built and run in `digests/store/` repositories, which the rest of
    `digests` calls; the infrastructure modules named above excepted."""
    assert set(SQL_INFRASTRUCTURE) <= MODULES.keys()
    wrong = [
        line
        for module, path in MODULES.items()
        if _under(module, "digests")
        and not _under(module, "digests.store")
        and module not in SQL_INFRASTRUCTURE
        for line in _sql_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not wrong, "\n".join(wrong)


SQL_EVERY_WAY = """
import sqlalchemy
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session
def f(session, self, repo, connection):
    session.execute(select(1))
    self.session.get(object, 1)
    sqlalchemy.update
    connection.scalar(sa)
    session.commit()
    repo.delete(1)
    repo.get(1)
"""


def test_the_sql_check_sees_each_way_of_writing_sql() -> None:
    assert set(_sql_in(SQL_EVERY_WAY, "m.py")) == {
        "m.py:3 imports sqlalchemy as sa",
        "m.py:4 imports func from sqlalchemy",
        "m.py:4 imports select from sqlalchemy",
        "m.py:7 calls session.execute()",
        "m.py:8 calls session.get()",
        "m.py:9 uses sqlalchemy.update",
        "m.py:10 calls connection.scalar()",
    }


COLD_IMPORT = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("bot", "digests")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def test_every_module_imports_cold() -> None:
    """Each module imported first, with nothing of the project loaded before it (third-party
    libraries stay loaded: the check is about the project's own order of imports)."""
    names = [m for m in MODULES if m != "bot.__main__"]  # it runs the command line
    done = subprocess.run(
        [sys.executable, "-c", COLD_IMPORT, *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
