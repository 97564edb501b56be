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

from reliefplan.analysis.compare import compare
from reliefplan.outputs.layers import Layer
from reliefplan.outputs.report import (
    read_attribution,
    render_comparison,
    render_report,
    views,
    write_comparison,
    write_report,
)
from reliefplan.plan import EvacuationTiming, Plan, SupplyPlan
from reliefplan.plan_supply import Sustain
from reliefplan.words import _chart

CHROMIUM = Path(os.environ.get("RELIEFPLAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ATTRIBUTION = "# Attribution\n\n| file | source |\n|---|---|\n| zones | **Test** data <script>x</script> |\n"


_planned = planned


def _with_sections(plan: Plan) -> Plan:
    """The optional stages in the shapes the pipeline writes them (movement_summary, supply_summary, sustain)."""
    arrivals = [{"site": s, "t_s": t * 1800.0, "people": 100 * t} for s in ("S1", "S2") for t in range(1, 5)]
    entry_use = [
        {
            "entry_point": e,
            "day": d,
            "capacity_t": 2000.0,
            "used_t": 100.0 * d,
            "trucks_available": 100.0,
            "trucks_used": 5 * d,
            "by_commodity_t": {"food": 10.0 * d, "water": 90.0 * d},
        }
        for e in ("KS", "RC")
        for d in range(3)
    ]
    daily = [
        {"day": d, "commodity": c, "required_t": 20.0, "delivered_t": 16.0, "produced_t": 0.0, "shortfall_t": 4.0}
        for d in range(3)
        for c in ("food", "water")
    ]
    deliveries = [
        {
            "day": d,
            "site": s,
            "commodity": c,
            "required_t": 10.0,
            "delivered_t": 8.0,
            "produced_t": 0.0,
            "consumed_t": 8.0,
            "stock_end_t": 0.0,
            "shortfall_t": 2.0,
        }
        for d in range(3)
        for s in ("S1", "S2")
        for c in ("food", "water")
    ]
    binding = [
        {
            "kind": "entry_capacity",
            "id": "KS",
            "first_day": 1,
            "last_day": 2,
            "step": 50.0,
            "step_unit": "trucks/day",
            "predicted_cut": 1234.5,
            "commodity": "water",
            "predicted_cut_t": 321.0,
            "shadow_price": [0.0, 1.5, 1.5],
            "text": "+50 trucks/day (1,000 t/day) at KS on days 1–2 would cut the water shortfall by up to about "
            "321 t (shadow price 1.5 per t/day of capacity and day; dual × change = 1,234)",
        }
    ]
    commodities = [
        {
            "commodity": c,
            "required_t": 60.0,
            "shortfall_t": 12.0,
            "met_share": 0.8,
            "owed_until_delivered": False,
            "first_shortfall_day": 1,
            "sites_short_first_day": ["S1", "S2"],
            "coverage_by_day": [1.0, 0.9, 0.8 if c == "food" else 0.7],
            "people_below_standard_by_day": [0, 500, 1000],
        }
        for c in ("food", "water")
    ]
    by_site = {c: {"S1": 1, "S2": 2 if c == "water" else None} for c in ("food", "water")}
    first = next(i for i in plan.verdict if i.scope == "scenario")
    verdict = list(plan.verdict) + [
        first.model_copy(
            update={
                "indicator": "water_need_met_share",
                "value": 0.8,
                "target": 1.0,
                "unit": "share of need",
                "met": False,
                "severity": "major",
                "note": f"short from day 1 | binding: {binding[0]['text']}",
            }
        )
    ]
    return plan.model_copy(
        update=dict(
            verdict=verdict,
            evacuation=EvacuationTiming.model_validate(
                {
                    "status": "optimal",
                    "method": "exact",
                    "routing": "free",
                    "time_step_s": 1800.0,
                    "departure": "spread",
                    "spread_h": 2.0,
                    "clearance_hours": 2.0,
                    "people_moving": 2000,
                    "arrived": 2000,
                    "not_arrived": 0,
                    "objective_person_s": 7.2e6,
                    "best_bound_person_s": 7.2e6,
                    "gap": 0.0,
                    "condensed": {"nodes": 4, "links": 6},
                    "arrivals": arrivals,
                    "bottlenecks": [
                        {
                            "link": 7,
                            "capacity_per_h": 900.0,
                            "saturated_from_h": 0.5,
                            "saturated_until_h": 1.25,
                            "max_queue_people": 300,
                            "max_delay_h": 0.75,
                            "coordinates": [[34.25, 31.28], [34.26, 31.29]],
                        }
                    ],
                    "explanations": [],
                }
            ),
            supply=SupplyPlan.model_validate(
                {
                    "status": "optimal",
                    "days": 3,
                    "entry_capacity": "declared",
                    "daily": daily,
                    "deliveries": deliveries,
                    "entry_use": entry_use,
                    "binding": binding,
                    "shortfall_t": {"food": 12.0, "water": 12.0},
                    "required_t": {"food": 60.0, "water": 60.0},
                    "first_shortfall_day": {"food": 0, "water": 0},
                    "fleet_trucks": 4,
                    "trucks_per_day": [3, 4, 4],
                    "objective": {"deprivation": 10.0, "truckloads": 11.0},
                    "best_bound": 10.0,
                    "gap": 0.0,
                    "max_conservation_residual_t": 0.0,
                    "sharing": "equal",
                    "carry_over": {"food": False, "water": False},
                    "payload_t": {"food": 20.0, "water": 30.0},
                    "payload_source": {"food": "test", "water": "test"},
                    "food_kcal_per_kg": 3500.0,
                    "entry_closures": {},
                    "local_water_m3_per_day": [0.0, 0.0, 0.0],
                    "locations": 2,
                }
            ),
            sustain=Sustain.model_validate(
                {
                    "first_shortfall_day": {"food": 1, "water": 1},
                    "shortfall_t": {"food": 12.0, "water": 12.0},
                    "commodities": commodities,
                    "first_shortfall_day_by_site": by_site,
                }
            ),
        )
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Plan, dict[str, Layer]]:
    zones = fc(
        [
            feat({"id": "A", "population": 10000, "name": "zone A", "pcode": "PS0275"}, square(0, 0)),
            feat({"id": "B", "population": 10000, "name": "</script><b>zone B</b>"}, square(1, 0)),
        ]
    )
    plan, layers = _planned(write_scenario(tmp_path_factory.mktemp("report") / "sc", zones=zones))
    layers = dict(layers)
    layers["bottlenecks"] = Layer(
        "bottlenecks",
        "LineString",
        [shapely.LineString([(34.255, 31.285), (34.255, 31.30)])],
        [{"from": "n1", "to": "n2", "saturated_s": 1800.0}],
    )
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
        len(ly.geometries) for ly in layers.values()
    )
    assert {c["id"] for c in data["charts"]} == {"people", "zones", "sites", "trucks"}  # departures: one day only
    people = next(c for c in data["charts"] if c["id"] == "people")
    assert people["datasets"][0]["data"] == [10000, plan.people.sheltered, plan.people.unsheltered, 10000]
    # optional stages absent: said plainly
    for s in ("evacuation", "supply", "sustain", "groups", "layout"):
        assert re.search(
            rf"{s}</code> stage|{re.escape(views.EXPECTED_SECTIONS[s])}</b>: not computed in this plan", html
        )
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
    full = _with_sections(plan)
    html = render_report(full, layers)
    assert html.count("not computed in this plan") == 2  # camp layouts and the groups (no supply plan made them)
    charts = {c["id"]: c for c in _data(html)["charts"]}
    # arrivals: hours as h:mm, axes and titles in words
    arr = charts["evacuation-arrivals"]
    # (arrivals at 0:30, 1:00, 1:30, 2:00 of 200, 400, 600, 800 people, binned by 10 minutes)
    assert arr["labels"] == [
        "0:10",
        "0:20",
        "0:30",
        "0:40",
        "0:50",
        "1:00",
        "1:10",
        "1:20",
        "1:30",
        "1:40",
        "1:50",
        "2:00",
    ]
    assert arr["x_title"] == "time since departures began (h:mm, end of each 10 minutes)"
    assert arr["title"] == "People reaching their sites, per 10 minutes"
    assert arr["datasets"][0]["data"] == [0, 0, 200, 0, 0, 400, 0, 0, 600, 0, 0, 800]
    assert charts["evacuation-arrived"]["datasets"][0]["data"][2::3] == [200, 600, 1200, 2000]
    # trucks used and available per crossing: one line each, available dashed
    trucks = charts["supply-trucks"]
    # crossings by name (RC is not an entry point of this plan: shown by its id)
    assert [d["label"] for d in trucks["datasets"]] == [
        "Kerem Shalom: used",
        "Kerem Shalom: available",
        "RC: used",
        "RC: available",
    ]
    assert trucks["datasets"][0]["data"] == [0, 5, 10] and trucks["datasets"][1].get("dash") is True
    # one colour per commodity on every chart
    from reliefplan.words import COMMODITY_COLOURS

    for cid in ("coverage", "supply-shortfall", "supply-carried", "sustain-people-below"):
        got = {d["label"]: d["color"] for d in charts[cid]["datasets"]}
        assert got == {"food": COMMODITY_COLOURS["food"], "water": COMMODITY_COLOURS["water"]}, cid
    cov = charts["coverage"]
    assert cov["percent"] and cov["datasets"][1]["data"] == [100, 90, 70] and cov["y_title"] == "% of the day's need"
    assert charts["supply-shortfall"]["datasets"][0]["data"] == [4, 4, 4]
    # no raw key dumps: tables a person reads
    assert "first_shortfall_day_by_site" not in html and "shortfall_t.food" not in html
    assert "First day short at each site: 2 of 2 sites short of something" in html
    assert '<td>S2</td><td class="n">day 2</td><td class="n">day 2</td>' not in html  # food at S2: never
    assert '<td>S2</td><td class="n">—</td><td class="n">day 2</td>' in html
    assert "21 h" not in html and "2 h" in html  # clearance formatted
    # the binding constraint in plain words, the solver's note one click away
    plain = "+50 trucks/day at Kerem Shalom from day 1 to day 2 would cut the water shortfall by up to about 321 t."
    assert plain in html
    assert re.search(
        r"<details class=\"tech\"><summary>technical note</summary>\+50 trucks/day \(1,000 t/day\) at KS"
        r" on days 1–2 would cut the water shortfall by up to about 321 t \(shadow price 1.5",
        html,
    )
    verdict_note = next(r for r in views.verdict_view(full)["scenario"] if r["indicator"] == "water_need_met_share")
    assert verdict_note["note"] == "short from day 1 | binding: " + plain.rstrip(".")
    assert "dual ×" in verdict_note["detail"]


def test_empty_charts_are_left_out_with_a_reason(small):
    plan, layers = small
    html = render_report(plan, layers)
    # every displaced person leaves on day 0: one bar says nothing, a sentence says it
    assert "chart-departures" not in html
    assert (
        "<b>People leaving the operation area per day</b>: not drawn — everyone leaves on day 0: 10,000 people." in html
    )
    no_short = _with_sections(plan)
    no_short.supply.daily = [r.model_copy(update={"shortfall_t": 0.0}) for r in no_short.supply.daily]
    html = render_report(no_short, layers)
    assert "chart-supply-shortfall" not in html and "no commodity falls short on any day" in html


def test_a_stage_of_an_unknown_shape_is_shown_as_stored(small):
    plan, layers = small
    odd = plan.model_copy(update={"supply": {"status": "optimal", "first_shortfall_day": 1, "daily": "?"}})
    html = render_report(odd, layers)
    assert "Shown as the plan stores it" in html and "first shortfall day" in html


def test_short_labels():
    labs = [f"Humanitarian zone - block {i}" for i in range(8)]
    assert views.short_labels(labs) == ([str(i) for i in range(8)], "Humanitarian zone - block")
    assert views.short_labels(["a", "b"]) == (["a", "b"], "")
    assert views.short_labels([f"block {i}" for i in range(8)] + ["block"])[1] == ""


def test_overlay_charts_union_and_shared_series():
    a = [_chart("sites", "t", ["x", "y"], [{"label": "capacity", "data": [5, 6]}, {"label": "people", "data": [1, 2]}])]
    b = [
        _chart(
            "sites",
            "t",
            ["x", "y", "z"],
            [{"label": "capacity", "data": [5, 6, 7]}, {"label": "people", "data": [0, 2, 3]}],
        ),
        _chart("only-b", "u", ["q"], [{"label": "n", "data": [1]}]),
    ]
    out = views.overlay_charts(a, b, "A", "B")
    assert [c["id"] for c in out] == ["sites", "only-b"] and out[1]["title"] == "u (B only)"
    ds = {d["label"]: (d["tone"], d["data"]) for d in out[0]["datasets"]}
    assert out[0]["labels"] == ["x", "y", "z"]
    assert ds == {
        "A: capacity": ("a", [5, 6, None]),
        "A: people": ("a", [1, 2, None]),
        "B: capacity": ("b", [5, 6, 7]),
        "B: people": ("b", [0, 2, 3]),
    }
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
        pytest.skip(reason=msg)  # no browser here; CI installs one, and fails above without it


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            service_workers="block",
        )
        yield ctx
        ctx.close()


_PROBE = """() => {
  const canvases = [...document.querySelectorAll('canvas[id^="chart-"]')];
  return {
    ready: document.documentElement.dataset.ready === '1',
    maps: [...document.querySelectorAll('.map')].map(m => ({
      id: m.id, drawn: m.dataset.drawn === '1',
      paths: m.querySelectorAll('.leaflet-overlay-pane svg path').length,
      markers: m.querySelectorAll('.leaflet-marker-icon').length,
      view: JSON.parse(m.dataset.view || 'null'), aoi: JSON.parse(m.dataset.aoi || 'null'),
      layers_on: m.dataset.layersOn || '',
      legend: (m.querySelector('.legend') || {}).textContent || ''})),
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


def watched_page(ctx) -> tuple[Any, list[str]]:
    """A new page and the list its console errors and warnings and page errors go to."""
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


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
    probe = _assert_page_ok(
        browser,
        path,
        1,
        {
            "people",
            "zones",
            "sites",
            "trucks",
            "evacuation-arrivals",
            "supply-trucks",
            "coverage",
            "sustain-people-below",
        },
    )
    # zones, footprint, 2 sites, bottleneck: one SVG path each; zone -> site moves are off until switched on
    n_paths = sum(len(ly.geometries) for k, ly in layers.items() if k not in ("entry_points", "flows"))
    m = probe["maps"][0]
    assert m["paths"] == n_paths and "flows" not in m["layers_on"].split(",")
    assert {"zones", "footprint", "sites", "bottlenecks", "entry_points"} <= set(m["layers_on"].split(","))
    # the legend names what is drawn, in the layer switcher's words, and nothing else
    assert "Operation area" in m["legend"] and "Shelter sites: worst verdict" in m["legend"]
    assert "Evacuation bottlenecks" in m["legend"] and "Zone → site moves" not in m["legend"]


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
    _assert_page_ok(browser, path, 2, {"people", "zones", "sites", "trucks"})


def test_rafah_report_and_comparison_in_chromium(browser, tmp_path):
    plans = {name: _planned(EXAMPLE, name) for name in ("targeted", "full")}
    attribution = read_attribution(EXAMPLE)
    assert attribution and "OCHA" in attribution
    for name, (plan, layers) in plans.items():
        path = write_report(plan, layers, tmp_path / name, attribution=attribution)
        probe = _assert_page_ok(browser, path, 1, {"people", "zones", "sites", "trucks"})
        m = probe["maps"][0]
        assert m["markers"] == len(plan.entry_points) == 2
        assert "OCHA" in path.read_text(encoding="utf-8")
        # the map opens on the area of interest (zones, operation area, sites), not on the whole road network
        aoi = shapely.total_bounds([g for k in ("zones", "footprint", "sites") for g in layers[k].geometries])
        roads = shapely.total_bounds(layers["roads"].geometries)
        assert m["aoi"] == pytest.approx(list(aoi), abs=2e-6)
        w, s_, e, n = m["view"]
        assert w <= aoi[0] and s_ <= aoi[1] and e >= aoi[2] and n >= aoi[3]  # all of it in view ...
        assert (n - s_) < 1.5 * (aoi[3] - aoi[1]) or (e - w) < 1.5 * (aoi[2] - aoi[0])  # ... and filling it
        assert n < roads[3]  # the roads run on north, off the first view
        # camp layouts appear from zoom 15 on (and not before), flows only when switched on
        assert not {"camp_blocks", "camp_firebreaks", "flows"} & set(m["layers_on"].split(","))
    path = write_comparison(*plans["targeted"], *plans["full"], tmp_path, attribution=attribution)
    _assert_page_ok(browser, path, 2, {"people", "zones", "sites", "trucks"})


def test_camp_layouts_show_from_zoom_15_and_flows_when_switched_on(browser, small, tmp_path):
    plan, layers = small
    layers = dict(layers)
    x, y = 34.2505, 31.3105  # inside site S1
    layers["camp_blocks"] = Layer(
        "camp_blocks",
        "MultiPolygon",
        [shapely.box(x + i * 0.001, y, x + i * 0.001 + 0.0008, y + 0.0008) for i in range(3)],
        [{"site_id": "S1", "block_id": i, "people": 1250} for i in range(3)],
    )
    path = write_report(plan, layers, tmp_path, attribution=ATTRIBUTION)
    page, errors = watched_page(browser)
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("html[data-ready='1']", timeout=15000)

    def state() -> tuple[list[str], str]:
        return (
            page.eval_on_selector("#map", "m => m.dataset.layersOn").split(","),
            page.eval_on_selector("#map .legend", "m => m.textContent"),
        )

    on, legend = state()
    assert "camp_blocks" not in on and "Camp layout: blocks: zoom in to see" in legend
    for _ in range(12):  # zoom in step by step until the layouts appear
        page.click("#map .leaflet-control-zoom-in")
        page.wait_for_timeout(150)
        if "camp_blocks" in state()[0]:
            break
    on, legend = state()
    assert "camp_blocks" in on and "zoom in to see" not in legend
    # the reader switches the zone -> site moves on in the layer switcher: drawn, and in the legend
    page.click("#map .leaflet-control-layers")  # expands it when collapsed
    page.locator("#map .leaflet-control-layers-overlays label", has_text="Zone → site moves").click()
    on, legend = state()
    assert "flows" in on and "line width ∝ √people" in legend
    page.close()
    assert errors == []


def test_plan_products_and_comparison_from_files(small, tmp_path):
    from reliefplan.outputs.files import write_plan
    from reliefplan.outputs.report import write_comparison_from_files, write_plan_products

    plan, layers = small
    other = plan.model_copy(update={"scenario": "other"})
    for p in (plan, other):
        write_plan(p, tmp_path / p.scenario)
        paths = write_plan_products(p, layers, tmp_path / p.scenario, attribution=ATTRIBUTION)
        names = {x.relative_to(tmp_path / p.scenario).as_posix() for x in paths}
        assert {"plan.gpkg", "tables/verdict.csv", "ATTRIBUTION.md", "report.html"} <= names
        assert all(x.is_file() for x in paths)
        assert 'href="tables/people_by_site.csv"' in (tmp_path / p.scenario / "report.html").read_text("utf-8")
    out = write_comparison_from_files(
        tmp_path / "main" / "plan.json", tmp_path / "other" / "plan.json", tmp_path / "cmp"
    )
    html = out.read_text(encoding="utf-8")
    assert out == tmp_path / "cmp" / "comparison.html" and "<strong>Test</strong>" in html
    data = _data(html)
    assert [len(m["layers"]) for m in data["maps"]] == [len(layers)] * 2


def test_camp_layouts_are_rendered_when_present(tmp_path):
    plan, layers = _planned(write_scenario(tmp_path / "sc"), layouts=True)
    assert plan.layout
    html = render_report(plan, layers)
    assert "farthest plot to water (m)" in html and "chart-layout-walks" in html
    assert f"{views.EXPECTED_SECTIONS['layout']}</b>: not computed" not in html


def test_ensemble_page_in_chromium(browser, tmp_path):
    from reliefplan.outputs.report import write_ensemble_report

    summary = {
        "scenario": "main",
        "members": 3,
        "ok": 3,
        "failed": [],
        "seed": 5,
        "engine": "local",
        "workers": 1,
        "conserved_in_every_member": True,
        "notes": ["n"],
        "outcomes": {
            "unsheltered": {"p10": 0, "p50": 10, "p90": 40, "mean": 15},
            "shortfall_t.water": {"p10": 5, "p50": 9, "p90": 20, "mean": 11},
            "shortfall_t.total": {"p10": 6, "p50": 10, "p90": 22, "mean": 12},
        },
        "p_no_shortfall_through_day": {"water": [1, 1, 0.67, 0.33], "food": [1, 1, 1, 1]},
        "sensitivity": {
            "shortfall_t.total": [
                {"input": "trucks", "spearman_rho": -0.9},
                {"input": "usable_fraction", "spearman_rho": 0.2},
            ]
        },
        "verdict_p_met": {
            "water_need_met_share@scenario": {"p_met": 0.33, "n_assessed": 3},
            "camp_population@site:S1": {"p_met": 1.0, "n_assessed": 3},
        },
    }
    path = write_ensemble_report(summary, tmp_path)
    html = path.read_text()
    assert "water_need_met_share" in html and "camp_population" not in html  # scenario-wide rows only
    probe, _shot, console, requests = _open(browser, path)
    assert console == [] and all(u.startswith(("file://", "data:")) for u in requests)
    got = {c["id"].removeprefix("chart-") for c in probe["charts"] if c["painted"] > 0}
    assert {"p-no-shortfall", "shortfall-fan", "tornado-shortfall_t.total"} <= got


# ---- assessment.html (package x scenario heat map) ------------------------------------------------------


def _assessment_pair(
    package: str,
    scenario: str,
    *,
    unsheltered: int = 0,
    failed: dict[str, int] | None = None,
    additions: list[dict[str, Any]] | None = None,
    not_addressable: list[str] | None = None,
) -> dict[str, Any]:
    failed = failed or {}
    short = "water_need_met_share" in failed
    return {
        "package": package,
        "scenario": scenario,
        "passed": not failed,
        "displaced": 100_000,
        "sheltered": 100_000 - unsheltered,
        "unsheltered": unsheltered,
        "clearance_hours": 31.5,
        "first_shortfall_day": {"food": None, "water": 4 if short else None},
        "shortfall_t": {"food": 0.0, "water": 2500.0 if short else 0.0},
        "failed": failed,
        "binding": "entry capacity at KS" if failed else "none",
        "additions": additions or [],
        "not_addressable": not_addressable or [],
        "shelter_reused": scenario == "full",
        "seconds": 1.25,
    }


def _assessment_data() -> dict[str, Any]:
    """2 packages x 2 scenarios as `Assessment.model_dump(mode="json")` gives them: one pair passes, one has
    three additions (verified yes / no / not re-solved, one with an amount JSON turned from inf to null)."""
    trucks = {
        "resource": "entry_capacity",
        "amount": 140.0,
        "unit": "trucks/day",
        "entry_point": "KS",
        "from_day": 3,
        "method": "parametric LP (least capacity with no shortfall), rounded up to whole trucks",
        "tolerance": "1 truck/day (139.20 exact)",
        "verified": True,
        "closes": ["water_need_met_share"],
        "text": "+140 trucks/day at KS from day 3",
    }
    land = {
        "resource": "new_land",
        "amount": 9.0,
        "unit": "km2",
        "entry_point": None,
        "from_day": 0,
        "method": "capacity formula (usable area / 45 m2 per person); location not chosen",
        "tolerance": "0.01 km2",
        "verified": False,
        "closes": ["displaced_people_sheltered_share"],
        "text": "+9.00 km2 of new usable site land <i>within</i> walking reach",
    }
    tents = {
        "resource": "tents",
        "amount": None,
        "unit": "tents",
        "entry_point": None,
        "from_day": 0,
        "method": "by hand: household sets short",
        "tolerance": "1 tent",
        "verified": None,
        "closes": ["shelter_nfi_need_met_share"],
        "text": "or, for shelter items only: +38,000 tents",
    }
    pairs = [
        _assessment_pair(
            "none",
            "targeted",
            unsheltered=12_000,  # 12 % unsheltered, 2 failed -> level 3
            failed={"water_need_met_share": 1, "displaced_people_sheltered_share": 1},
            additions=[trucks, land, tents],
            not_addressable=["evacuation_clearance_hours: road capacity and distance"],
        ),
        _assessment_pair(
            "none",
            "full",
            unsheltered=40_000,  # 40 % -> level 4
            failed={"displaced_people_sheltered_share": 1, "camp_population": 3},
            additions=[land],
        ),
        _assessment_pair("tent-cities", "targeted"),  # passes
        _assessment_pair(
            "tent-cities",
            "full",
            unsheltered=500,  # 0.5 %, 1 failed -> level 1
            failed={"water_need_met_share": 1},
            additions=[trucks],
        ),
    ]
    return {
        "reliefplan_version": "9.9.9",
        "title": "Rafah & test",
        "addition_from_day": 3,
        "packages": [
            {
                "name": "none",
                "description": "pre-existing capacity",
                "extends": None,
                "elements": ["nothing beyond the scenario as declared"],
                "assumptions": [],
            },
            {
                "name": "tent-cities",
                "description": "15 camps of ~25,000 tents",
                "extends": "none",
                "elements": ["375,000 tents (household people each) from day 0"],
                "assumptions": ["entry capacity that accompanied the proposal"],
            },
        ],
        "scenarios": ["targeted", "full"],
        "pairs": pairs,
        "timings_s": {"shelter": 1.5, "supply_and_verdict": 2.25, "additions": 4.0},
        "notes": ["tolerances are stated per addition"],
    }


def _cell(html: str, package: str, scenario: str) -> str:
    m = re.search(
        rf'<td class="cell lvl-(\d)" id="cell-{package}--{scenario}" data-level="\1">(.*?)</td>', html, re.DOTALL
    )
    assert m, (package, scenario)
    return m.group(0)


def test_assessment_levels():
    from reliefplan.outputs.report import assessment_level

    def lv(unsheltered: int, n_failed: int, displaced: int = 10_000) -> int:
        return assessment_level(
            {
                "passed": False,
                "displaced": displaced,
                "unsheltered": unsheltered,
                "failed": {f"i{k}": 1 for k in range(n_failed)},
            }
        )

    assert assessment_level({"passed": True, "displaced": 10, "unsheltered": 0, "failed": {}}) == 0
    assert [lv(99, 1), lv(100, 1), lv(999, 2), lv(1000, 1), lv(2999, 1), lv(3000, 0)] == [1, 2, 2, 3, 3, 4]
    assert [lv(0, 2), lv(0, 3), lv(0, 4), lv(0, 5), lv(0, 6), lv(0, 7)] == [1, 2, 2, 3, 3, 4]
    assert lv(0, 1, displaced=0) == 1 and lv(5000, 1) == 4  # the worse ladder wins


def test_assessment_page_content(tmp_path):
    from reliefplan.outputs.report import (
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
    assert "reliefplan 9.9.9" in html and '<b id="n-passed">1 of 4</b>' in html
    levels = {
        (p, s): int(_cell(html, p, s).split('data-level="')[1][0])
        for p in ("none", "tent-cities")
        for s in ("targeted", "full")
    }
    assert levels == {
        ("none", "targeted"): 3,
        ("none", "full"): 4,
        ("tent-cities", "targeted"): 0,
        ("tent-cities", "full"): 1,
    }
    for k, colour in ASSESSMENT_COLOURS.items():  # the class colours and the legend come from one table
        assert f".lvl-{k} {{ background: {colour};" in html
        assert f'<td class="sw lvl-{k}">' in html
    # rows in package order, columns in scenario order
    assert (
        html.index('id="cell-none--targeted"')
        < html.index('id="cell-none--full"')
        < html.index('id="cell-tent-cities--targeted"')
        < html.index('id="cell-tent-cities--full"')
    )
    for p in ("none", "tent-cities"):
        for s in ("targeted", "full"):
            assert f'<a class="pair-link" href="pairs/{p}--{s}/plan.json">' in _cell(html, p, s)
    passed = _cell(html, "tent-cities", "targeted")
    assert "passes every check" in passed and "severity" not in passed and "Least additions" not in passed
    assert "water: never" in passed
    worst = _cell(html, "none", "targeted")
    # a verdict that cannot be misread: the checks failed as a count, the severity level apart and in words
    assert "fails 2 checks" in worst and "severity 3 of 4: high" in worst and "FAIL" not in worst
    assert "12,000 (12.0 % of 100,000)" in worst and "31.5 h" in worst
    assert "water: day 4 (2,500 t short)" in worst and "food: never" in worst
    assert "entry capacity at KS" in worst and "2 checks" in worst and "water: 1; shelter places: 1" in worst
    assert "+140 trucks/day at KS from day 3" in worst and "tolerance 1 truck/day (139.20 exact)" in worst
    assert "parametric LP (least capacity with no shortfall)" in worst
    assert "+9.00 km2 of new usable site land &lt;i&gt;within&lt;/i&gt; walking reach" in worst  # escaped
    assert [m for m in re.findall(r"verified: <b>(.*?)</b>", worst)] == ["yes", "no", "—"]
    assert "or, for shelter items only: +38,000 tents" in worst
    assert "evacuation_clearance_hours: road capacity and distance" in worst
    assert "fails 4 checks" in _cell(html, "none", "full") and "camp size: 3" in _cell(html, "none", "full")
    # packages, notes, timings
    assert "375,000 tents (household people each) from day 0" in html
    assert "entry capacity that accompanied the proposal" in html and "tolerances are stated per addition" in html
    assert '<td>supply_and_verdict</td><td class="n">2.25</td>' in html
    charts = {c["id"]: c for c in _data(html)["charts"]}
    assert charts["unsheltered"]["labels"] == ["none", "tent-cities"]
    assert charts["unsheltered"]["datasets"] == [
        {"label": "targeted", "data": [12_000, 0]},
        {"label": "full", "data": [40_000, 500]},
    ]
    assert charts["failed"]["datasets"][1]["data"] == [4, 1]  # checks, as the cells and the CLI count them
    # the page's own headline, and no footer about a map it does not have
    assert "1 of 4 (package, scenario) pair(s) pass every check." in html
    assert "full: no package passes; closest tent-cities, which fails 1 check" in html
    assert "targeted: passes with tent-cities." in html
    assert "the map draws" not in html and "Leaflet" not in html.split("<footer>")[1].split("</footer>")[0]
    # offline: nothing to fetch; the only http(s) text is in the vendored libraries' comments and strings
    assert "default-src 'none'" in html
    # (Leaflet's unused attribution link is one); the CSP would block any fetch the page attempted anyway
    assert not re.search(r"""<(script|img|iframe|link)\b[^>]*\s(src|href)\s*=""", html, re.IGNORECASE)
    assert not re.search(r"""url\(\s*["']?\s*(https?:)?//|@import""", html, re.IGNORECASE)
    outside_scripts = re.sub(r"<script\b[^>]*>.*?</script>|/\*.*?\*/", "", html, flags=re.DOTALL | re.IGNORECASE)
    assert not re.search(r"https?:|(src|href)\s*=\s*[\"']?//", outside_scripts, re.IGNORECASE)
    assert outside_scripts.count('href="pairs/') == 4


def test_assessment_page_missing_pair_and_empty():
    from reliefplan.outputs.report import render_assessment

    data = _assessment_data()
    data["pairs"] = data["pairs"][:3]
    html = render_assessment(data)
    assert '<td class="cell none">not planned</td>' in html and "1 of 3" in html
    empty = render_assessment(
        {
            "title": "t",
            "packages": [],
            "scenarios": [],
            "addition_from_day": 0,
            "pairs": [],
            "timings_s": {},
            "notes": [],
        }
    )
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
    from reliefplan.outputs.report import ASSESSMENT_COLOURS, write_assessment_report

    path = write_assessment_report(_assessment_data(), tmp_path)
    _assert_page_ok(browser, path, 0, {"unsheltered", "failed"})  # no console errors, no network, charts drawn

    def rgb(hex_colour: str) -> str:
        return "rgb({}, {}, {})".format(*(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)))

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


def test_comparison_headlines_shares_and_both_subtitles(small):
    from reliefplan.analysis.headline import headline

    plan, layers = small
    other = _with_sections(plan).model_copy(
        update={"scenario": "other", "scenario_title": "Other place", "description": "the second plan"}
    )
    rows = {r.key: r for r in compare(plan, other)}
    # a change of coverage shows as a share, not only as a count of failed checks
    assert (rows["water need met (everyone)"].a, rows["water need met (everyone)"].b) == (None, 80.0)
    assert rows["displaced with a shelter place"].unit == "%"
    assert (rows["checks failed"].a, rows["checks failed"].b) == (headline(plan).failed, headline(other).failed)
    html = render_comparison(plan, layers, other, layers)
    assert 'id="headline-a"' in html and 'id="headline-b"' in html
    assert f'data-failed="{headline(other).failed}"' in html.split('id="headline-b"')[1][:300]
    assert "the second plan" in html and "Other place" in html and plan.description in html
    assert "<td>water need met (everyone)</td>" in html


_HEADLINE_PROBE = """() => [...document.querySelectorAll('section.headline')].map(h => {
  const r = h.getBoundingClientRect();
  return {id: h.id, top: r.top + window.scrollY, height: r.height, failed: h.dataset.failed || null,
          kinds: [...h.querySelectorAll('table.hl-kinds tbody tr')].map(tr => tr.dataset.kind),
          text: h.innerText};
})"""


def test_headline_first_on_every_page_in_chromium(browser, small, tmp_path):
    from reliefplan.analysis.headline import headline
    from reliefplan.outputs.report import write_assessment_report, write_ensemble_report

    plan, layers = small
    full = _with_sections(plan)
    h = headline(full)
    assert not h.holds and h.failed == 1
    pages = {
        "report": write_report(full, layers, tmp_path / "r"),
        "comparison": write_comparison(
            plan, layers, full.model_copy(update={"scenario": "other"}), layers, tmp_path / "c"
        ),
        "assessment": write_assessment_report(_assessment_data(), tmp_path / "a"),
        "ensemble": write_ensemble_report(
            {
                "scenario": "main",
                "members": 2,
                "ok": 2,
                "failed": [],
                "seed": 1,
                "engine": "local",
                "workers": 1,
                "conserved_in_every_member": True,
                "verdict_p_met": {"water_need_met_share@scenario": {"p_met": 0.5, "n_assessed": 2}},
            },
            tmp_path / "e",
            plan=full,
        ),
    }
    for name, path in pages.items():
        page, errors = watched_page(browser)
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("html[data-ready='1']", timeout=15000)
        boxes = page.evaluate(_HEADLINE_PROBE)
        page.close()
        assert errors == [], (name, errors)
        assert boxes and boxes[0]["top"] < 300, (name, boxes)  # what a planner sees first, above the fold
        if name == "report":
            (box,) = boxes
            assert box["failed"] == str(h.failed) and box["kinds"] == [k.kind for k in h.kinds] == ["water"]
            assert "The plan does not hold" in box["text"] and "Smallest change that would fix it" in box["text"]
        if name == "comparison":
            assert [b["id"] for b in boxes] == ["headline-a", "headline-b"]
            assert "The plan holds" in boxes[0]["text"] and "fails 1 of" in boxes[1]["text"]
        if name == "assessment":
            assert "1 of 4 (package, scenario) pair(s) pass every check." in boxes[0]["text"]
        if name == "ensemble":
            assert [b["id"] for b in boxes] == ["ensemble-headline", "headline"]
            assert "water: met in 50 % of members" in boxes[0]["text"]
