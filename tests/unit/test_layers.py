"""The layering of DEVELOPERS' brief, checked on the import statements of bot/.

Adapters (actions, web app, Telegram bridge) never import each other; nothing below them imports
an adapter; the pure domain does no I/O (no database, web or HTTP libraries).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
ADAPTERS = ("bot.actions", "bot.web", "bot.telegram")
PURE_DOMAIN = ("bot.guidance", "bot.imaging", "bot.reports")
IO_LIBRARIES = ("sqlalchemy", "httpx", "fastapi", "starlette", "telegram", "requests", "aiohttp")


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> Iterator[tuple[str, str]]:
    for path in BOT.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield module_name(path), alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                yield module_name(path), node.module


def within(module: str, packages: tuple[str, ...]) -> str | None:
    return next((p for p in packages if module == p or module.startswith(p + ".")), None)


def test_the_walk_sees_the_adapters() -> None:
    importers = {importer for importer, _ in imports()}
    assert {"bot.actions.uploads", "bot.web.app", "bot.telegram.bridge"} <= importers


def test_adapters_never_import_each_other() -> None:
    crossings = [
        (importer, imported)
        for importer, imported in imports()
        if (home := within(importer, ADAPTERS))
        and (other := within(imported, ADAPTERS))
        and home != other
    ]
    assert crossings == []


def test_nothing_below_the_adapters_imports_one() -> None:
    upward = [
        (importer, imported)
        for importer, imported in imports()
        if not within(importer, ADAPTERS) and within(imported, ADAPTERS)
    ]
    assert upward == []


def test_the_pure_domain_does_no_io() -> None:
    io = [
        (importer, imported)
        for importer, imported in imports()
        if within(importer, PURE_DOMAIN) and imported.split(".")[0] in IO_LIBRARIES
    ]
    assert io == []
