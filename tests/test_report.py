"""report.html and comparison.html: content checks, then the real thing in headless Chromium.

Browser tests need Debian's `chromium` (/usr/bin/chromium, installed by .ci/run) and the `playwright` Python
package (driver only; never `playwright install`). Without them they skip locally and FAIL when CI is set.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import shapely
from conftest import EXAMPLE, fc, feat, planned, square, write_scenario

from reliefplan.compare import compare
from reliefplan.layers import Layer
from reliefplan.plan import Plan
from reliefplan.report import (
    read_attribution,
    render_comparison,
    render_report,
    views,
    write_comparison,
    write_report,
)

CHROMIUM = Path(os.environ.get("RELIEFPLAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ATTRIBUTION = "# Attribution\n\n| file | source |\n|---|---|\n| zones | **Test** data <script>x</script> |\n"


_planned = planned


def _with_sections(plan: Plan) -> Plan:
    arrivals = [{"sink": s, "sink_index": i, "t_s": t * 1800.0, "people": 100 * t}
                for i, s in enumerate(("S1", "S2")) for t in range(1, 5)]
    entry_use = [{"entry_point": e, "day": d, "capacity_t": 2000.0, "used_t": 100.0 * d, "trucks_available": 100.0,
                  "trucks_used": 5 * d, "by_commodity_t": {"food": 1.0}} for e in ("KS", "RC") for d in range(3)]
    deliveries = [{"day": d, "site": s, "commodity": c, "required_t": 10.0, "delivered_t": 8.0, "shortfall_t": 2.0}
                  for d in range(3) for s in ("S1", "S2") for c in ("food", "water")]
    commodities = [{"commodity": c, "required_t": 30.0, "shortfall_t": 3.0, "first_shortfall_day": 1,
                    "coverage_by_day": [1.0, 0.9, 0.8 if c == "food" else 0.7]} for c in ("food", "water")]
    return plan.model_copy(update=dict(
                    evacuation={"status": "optimal", "clearance_s": 7200.0, "arrivals": arrivals,
                                "bottlenecks": [{"from": "n1", "to": "n2", "saturated_s": 1800.0}]},
                    supply={"status": "optimal", "first_shortfall_day": 1, "deliveries": deliveries,
                            "entry_use": entry_use},
                    sustain={"first_shortfall_day": 1, "shortfall_t": {"food": 3.0, "water": 3.0},
                             "commodities": commodities}))


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Plan, dict[str, Layer]]:
    zones = fc([feat({"id": "A", "population": 10000, "name": "zone A", "pcode": "PS0275"}, square(0, 0)),
                feat({"id": "B", "population": 10000, "name": "</script><b>zone B</b>"}, square(1, 0))])
    plan, layers = _planned(write_scenario(tmp_path_factory.mktemp("report") / "sc", zones=zones))
    layers = dict(layers)
    layers["bottlenecks"] = Layer("bottlenecks", "LineString",
                                  [shapely.LineString([(34.255, 31.285), (34.255, 31.30)])],
                                  [{"from": "n1", "to": "n2", "saturated_s": 1800.0}])
    return plan, layers


def _data(html: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert m, "data block missing"
    return json.loads(m.group(1))


# ---- content (no browser) ------------------------------------------------------------------------


def test_report_is_self_contained(small):
    plan, layers = small
    html = render_report(plan, layers, attribution=ATTRIBUTION)
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", html, re.I)
    assert not re.search(r"<link\b", html, re.I)
    assert "sourceMappingURL" not in html
    assert "default-src 'none'" in html  # CSP: the browser itself refuses any request
    assert "url(images/" not in html and "data:image/png;base64," in html
    assert html.count("<script>") == 3  # leaflet, chart.js, report.js, all inline


def test_report_content(small):
    plan, layers = small
    html = render_report(plan, layers, attribution=ATTRIBUTION)
    data = _data(html)
    assert [m["id"] for m in data["maps"]] == ["map"]
    names = [ly["name"] for ly in data["maps"][0]["layers"]]
    assert names == ["zones", "footprint", "sites", "bottlenecks", "flows", "entry_points"]
    assert sum(len(ly["geojson"]["features"]) for ly in data["maps"][0]["layers"]) == sum(
        len(ly.geometries) for ly in layers.values())
    assert {c["id"] for c in data["charts"]} == {"people", "zones", "sites", "trucks", "departures"}
    people = next(c for c in data["charts"] if c["id"] == "people")
    assert people["datasets"][0]["data"] == [10000, plan.people.sheltered, plan.people.unsheltered, 10000]
    # optional stages absent: said plainly
    for s in ("evacuation", "supply", "sustain", "groups", "layout"):
        assert re.search(rf"{s}</code> stage|{re.escape(views.EXPECTED_SECTIONS[s])}</b>: not computed in this plan",
                         html)
    assert html.count("not computed in this plan") == 9  # 4 charts + 5 sections
    # the verdict with numbered sources
    for i in plan.verdict:
        assert i.indicator in html
    assert all(f'id="src-{n}"' in html for n in range(1, len({i.source for i in plan.verdict}) + 1))
    # attribution: markdown rendered, raw HTML in it escaped; hostile names escaped everywhere
    assert "<table>" in html and "<strong>Test</strong>" in html and "<script>x</script>" not in html
    assert "<b>zone B</b>" not in html and "</script><b>" not in html


def test_report_without_attribution_says_so(small):
    plan, layers = small
    assert "No attribution was given" in render_report(plan, layers)


def test_present_sections_are_rendered(small):
    plan, layers = small
    html = render_report(_with_sections(plan), layers)
    assert html.count("not computed in this plan") == 2  # camp layouts and the groups (no supply plan made them)
    charts = {c["id"]: c for c in _data(html)["charts"]}
    arr = charts["evacuation-arrivals-people"]
    assert arr["type"] == "line" and arr["labels"] == ["0.5", "1", "1.5", "2"] and arr["x_title"] == "hours"
    assert [d["label"] for d in arr["datasets"]] == ["S1", "S2"] and arr["datasets"][0]["data"] == [100, 200, 300, 400]
    assert charts["evacuation-arrivals-people-cumulative"]["datasets"][1]["data"] == [100, 300, 600, 1000]
    # trucks used vs available per crossing: one chart, one line per crossing and value
    trucks = charts["supply-entry_use-trucks"]
    assert [d["label"] for d in trucks["datasets"]] == ["KS: trucks available", "KS: trucks used",
                                                        "RC: trucks available", "RC: trucks used"]
    assert trucks["datasets"][1]["data"] == [0, 5, 10] and trucks["labels"] == ["0", "1", "2"]
    # deliveries summed over sites; tonnes share one chart (shortfall first) while it has <= 10 lines
    t = charts["supply-deliveries-t"]
    assert [d["label"] for d in t["datasets"]][:3] == ["food: shortfall t", "food: delivered t", "food: required t"]
    assert t["datasets"][0]["data"] == [4, 4, 4] and len(t["datasets"]) == 6
    # daily coverage per commodity from per-day lists
    cov = charts["sustain-commodities-coverage_by_day"]
    assert [d["label"] for d in cov["datasets"]] == ["food", "water"] and cov["datasets"][1]["data"] == [1, 0.9, 0.7]
    assert charts["sustain-commodities"]["labels"] == ["food", "water"]
    assert "clearance_s" in html and "7,200" in html and "shortfall_t.food" in html


def test_short_labels():
    labs = [f"Humanitarian zone - block {i}" for i in range(8)]
    assert views.short_labels(labs) == ([str(i) for i in range(8)], "Humanitarian zone - block")
    assert views.short_labels(["a", "b"]) == (["a", "b"], "")
    assert views.short_labels([f"block {i}" for i in range(8)] + ["block"]) [1] == ""


def test_overlay_charts_union_and_shared_series():
    a = [views._chart("sites", "t", ["x", "y"], [{"label": "capacity", "data": [5, 6]},
                                                 {"label": "people", "data": [1, 2]}])]
    b = [views._chart("sites", "t", ["x", "y", "z"], [{"label": "capacity", "data": [5, 6, 7]},
                                                      {"label": "people", "data": [0, 2, 3]}]),
         views._chart("only-b", "u", ["q"], [{"label": "n", "data": [1]}])]
    out = views.overlay_charts(a, b, "A", "B")
    assert [c["id"] for c in out] == ["sites", "only-b"] and out[1]["title"] == "u (B only)"
    ds = {d["label"]: (d["tone"], d["data"]) for d in out[0]["datasets"]}
    assert out[0]["labels"] == ["x", "y", "z"]
    assert ds == {"A: capacity": ("a", [5, 6, None]), "A: people": ("a", [1, 2, None]),
                  "B: capacity": ("b", [5, 6, 7]), "B: people": ("b", [0, 2, 3])}
    same = views.overlay_charts(a, a, "A", "B")[0]["datasets"]
    assert [d["label"] for d in same] == ["A and B: capacity", "A and B: people"]


def test_comparison_content(small, tmp_path):
    plan, layers = small
    other = plan.model_copy(update={"scenario": "other"})
    html = render_comparison(plan, layers, other, layers, attribution=ATTRIBUTION)
    data = _data(html)
    assert [m["id"] for m in data["maps"]] == ["map-a", "map-b"] and data["sync_maps"] is True
    rows = compare(plan, other)
    assert html.count("<tr><td>") >= len(rows)
    for r in rows:
        assert f"<td>{r.key}</td>" in html
    people = next(c for c in data["charts"] if c["id"] == "people")
    assert [d["label"] for d in people["datasets"]] == ["main and other: people"]  # identical: drawn once
    path = write_comparison(plan, layers, other, layers, tmp_path, attribution=ATTRIBUTION)
    assert path == tmp_path / "comparison.html" and path.read_text(encoding="utf-8") == html


# ---- in headless Chromium -----------------------------------------------------------------------------


def _need_browser() -> None:
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright Python package is not installed (pip install playwright)")
    if problems:
        msg = "browser tests need " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900}, service_workers="block")
        yield ctx
        ctx.close()


_PROBE = """() => {
  const canvases = [...document.querySelectorAll('canvas[id^="chart-"]')];
  return {
    ready: document.documentElement.dataset.ready === '1',
    maps: [...document.querySelectorAll('.map')].map(m => ({
      id: m.id, drawn: m.dataset.drawn === '1',
      paths: m.querySelectorAll('.leaflet-overlay-pane svg path').length,
      markers: m.querySelectorAll('.leaflet-marker-icon').length})),
    charts: canvases.map(c => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
      return {id: c.id, painted: painted, w: c.width, h: c.height};
    }),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
}"""

_VARIANCE = """async (b64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0, s = 0, s2 = 0;
  for (let i = 0; i < d.length; i += 4) { const v = (d[i] + d[i + 1] + d[i + 2]) / 3; n++; s += v; s2 += v * v; }
  return s2 / n - (s / n) ** 2;
}"""


def _open(ctx, path: Path, viewport: dict[str, int] | None = None) -> tuple[dict[str, Any], bytes, list, list]:
    page = ctx.new_page()
    if viewport:
        page.set_viewport_size(viewport)
    console, requests = [], []
    page.on("console", lambda m: console.append((m.type, m.text)) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(("pageerror", str(e))))
    page.on("requestfailed", lambda r: console.append(("requestfailed", r.url)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("html[data-ready='1']", timeout=15000)
    probe = page.evaluate(_PROBE)
    shot = page.screenshot()
    page.close()
    return probe, shot, console, requests


def _variance(ctx, png: bytes) -> float:
    page = ctx.new_page()
    try:
        return float(page.evaluate(_VARIANCE, base64.b64encode(png).decode("ascii")))
    finally:
        page.close()


def _assert_page_ok(ctx, path: Path, n_maps: int, charts: set[str]) -> dict[str, Any]:
    probe, shot, console, requests = _open(ctx, path)
    assert console == []
    assert requests and all(u.startswith(("file://", "data:")) for u in requests), requests
    assert probe["ready"]
    assert len(probe["maps"]) == n_maps
    for m in probe["maps"]:
        assert m["drawn"] and m["paths"] > 0 and m["markers"] > 0, m
    got = {c["id"].removeprefix("chart-"): c for c in probe["charts"]}
    assert charts <= set(got), (charts, set(got))
    for c in got.values():
        assert c["w"] > 100 and c["h"] > 100 and c["painted"] > 0.01 * c["w"] * c["h"], c
    assert probe["overflow"] <= 1
    assert _variance(ctx, shot) > 100.0  # not a blank or single-colour screenshot
    return probe


def test_report_in_chromium(browser, small, tmp_path):
    plan, layers = small
    path = write_report(_with_sections(plan), layers, tmp_path, attribution=ATTRIBUTION)
    probe = _assert_page_ok(browser, path, 1, {"people", "zones", "sites", "trucks", "departures",
                                              "evacuation-arrivals-people", "supply-entry_use-trucks",
                                              "sustain-commodities-coverage_by_day"})
    # zones, footprint, 2 sites, bottleneck, flow(s): one SVG path each
    n_paths = sum(len(ly.geometries) for k, ly in layers.items() if k != "entry_points")
    assert probe["maps"][0]["paths"] == n_paths


def test_report_on_a_phone(browser, small, tmp_path):
    plan, layers = small
    path = write_report(plan, layers, tmp_path, attribution=ATTRIBUTION)
    probe, shot, console, _ = _open(browser, path, {"width": 390, "height": 844})
    assert console == [] and probe["overflow"] <= 1  # nothing wider than the phone
    assert probe["maps"][0]["paths"] > 0 and all(c["painted"] > 0 for c in probe["charts"])


def test_comparison_in_chromium(browser, small, tmp_path):
    plan, layers = small
    other = plan.model_copy(update={"scenario": "other"})
    path = write_comparison(plan, layers, other, layers, tmp_path)
    _assert_page_ok(browser, path, 2, {"people", "zones", "sites", "trucks", "departures"})


def test_rafah_report_and_comparison_in_chromium(browser, tmp_path):
    plans = {name: _planned(EXAMPLE, name) for name in ("targeted", "full")}
    attribution = read_attribution(EXAMPLE)
    assert attribution and "OCHA" in attribution
    for name, (plan, layers) in plans.items():
        path = write_report(plan, layers, tmp_path / name, attribution=attribution)
        probe = _assert_page_ok(browser, path, 1, {"people", "zones", "sites", "trucks"})
        assert probe["maps"][0]["markers"] == len(plan.entry_points) == 2
        assert "OCHA" in path.read_text(encoding="utf-8")
    path = write_comparison(*plans["targeted"], *plans["full"], tmp_path, attribution=attribution)
    _assert_page_ok(browser, path, 2, {"people", "zones", "sites", "trucks"})


def test_plan_products_and_comparison_from_files(small, tmp_path):
    from reliefplan.output import write_plan
    from reliefplan.report import write_comparison_from_files, write_plan_products

    plan, layers = small
    other = plan.model_copy(update={"scenario": "other"})
    for p in (plan, other):
        write_plan(p, tmp_path / p.scenario)
        paths = write_plan_products(p, layers, tmp_path / p.scenario, attribution=ATTRIBUTION)
        names = {x.relative_to(tmp_path / p.scenario).as_posix() for x in paths}
        assert {"plan.gpkg", "tables/verdict.csv", "ATTRIBUTION.md", "report.html"} <= names
        assert all(x.is_file() for x in paths)
        assert 'href="tables/people_by_site.csv"' in (tmp_path / p.scenario / "report.html").read_text("utf-8")
    out = write_comparison_from_files(tmp_path / "main" / "plan.json", tmp_path / "other" / "plan.json",
                                      tmp_path / "cmp")
    html = out.read_text(encoding="utf-8")
    assert out == tmp_path / "cmp" / "comparison.html" and "<strong>Test</strong>" in html
    data = _data(html)
    assert [len(m["layers"]) for m in data["maps"]] == [len(layers)] * 2


def test_camp_layouts_are_rendered_when_present(tmp_path):
    plan, layers = _planned(write_scenario(tmp_path / "sc"), layouts=True)
    assert plan.layout
    html = render_report(plan, layers)
    assert "max_plot_to_water_m" in html
    assert f"{views.EXPECTED_SECTIONS['layout']}</b>: not computed" not in html


def test_ensemble_page_in_chromium(browser, tmp_path):
    from reliefplan.report import write_ensemble_report

    summary = {
        "scenario": "main", "members": 3, "ok": 3, "failed": [], "seed": 5, "engine": "local", "workers": 1,
        "conserved_in_every_member": True, "notes": ["n"],
        "outcomes": {"unsheltered": {"p10": 0, "p50": 10, "p90": 40, "mean": 15},
                     "shortfall_t.water": {"p10": 5, "p50": 9, "p90": 20, "mean": 11},
                     "shortfall_t.total": {"p10": 6, "p50": 10, "p90": 22, "mean": 12}},
        "p_no_shortfall_through_day": {"water": [1, 1, 0.67, 0.33], "food": [1, 1, 1, 1]},
        "sensitivity": {"shortfall_t.total": [{"input": "trucks", "spearman_rho": -0.9},
                                              {"input": "usable_fraction", "spearman_rho": 0.2}]},
        "verdict_p_met": {"water_need_met_share@scenario": {"p_met": 0.33, "n_assessed": 3},
                          "camp_population@site:S1": {"p_met": 1.0, "n_assessed": 3}},
    }
    path = write_ensemble_report(summary, tmp_path)
    html = path.read_text()
    assert "water_need_met_share" in html and "camp_population" not in html  # scenario-wide rows only
    probe, _shot, console, requests = _open(browser, path)
    assert console == [] and all(u.startswith(("file://", "data:")) for u in requests)
    got = {c["id"].removeprefix("chart-") for c in probe["charts"] if c["painted"] > 0}
    assert {"p-no-shortfall", "shortfall-fan", "tornado-shortfall_t.total"} <= got


# ---- assessment.html (package x scenario heat map) ------------------------------------------------------


def _assessment_pair(package: str, scenario: str, *, unsheltered: int = 0, failed: dict[str, int] | None = None,
                     additions: list[dict[str, Any]] | None = None, not_addressable: list[str] | None = None,
                     ) -> dict[str, Any]:
    failed = failed or {}
    short = "water_need_met_share" in failed
    return {"package": package, "scenario": scenario, "passed": not failed, "displaced": 100_000,
            "sheltered": 100_000 - unsheltered, "unsheltered": unsheltered, "clearance_hours": 31.5,
            "first_shortfall_day": {"food": None, "water": 4 if short else None},
            "shortfall_t": {"food": 0.0, "water": 2500.0 if short else 0.0}, "failed": failed,
            "binding": "entry capacity at KS" if failed else "none", "additions": additions or [],
            "not_addressable": not_addressable or [], "shelter_reused": scenario == "full", "seconds": 1.25}


def _assessment_data() -> dict[str, Any]:
    """2 packages x 2 scenarios as `Assessment.model_dump(mode="json")` gives them: one pair passes, one has
    three additions (verified yes / no / not re-solved, one with an amount JSON turned from inf to null)."""
    trucks = {"resource": "entry_capacity", "amount": 140.0, "unit": "trucks/day", "entry_point": "KS", "from_day": 3,
              "method": "parametric LP (least capacity with no shortfall), rounded up to whole trucks",
              "tolerance": "1 truck/day (139.20 exact)", "verified": True, "closes": ["water_need_met_share"],
              "text": "+140 trucks/day at KS from day 3"}
    land = {"resource": "new_land", "amount": 9.0, "unit": "km2", "entry_point": None, "from_day": 0,
            "method": "capacity formula (usable area / 45 m2 per person); location not chosen",
            "tolerance": "0.01 km2", "verified": False, "closes": ["displaced_people_sheltered_share"],
            "text": "+9.00 km2 of new usable site land <i>within</i> walking reach"}
    tents = {"resource": "tents", "amount": None, "unit": "tents", "entry_point": None, "from_day": 0,
             "method": "by hand: household sets short", "tolerance": "1 tent", "verified": None,
             "closes": ["shelter_nfi_need_met_share"], "text": "or, for shelter items only: +38,000 tents"}
    pairs = [
        _assessment_pair("none", "targeted", unsheltered=12_000,  # 12 % unsheltered, 2 failed -> level 3
                         failed={"water_need_met_share": 1, "displaced_people_sheltered_share": 1},
                         additions=[trucks, land, tents],
                         not_addressable=["evacuation_clearance_hours: road capacity and distance"]),
        _assessment_pair("none", "full", unsheltered=40_000,  # 40 % -> level 4
                         failed={"displaced_people_sheltered_share": 1, "camp_population": 3}, additions=[land]),
        _assessment_pair("tent-cities", "targeted"),  # passes
        _assessment_pair("tent-cities", "full", unsheltered=500,  # 0.5 %, 1 failed -> level 1
                         failed={"water_need_met_share": 1}, additions=[trucks]),
    ]
    return {"reliefplan_version": "9.9.9", "title": "Rafah & test", "addition_from_day": 3,
            "packages": [{"name": "none", "description": "pre-existing capacity", "extends": None,
                          "elements": ["nothing beyond the scenario as declared"], "assumptions": []},
                         {"name": "tent-cities", "description": "15 camps of ~25,000 tents", "extends": "none",
                          "elements": ["375,000 tents (household people each) from day 0"],
                          "assumptions": ["entry capacity that accompanied the proposal"]}],
            "scenarios": ["targeted", "full"], "pairs": pairs,
            "timings_s": {"shelter": 1.5, "supply_and_verdict": 2.25, "additions": 4.0},
            "notes": ["tolerances are stated per addition"]}


def _cell(html: str, package: str, scenario: str) -> str:
    m = re.search(rf'<td class="cell lvl-(\d)" id="cell-{package}--{scenario}" data-level="\1">(.*?)</td>', html,
                  re.DOTALL)
    assert m, (package, scenario)
    return m.group(0)


def test_assessment_levels():
    from reliefplan.report import assessment_level

    def lv(unsheltered: int, n_failed: int, displaced: int = 10_000) -> int:
        return assessment_level({"passed": False, "displaced": displaced, "unsheltered": unsheltered,
                                 "failed": {f"i{k}": 1 for k in range(n_failed)}})

    assert assessment_level({"passed": True, "displaced": 10, "unsheltered": 0, "failed": {}}) == 0
    assert [lv(99, 1), lv(100, 1), lv(999, 2), lv(1000, 1), lv(2999, 1), lv(3000, 0)] == [1, 2, 2, 3, 3, 4]
    assert [lv(0, 2), lv(0, 3), lv(0, 4), lv(0, 5), lv(0, 6), lv(0, 7)] == [1, 2, 2, 3, 3, 4]
    assert lv(0, 1, displaced=0) == 1 and lv(5000, 1) == 4  # the worse ladder wins


def test_assessment_page_content(tmp_path):
    from reliefplan.report import (
        ASSESSMENT_COLOURS,
        render_assessment,
        write_assessment_report,
    )

    data = _assessment_data()
    path = write_assessment_report(data, tmp_path)
    assert path == tmp_path / "assessment.html" and [p.name for p in tmp_path.iterdir()] == ["assessment.html"]
    html = path.read_text(encoding="utf-8")
    assert html == render_assessment(data)
    assert "<title>Rafah &amp; test — assistance packages — reliefplan</title>" in html
    assert "reliefplan 9.9.9" in html and "<b id=\"n-passed\">1 of 4</b>" in html
    levels = {(p, s): int(_cell(html, p, s).split('data-level="')[1][0])
              for p in ("none", "tent-cities") for s in ("targeted", "full")}
    assert levels == {("none", "targeted"): 3, ("none", "full"): 4, ("tent-cities", "targeted"): 0,
                      ("tent-cities", "full"): 1}
    for k, colour in ASSESSMENT_COLOURS.items():  # the class colours and the legend come from one table
        assert f".lvl-{k} {{ background: {colour};" in html
        assert f'<td class="sw lvl-{k}">' in html
    # rows in package order, columns in scenario order
    assert html.index('id="cell-none--targeted"') < html.index('id="cell-none--full"') \
        < html.index('id="cell-tent-cities--targeted"') < html.index('id="cell-tent-cities--full"')
    for p in ("none", "tent-cities"):
        for s in ("targeted", "full"):
            assert f'<a class="pair-link" href="pairs/{p}--{s}/plan.json">' in _cell(html, p, s)
    passed = _cell(html, "tent-cities", "targeted")
    assert "PASS" in passed and "Least additions" not in passed and "water: never" in passed
    worst = _cell(html, "none", "targeted")
    assert "FAIL · 3" in worst and "12,000 (12.0 % of 100,000)" in worst and "31.5 h" in worst
    assert "water: day 4 (2,500 t short)" in worst and "food: never" in worst
    assert "entry capacity at KS" in worst and "2 indicator(s)" in worst
    assert "+140 trucks/day at KS from day 3" in worst and "tolerance 1 truck/day (139.20 exact)" in worst
    assert "parametric LP (least capacity with no shortfall)" in worst
    assert "+9.00 km2 of new usable site land &lt;i&gt;within&lt;/i&gt; walking reach" in worst  # escaped
    assert [m for m in re.findall(r"verified: <b>(.*?)</b>", worst)] == ["yes", "no", "—"]
    assert "or, for shelter items only: +38,000 tents" in worst
    assert "evacuation_clearance_hours: road capacity and distance" in worst
    assert "camp_population ×3" in _cell(html, "none", "full")
    # packages, notes, timings
    assert "375,000 tents (household people each) from day 0" in html
    assert "entry capacity that accompanied the proposal" in html and "tolerances are stated per addition" in html
    assert "<td>supply_and_verdict</td><td class=\"n\">2.25</td>" in html
    charts = {c["id"]: c for c in _data(html)["charts"]}
    assert charts["unsheltered"]["labels"] == ["none", "tent-cities"]
    assert charts["unsheltered"]["datasets"] == [{"label": "targeted", "data": [12_000, 0]},
                                                 {"label": "full", "data": [40_000, 500]}]
    assert charts["failed"]["datasets"][1]["data"] == [2, 1]
    # offline: nothing to fetch; the only http(s) text is in the vendored libraries' comments and strings
    assert "default-src 'none'" in html
    # (Leaflet's unused attribution link is one); the CSP would block any fetch the page attempted anyway
    assert not re.search(r"""<(script|img|iframe|link)\b[^>]*\s(src|href)\s*=""", html, re.IGNORECASE)
    assert not re.search(r"""url\(\s*["']?\s*(https?:)?//|@import""", html, re.IGNORECASE)
    outside_scripts = re.sub(r"<script\b[^>]*>.*?</script>|/\*.*?\*/", "", html, flags=re.DOTALL | re.IGNORECASE)
    assert not re.search(r"https?:|(src|href)\s*=\s*[\"']?//", outside_scripts, re.IGNORECASE)
    assert outside_scripts.count('href="pairs/') == 4


def test_assessment_page_missing_pair_and_empty():
    from reliefplan.report import render_assessment

    data = _assessment_data()
    data["pairs"] = data["pairs"][:3]
    html = render_assessment(data)
    assert '<td class="cell none">not planned</td>' in html and "1 of 3" in html
    empty = render_assessment({"title": "t", "packages": [], "scenarios": [], "addition_from_day": 0, "pairs": [],
                               "timings_s": {}, "notes": []})
    assert "0 of 0" in empty and _data(empty)["charts"] == []


_MATRIX_PROBE = """() => {
  const w = document.getElementById('matrix-wrap');
  const cells = [...document.querySelectorAll('#matrix td.cell')];
  return {wrap: [w.scrollWidth, w.clientWidth], overflow: document.documentElement.scrollWidth - window.innerWidth,
          cells: cells.map(c => ({id: c.id, bg: getComputedStyle(c).backgroundColor,
                                  href: (c.querySelector('a.pair-link') || {}).href}))};
}"""


def _open_matrix(ctx, path: Path, viewport: dict[str, int]) -> tuple[dict[str, Any], list[str], list[str]]:
    page = ctx.new_page()
    page.set_viewport_size(viewport)
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("html[data-ready='1']", timeout=15000)
    probe = page.evaluate(_MATRIX_PROBE)
    page.close()
    return probe, errors, requests


def test_assessment_page_in_chromium(browser, tmp_path):
    from reliefplan.report import ASSESSMENT_COLOURS, write_assessment_report

    path = write_assessment_report(_assessment_data(), tmp_path)
    _assert_page_ok(browser, path, 0, {"unsheltered", "failed"})  # no console errors, no network, charts drawn

    def rgb(hex_colour: str) -> str:
        return "rgb({}, {}, {})".format(*(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)))

    levels = {"none--targeted": 3, "none--full": 4, "tent-cities--targeted": 0, "tent-cities--full": 1}
    for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
        probe, errors, requests = _open_matrix(browser, path, viewport)
        assert errors == [] and all(u.startswith(("file://", "data:")) for u in requests), (errors, requests)
        assert probe["overflow"] <= 1  # the page itself never scrolls sideways ...
        if viewport["width"] < 600:
            assert probe["wrap"][0] > probe["wrap"][1]  # ... the matrix does, on a phone
        got = {c["id"].removeprefix("cell-"): c for c in probe["cells"]}
        assert {k: c["bg"] for k, c in got.items()} == {k: rgb(ASSESSMENT_COLOURS[v]) for k, v in levels.items()}
        for key, c in got.items():
            assert c["href"] == (tmp_path / "pairs" / key / "plan.json").resolve().as_uri()
