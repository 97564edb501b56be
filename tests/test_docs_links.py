"""The README and docs/ point at files, headings and Python names that exist: links rot where nobody looks (the
audit of 6 Dec found `reliefplan.headline.headline` and `from reliefplan import network`, gone since issue 18)."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").glob("*/*.md"))]


def _prose(page: Path) -> str:
    """The page without its fenced code blocks (their brackets are not links)."""
    return re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    out = set()
    for m in re.finditer(r"^#{1,6}\s+(.*)$", _prose(page), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", m.group(1).replace("`", "").strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(page):
    bad = []
    for link in re.findall(r"\]\(([^)\s]+)\)", _prose(page)):
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path) if path else page
        if not target.exists():
            bad.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            bad.append(f"{link}: no such heading")
    assert bad == []


def _has(obj: object, attr: str) -> bool:
    """An attribute, or a submodule not imported yet."""
    if hasattr(obj, attr):
        return True
    name = f"{getattr(obj, '__name__', '')}.{attr}"
    return isinstance(obj, ModuleType) and importlib.util.find_spec(name) is not None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_names_resolve(page):
    """Every dotted `reliefplan.…` name and every `from reliefplan… import …` line names something importable."""
    text = page.read_text(encoding="utf-8")
    bad = []
    for name in set(re.findall(r"\breliefplan(?:\.[A-Za-z_]\w*)+", text)):
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
                break
            except ModuleNotFoundError:
                continue
        for attr in parts[i:]:
            if not _has(obj, attr):
                bad.append(name)
                break
            obj = getattr(obj, attr, None) or importlib.import_module(f"{obj.__name__}.{attr}")
    for mod, names in re.findall(r"^from (reliefplan[\w.]*) import ([\w, ]+?)(?:\s*#.*)?$", text, flags=re.M):
        module = importlib.import_module(mod) if importlib.util.find_spec(mod) else None
        imported = [n.split()[0] for n in names.split(",") if n.strip()]  # 'network as rn' -> 'network'
        bad += [f"{mod}.{n}" for n in imported if module is None or not _has(module, n)]
    assert bad == []
