"""The README, docs/ and the code's comments name modules and files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
PY_FILES = sorted(
    str(p.relative_to(REPO))
    for top in ("tui_upgrader", "tests", "benchmarks", "scripts", "examples")
    for p in (REPO / top).rglob("*.py")
)
OTHER_FILES = sorted(
    str(p.relative_to(REPO))
    for top in ("tui_upgrader", "scripts", "benchmarks", "tests", "examples", "docs")
    for p in (REPO / top).rglob("*")
    if p.is_file()
)

# `path/to/file.py` (.sh, .tcss; .md with a folder) in backticks or a markdown link;
# a bare `config.toml` or `RELEASE_NOTES.md` is the user's file, not ours.
_PATH = re.compile(r"[`(]((?:[\w.-]+/)*[\w.-]+\.(?:py|sh|tcss)|(?:[\w.-]+/)+[\w.-]+\.md)[`)]")
# ``ops.x.y`` / ``tui_upgrader.ops.x.y`` / `core.x` in code or prose.
_DOTTED = re.compile(r"`+((?:tui_upgrader\.)?(?:ops|core|ui|commands|demo)(?:\.\w+)+)")


def _exists(path: str) -> bool:
    """A path as the text names it: from the repository root, from the package, or a
    suffix of a real file (the README's code map names files inside their package)."""
    if (REPO / path).exists() or (REPO / "tui_upgrader" / path).exists():
        return True
    return any(f == path or f.endswith("/" + path) for f in (*PY_FILES, *OTHER_FILES))


def _defines(module_file: Path, name: str) -> bool:
    text = module_file.read_text(encoding="utf-8")
    return bool(
        re.search(rf"^\s*(?:def|class|async def)\s+{name}\b|^{name}\s*[:=]|\b{name}\b", text, re.M)
    )


def _module_ref_ok(ref: str) -> bool:
    """``ops.upgrade.journal`` is a module; ``ops.backup.catalogue.BackupRecord`` is a
    name in one; ``ops.upgrade.journal.nothing`` is neither."""
    parts = ref.removeprefix("tui_upgrader.").split(".")
    for cut in range(len(parts), 1, -1):
        base = REPO / "tui_upgrader" / Path(*parts[:cut])
        found = [f for f in (base.with_suffix(".py"), base / "__init__.py") if f.is_file()]
        if not found:
            continue
        rest = parts[cut:]
        return not rest or _defines(found[0], rest[0])
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_file_a_document_names_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    missing = sorted({m for m in _PATH.findall(text) if "<" not in m and not _exists(m)})
    missing += sorted({m for m in _DOTTED.findall(text) if not _module_ref_ok(m)})
    assert not missing, f"{doc.name} names what does not exist: {missing}"


def test_every_module_the_code_comments_name_exists() -> None:
    bad: list[str] = []
    for rel in PY_FILES:
        if not rel.startswith("tui_upgrader/"):
            continue
        text = (REPO / rel).read_text(encoding="utf-8")
        bad += [f"{rel}: {m}" for m in sorted(set(_DOTTED.findall(text))) if not _module_ref_ok(m)]
        bad += [f"{rel}: {m}" for m in sorted(set(_PATH.findall(text))) if not _exists(m)]
    assert not bad, "comments name modules or files that do not exist:\n" + "\n".join(bad)


def test_references_to_the_architecture_point_at_docs() -> None:
    for rel in (*PY_FILES, "README.md"):
        text = (REPO / rel).read_text(encoding="utf-8")
        for m in re.finditer(r"[\w/]*architecture\.md", text):
            assert m.group(0) == "docs/architecture.md", f"{rel}: {m.group(0)}"
