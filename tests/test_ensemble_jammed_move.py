"""An ensemble member whose roads jam (Rafah `full`: everyone moves, the expanded min-cost flow runs) equals a cold
plan of its own draws, move included, after an earlier member warmed the worker."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, assert_same_key_results

from reliefplan.analysis import ensemble, ensemble_member
from reliefplan.pipeline import run
from reliefplan.scenario.folder import load_scenario


@pytest.mark.slow
def test_jammed_member_move_equals_a_cold_plan_of_its_draws(tmp_path: Path, monkeypatch) -> None:
    import reliefplan.solvers.evacuation.exact as exact

    folder = tmp_path / "rafah"
    shutil.copytree(EXAMPLE, folder)
    cfg = yaml.safe_load((folder / "scenario.yaml").read_text())
    # the example's own draws without the supply ones: the move is the question
    cfg["uncertainty"] = {"parameters": cfg["uncertainty"]["parameters"]}
    cfg.setdefault("layout", {})["enabled"] = False
    (folder / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    solved = []
    real = exact._Expanded.min_cost_flows
    monkeypatch.setattr(exact._Expanded, "min_cost_flows", lambda self, ten: solved.append(ten.T) or real(self, ten))

    members = ensemble.draw_members(load_scenario(folder, "full"), 2, seed=1)
    key = str(folder.resolve())
    ensemble_member._STATE.clear()
    ensemble_member._SHELTERED.clear()
    ensemble.run_member(ensemble.MemberTask(key, "full", False, members[0]))  # warms the worker
    base, cache = ensemble_member._base(key, "full", False)
    warm = ensemble.plan_member(base, cache, members[1]).plan
    assert solved, "the roads jam: the expanded min-cost flow ran"
    cold_sc = ensemble.member_scenario(load_scenario(folder, "full"), members[1])
    cold_sc.layout = cold_sc.layout.model_copy(update={"enabled": False})
    cold = run(cold_sc, rows=False).plan
    strip = {"solve_time_s"}
    assert warm.evacuation.model_dump(exclude=strip) == cold.evacuation.model_dump(exclude=strip)
    assert_same_key_results(ensemble.key_results(warm), ensemble.key_results(cold))
