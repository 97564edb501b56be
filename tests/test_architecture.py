"""The house plan holds: the layer contract (pyproject.toml [tool.importlinter]) and no import cycles.

faces (cli > web) > outputs > analysis > pipeline > stages > plan > solvers > scenario > standards > core: a module
imports only from its own layer or below, so readers (scenario/) never import solvers or writers and solvers never
import writers (outputs/). Imports inside functions count too.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import networkx as nx
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_layer_contract_holds(capsys):
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert status == 0, capsys.readouterr().out


def test_no_import_cycles():
    graph = grimp.build_graph("reliefplan", cache_dir=None)
    g = nx.DiGraph()
    for m in graph.modules:
        g.add_node(m)
        g.add_edges_from((m, t) for t in graph.find_modules_directly_imported_by(m))
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert cycles == [], cycles


def test_every_folder_says_what_it_holds_and_may_import():
    for init in (ROOT / "src" / "reliefplan").glob("*/__init__.py"):
        text = init.read_text(encoding="utf-8")
        assert text.startswith('"""') and "import" in text.split('"""')[1], init
