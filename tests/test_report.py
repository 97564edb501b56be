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
    for s in ("evacuation", "supply", "sustain", "layout"):
        assert re.search(rf"{s}</code> stage|{re.escape(views.EXPECTED_SECTIONS[s])}</b>: not computed in this plan",
                         html)
    assert html.count("not computed in this plan") == 8  # 4 charts + 4 sections
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
    assert html.count("not computed in this plan") == 1  # only camp layouts
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
