"""Property: bad input never crashes, hangs, writes non-finite numbers or loses people (see fuzzing.py).

`make test` runs a few dozen derandomised cases; `make fuzz` runs RELIEFPLAN_FUZZ_CASES (>= 2,000) random ones,
counts every outcome instead of stopping at the first defect, and writes RELIEFPLAN_FUZZ_REPORT (JSON).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from fuzzing import Mutation, Runner, mutations, run_case, summarise
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CASES = int(os.environ.get("RELIEFPLAN_FUZZ_CASES", "30"))
REPORT = os.environ.get("RELIEFPLAN_FUZZ_REPORT")  # set: count every outcome, fail once at the end
TIMEOUT_S = float(os.environ.get("RELIEFPLAN_FUZZ_TIMEOUT_S", "90"))
OUTCOMES: list = []


@pytest.fixture(scope="module")
def runner():
    r = Runner(timeout_s=TIMEOUT_S)
    yield r
    r.stop()


@settings(
    max_examples=CASES,
    deadline=None,
    derandomize=REPORT is None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    muts=mutations(),
    scenario=st.sampled_from(["main", "main", "observed"]),
    package=st.sampled_from([None, None, "tents", "series"]),
)
def test_bad_input_never_crashes(runner, tmp_path_factory, muts, scenario, package):
    root = tmp_path_factory.mktemp("fuzz", numbered=True)
    outcome = run_case(runner, root, muts, scenario, package)
    OUTCOMES.append((muts, f"{scenario}/{package}", outcome))
    if REPORT is not None:
        if len(OUTCOMES) % 100 == 0:  # progress a person can follow: the counts so far
            Path(REPORT).parent.mkdir(parents=True, exist_ok=True)
            Path(REPORT + ".partial").write_text(json.dumps(summarise(OUTCOMES), indent=1) + "\n")
        return
    assert outcome.kind in ("error", "plan"), f"{outcome.kind} at {outcome.where}: {outcome.message}\n{muts}"
    assert not outcome.defects, outcome.defects


def test_known_defects_stay_fixed(runner, tmp_path):
    """One case per distinct crash place, hang or defect the fuzz found before issue 17 (tests/data)."""
    cases = json.loads((Path(__file__).parent / "data" / "fuzz_regressions.json").read_text(), parse_constant=float)
    for case in cases:
        muts = [Mutation(m["kind"], m["file"], tuple(m["path"]), m["value"]) for m in case["mutations"]]
        scenario, package = case["case"].split("/")
        o = run_case(runner, tmp_path, muts, scenario, None if package == "None" else package)
        assert o.kind in ("error", "plan") and not o.defects, (case["before"], o)


def test_fuzz_report():
    """With RELIEFPLAN_FUZZ_REPORT: write the counts; crashes, hangs and defects must all be 0."""
    if REPORT is None:
        pytest.skip(reason="only under `make fuzz`, which sets RELIEFPLAN_FUZZ_REPORT: this test writes its report")
    s = summarise(OUTCOMES) | {"timeout_s": TIMEOUT_S, "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
    s["examples"] = [
        {
            "case": where,
            "outcome": o.kind,
            "at": o.where,
            "message": o.message[:300],
            "defects": o.defects,
            "mutations": [m.__dict__ for m in muts],
        }
        for muts, where, o in OUTCOMES
        if o.kind in ("crash", "hang") or o.defects
    ][:60]
    Path(REPORT).parent.mkdir(parents=True, exist_ok=True)
    Path(REPORT).write_text(json.dumps(s, indent=1, default=repr) + "\n")
    print(json.dumps({k: v for k, v in s.items() if k != "examples"}, indent=1, default=repr), file=sys.stderr)
    assert (s["crash"], s["hang"], s["non_finite"], s["conservation_breaks"]) == (0, 0, 0, 0), f"see {REPORT}"
    assert (s["errors_naming_no_file"], s["output_after_error"], s["incomplete_or_temp_outputs"]) == (0, 0, 0)
