"""What the CLI prints: plain progress lines when redirected, tables that fit, standards as CSV/JSON,
scenario descriptions, whole people, ensemble workers per core."""

from __future__ import annotations

import csv
import io
import json
import os

from conftest import write_scenario
from rich.console import Console
from typer.testing import CliRunner

from reliefplan import terminal
from reliefplan.analysis.ensemble import default_workers
from reliefplan.cli import _outcome, app
from reliefplan.standards import load_standards
from reliefplan.words import outcome_words


def test_numbers_for_people():
    assert terminal.whole(1234.6) == "1,235" and terminal.whole(None) == "-" and terminal.whole(float("nan")) == "-"
    assert terminal.number(725209, "people") == "725,209"  # never 7.25e+05
    assert terminal.number(0.554, "share of need") == "55 %" and terminal.number(0.004, "share") == "0.4 %"
    assert terminal.number(16.66, "h") == "16.7" and terminal.number(3.8125, "trucks/day") == "3.81"
    assert [terminal.duration(s) for s in (4.4, 65, 7300)] == ["4 s", "1 min 05 s", "2 h 01 min"]


def test_ensemble_percentiles_print_whole_people():
    assert _outcome("unsheltered", 12345.6) == "12,346" and _outcome("shortfall_t.water", 2.4e5 + 0.4) == "240,000"
    assert _outcome("clearance_h", 21.333) == "21 h 20 min"
    assert _outcome("first_shortfall_day.water", 3.0) == "day 3"
    assert _outcome("first_shortfall_day.food", None) == "none within the horizon"
    # a health day read '4' and '—' under 'first health day.ipc5 food gap'; a shortfall day 'medical supplies falls'
    assert _outcome("first_health_day.ipc5_food_gap", 4.0) == "day 4"
    assert _outcome("first_health_day.ipc5_gam", None) == "not within the horizon"
    assert outcome_words("first_health_day.ipc5_food_gap") == "first day health threshold ipc5 food gap crossed"
    assert outcome_words("first_shortfall_day.medical") == "first day medical supplies short"


def test_default_workers_one_per_core_at_most_one_per_member():
    cores = len(os.sched_getaffinity(0))
    assert default_workers(1000) == cores and default_workers(1) == 1 and default_workers(0) == 1


def test_plain_progress_lines_when_redirected():
    buf = io.StringIO()
    con = Console(file=buf, width=100)
    assert not con.is_terminal
    with terminal.progress(con, "members", total=20) as p:
        for _ in range(20):
            p.advance()
    lines = buf.getvalue().splitlines()
    # one line per tenth, each with the count, the share and the elapsed time
    assert len(lines) == 10 and lines[0].endswith("members: 2 of 20 done (10 %), about 0 s left")
    assert lines[-1].endswith("members: 20 of 20 done (100 %)") and lines[-1].startswith("[")
    buf.truncate(0)
    buf.seek(0)
    with terminal.progress(con, "loading") as p:
        for stage in ("siting", "siting", "supply"):
            p.stage(stage)
    assert [ln.split("] ", 1)[1] for ln in buf.getvalue().splitlines()] == ["loading", "siting", "supply"]


def test_redirected_output_is_not_cut_at_80_columns(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal.fit(Console(file=io.StringIO())).width == terminal.REDIRECTED_WIDTH
    monkeypatch.setenv("COLUMNS", "132")
    assert terminal.fit(Console(file=io.StringIO())).width == 132


def test_plan_run_prints_progress_and_the_page_to_open(tmp_path):
    d = write_scenario(tmp_path / "sc")
    res = CliRunner().invoke(app, ["plan", str(d), "-s", "main", "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "] loading scenario" in res.stderr and "] siting" in res.stderr  # plain lines: stderr is not a TTY
    assert f"open {tmp_path / 'out' / 'report.html'}" in res.stdout
    assert "tables/*.csv" in res.stdout


def test_standards_show_formats(monkeypatch):
    std = load_standards("unhcr-emergency")
    r = CliRunner()
    rows = list(
        csv.DictReader(io.StringIO(r.invoke(app, ["standards", "show", "unhcr-emergency", "-f", "csv"]).stdout))
    )
    assert [x["key"] for x in rows] == list(std.figures)
    water = next(x for x in rows if x["key"] == "water_l_per_person_day")
    assert float(water["value"]) == std.value("water_l_per_person_day") and water["source"] and water["chapter"]
    data = json.loads(r.invoke(app, ["standards", "show", "sphere-2018", "--format", "json"]).stdout)
    assert data["figures"]["water_l_per_person_day"]["value"] == 15 and data["ration_basket"]["items"]
    assert r.invoke(app, ["standards", "show", "--format", "xml"]).exit_code == 2
    # the table fits an 80-column terminal: every figure once, no line longer than 80
    monkeypatch.setenv("COLUMNS", "80")
    out = r.invoke(app, ["standards", "show"]).stdout
    assert max(len(ln) for ln in out.splitlines()) <= 80
    assert all(k in out.replace("\n", "") or k[:20] in out for k in load_standards().figures)
    assert "[1] Sphere Association (2018)" in out


def test_scenarios_with_descriptions(tmp_path):
    d = write_scenario(
        tmp_path / "sc",
        config={
            "title": "Test place",
            "scenarios": {
                "main": {"footprints": ["op"], "description": "the whole footprint"},
                "second": {"footprints": ["op"]},
            },
        },
    )
    out = CliRunner().invoke(app, ["scenarios", str(d)]).stdout
    assert "Test place" in out and "the whole footprint" in out and "second" in out


def test_plan_run_ends_with_the_headline_and_counts_like_the_report(tmp_path):
    import re

    from reliefplan.analysis.headline import headline
    from reliefplan.outputs.files import read_plan

    folder = write_scenario(
        tmp_path / "sc",
        config={"horizon_days": 4, "layout": {"enabled": False}},
        entry_points="id,name,lon,lat,trucks_per_day\nKS,Kerem Shalom,34.27056,31.22083,10\n",
    )
    res = CliRunner().invoke(app, ["plan", str(folder), "--scenario", "main", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    h = headline(read_plan(tmp_path / "out" / "plan.json"))
    lines = res.output.splitlines()
    # the run ends with the headline, then the page to open
    start = next(i for i, ln in enumerate(lines) if ln.startswith("The plan does not hold for "))
    assert lines[-1].startswith("open ") and lines[-1].endswith("report.html in a browser (works offline)")
    assert start > next(i for i, ln in enumerate(lines) if ln.startswith("wrote "))
    m = re.search(r"fails ([\d,]+) of ([\d,]+) checks", lines[start])
    assert m and (int(m[1].replace(",", "")), int(m[2].replace(",", ""))) == (h.failed, h.checked)
    assert f"{h.failed:,} of {h.checked:,} checks not met" in res.output  # the verdict table's line agrees
    assert "What binds:" in res.output and "not computed for a single plan" in res.output
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert f'data-failed="{h.failed}" data-checked="{h.checked}"' in html  # and so does the report
    assert f'<span class="v">{h.failed:,} of {h.checked:,}</span><span class="k">checks not met</span>' in html
