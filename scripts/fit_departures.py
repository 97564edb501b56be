"""Fit the default departure curves on the October 2023 north-Gaza order; validate them on May 2024 Rafah.

Reads ../shared/data (next to the repository) and writes src/reliefplan/data/departures/defaults.yaml and,
with matplotlib installed (pip install -e '.[figures]'), docs/departures.png. Deterministic; prints the
figures quoted in docs/departures.md as JSON.

    python scripts/fit_departures.py [--shared PATH] [--no-write] [--no-chart]

Calibration (fitted): the Meta-MAU adult population of North Gaza + Gaza governorates (the area north of Wadi
Gaza ordered south on 13 October 2023), share left = 1 - N(t) / N(13 Oct), days 1-38 (14 Oct - 20 Nov 2023).
Validation (never fitted): Rafah governorate after the 6 May 2024 order, (a) the same Meta-MAU model, days 1-8
(the file ends on 14 May 2024) and (b) UNRWA's published counts of people who had left (days 6-43).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from reliefplan.solvers.departures import (  # noqa: E402
    CurveFit,
    curve_error,
    days_to_share,
    fit_curve,
    observed_days_to_share,
    share_left,
)

META = "population/meta_mau_population_gaza_adm2_daily_2023-10-13_2024-05-14.csv"
IDF_RAFAH = "gaza_geo/idf_evacuation_zone_2024-05-06_to_2024-05-11_rafah.geojson"
PUBLISHED = REPO / "src" / "reliefplan" / "data" / "departures" / "rafah_2024_published.csv"
OUT_YAML = REPO / "src" / "reliefplan" / "data" / "departures" / "defaults.yaml"
OUT_PNG = REPO / "docs" / "departures.png"
EXAMPLE_ZONES = REPO / "examples" / "rafah-2024" / "zones.geojson"

NORTH = ("PS0255", "PS0260")  # North Gaza, Gaza: north of Wadi Gaza (the governorate line approximates the wadi)
RAFAH = "PS0275"
ORDER_NORTH = dt.date(2023, 10, 13)  # delivered to the UN just before midnight on 12 October
ORDER_RAFAH = dt.date(2024, 5, 6)
ORDER_RAFAH_2 = dt.date(2024, 5, 11)
CAL_LAST = dt.date(2023, 11, 20)  # from 21 Nov the series jumps back up, from 29 Nov it sits at the API floor
RAFAH_POP = 1_400_000  # UNRWA, published_figures.csv rafah_pop_2024_05


def meta_adults(shared: Path) -> dict[str, dict[dt.date, float]]:
    """Adult (T_18Plus, pop_mau_lower) population by governorate P-code and date."""
    out: dict[str, dict[dt.date, float]] = {}
    with open(shared / META, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["agesex"] == "T_18Plus":
                out.setdefault(r["ADM2_PCODE"], {})[dt.date.fromisoformat(r["collection_date"])] = float(
                    r["pop_mau_lower"]
                )
    return out


def share_series(pop: dict[dt.date, float], order: dt.date, last: dt.date) -> tuple[np.ndarray, np.ndarray, float]:
    """(days after the order, share left, baseline adults) from the order day's value, order day excluded."""
    base = pop[order]
    days = sorted(d for d in pop if order < d <= last)
    t = np.array([(d - order).days for d in days], dtype=float)
    return t, np.array([1.0 - pop[d] / base for d in days]), base


def north_series(shared: Path) -> tuple[np.ndarray, np.ndarray, float]:
    a = meta_adults(shared)
    dates = set(a[NORTH[0]]) & set(a[NORTH[1]])
    pop = {d: a[NORTH[0]][d] + a[NORTH[1]][d] for d in dates}
    return share_series(pop, ORDER_NORTH, CAL_LAST)


def rafah_meta_series(shared: Path) -> tuple[np.ndarray, np.ndarray, float]:
    a = meta_adults(shared)[RAFAH]
    return share_series(a, ORDER_RAFAH, max(a))


def rafah_published() -> tuple[np.ndarray, np.ndarray, list[dict[str, str]]]:
    rows = [r for r in csv.DictReader(line for line in open(PUBLISHED, encoding="utf-8") if not line.startswith("#"))]
    return (
        np.array([float(r["days_after_order"]) for r in rows]),
        np.array([float(r["share_left"]) for r in rows]),
        rows,
    )


def ordered_population(shared: Path) -> dict[str, float]:
    """People (example zones: 1.4 M spread by area) inside the blocks ordered out on 6 and 11 May 2024."""
    from pyproj import CRS, Transformer

    tr = Transformer.from_crs(CRS.from_epsg(4326), CRS.from_epsg(32636), always_xy=True)

    def metric(geom: dict[str, Any]) -> shapely.Geometry:
        return shapely.transform(
            shapely.geometry.shape(geom), lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
        )

    zones = json.loads(EXAMPLE_ZONES.read_text(encoding="utf-8"))["features"]
    zg = np.array([metric(f["geometry"]) for f in zones], dtype=object)
    zp = np.array([f["properties"]["population"] for f in zones], dtype=float)
    feats = json.loads((shared / IDF_RAFAH).read_text(encoding="utf-8"))["features"]
    out, covered = {}, None
    for name, stamp in (("2024-05-06", "06 May 2024"), ("2024-05-11", "11 May 2024")):
        geoms = [
            metric(f["geometry"])
            for f in feats
            if stamp in f["properties"]["Date"] and f["properties"]["StatusText"] == "Displaced"
        ]
        u = shapely.union_all(geoms)
        new = u if covered is None else shapely.difference(u, covered)
        covered = u if covered is None else shapely.union(covered, u)
        out[name] = float((zp * shapely.area(shapely.intersection(zg, new)) / shapely.area(zg)).sum())
    return out


def _round(x: Any, nd: int = 4) -> Any:
    if isinstance(x, dict):
        return {k: _round(v, nd) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_round(v, nd) for v in x]
    if isinstance(x, (float, np.floating)):
        return round(float(x), nd)
    return x


def _day50(curve: Any, t: np.ndarray, y: np.ndarray) -> dict[str, float | None]:
    pred = days_to_share(curve, 0.5)
    obs = observed_days_to_share(t, y, 0.5)
    return {"predicted": pred, "observed": obs, "error_days": None if pred is None or obs is None else pred - obs}


def calibrate(shared: Path) -> dict[str, Any]:
    """Every figure of docs/departures.md: fits, calibration and validation errors, the unordered gap."""
    t_n, y_n, base_n = north_series(shared)
    fits: dict[str, CurveFit] = {}
    src = (
        "Fitted by scripts/fit_departures.py to the Meta-MAU adult population north of Wadi Gaza (North Gaza + "
        "Gaza governorates, Darin et al.), 14 Oct - 20 Nov 2023, after the 13 Oct 2023 order"
    )
    for kind in ("logistic", "weibull"):
        fits[kind] = fit_curve(kind, t_n, y_n, source=src)
    default = min(fits, key=lambda k: fits[k].rmse)  # chosen on the calibration event only
    t_rm, y_rm, base_r = rafah_meta_series(shared)
    t_ru, y_ru, _ = rafah_published()
    ordered = ordered_population(shared)
    res: dict[str, Any] = {
        "default": default,
        "calibration": {
            "event": "13 Oct 2023 order, north of Wadi Gaza",
            "points": len(t_n),
            "days": [1, int(t_n.max())],
            "baseline_adults": base_n,
            "observed_share_by_day": {int(a): float(b) for a, b in zip(t_n, y_n)},
        },
    }
    res["curves"] = {}
    for kind, f in fits.items():
        c = f.curve
        res["curves"][kind] = {
            "curve": c.model_dump(),
            "calibration": {
                "rmse": f.rmse,
                **{k: v for k, v in curve_error(c, t_n, y_n).to_dict().items() if k != "rmse"},
                "day_to_50pct": _day50(c, t_n, y_n),
            },
            "validation_rafah_meta": {**curve_error(c, t_rm, y_rm).to_dict(), "day_to_50pct": _day50(c, t_rm, y_rm)},
            "validation_rafah_unrwa": {**curve_error(c, t_ru, y_ru).to_dict(), "day_to_50pct": _day50(c, t_ru, y_ru)},
        }
    c = fits[default].curve
    # orders only: the ordered blocks follow the curve, nobody else leaves
    only = (ordered["2024-05-06"] * share_left(c, t_ru) + ordered["2024-05-11"] * share_left(c, t_ru - 5)) / RAFAH_POP
    outside = RAFAH_POP - sum(ordered.values())
    res["validation"] = {
        "event": "6 May 2024 order, Rafah governorate (whole governorate as the responding area)",
        "rafah_meta": {
            "points": len(t_rm),
            "days": [1, int(t_rm.max())],
            "baseline_adults": base_r,
            "observed_share_by_day": {int(a): float(b) for a, b in zip(t_rm, y_rm)},
        },
        "rafah_unrwa": {"points": len(t_ru), "observed_share_by_day": {int(a): float(b) for a, b in zip(t_ru, y_ru)}},
        "orders_only": {
            "ordered_people": {k: round(v) for k, v in ordered.items()},
            "predicted_share_by_day": {int(a): float(b) for a, b in zip(t_ru, only)},
            "rmse": float(np.sqrt(np.mean((only - y_ru) ** 2))),
            "max_abs": float(np.max(np.abs(only - y_ru))),
            "bias": float(np.mean(only - y_ru)),
            "n_points": len(t_ru),
        },
        "unordered_lower_bound": {
            "people_outside_ordered_blocks": round(outside),
            "share_left_by_day": {
                int(a): max(0.0, (b * RAFAH_POP - sum(ordered.values())) / outside) for a, b in zip(t_ru, y_ru)
            },
            "left_over_ordered_by_day": {int(a): b * RAFAH_POP / sum(ordered.values()) for a, b in zip(t_ru, y_ru)},
        },
    }
    return _round(res)


def write_yaml(res: dict[str, Any]) -> None:
    doc = {
        "default": res["default"],
        "curves": {
            k: {
                "curve": v["curve"],
                "calibration": v["calibration"],
                "validation_rafah_meta": v["validation_rafah_meta"],
                "validation_rafah_unrwa": v["validation_rafah_unrwa"],
            }
            for k, v in res["curves"].items()
        },
        "calibration": res["calibration"],
        "validation": res["validation"],
        "sources": {
            "meta_mau": "shared/data/population/meta_mau_population_gaza_adm2_daily_2023-10-13_2024-05-14.csv: "
            "edarin/Gaza_displacement_analytics @ de26efa (MIT, (c) 2025 Edith Darin), data/"
            "population_gaza_base.csv; T_18Plus, pop_mau_lower",
            "order_2023_10_13": "UN spokesperson S. Dujarric, 13 Oct 2023: the IDF told the UN just before midnight "
            "on 12 Oct that everyone north of Wadi Gaza (~1.1 M people) should move south within "
            "24 h (https://www.channelnewsasia.com/world/israel-hamas-gaza-evacuation-united-"
            "nations-palestinians-3843151)",
            "order_2024_05": "shared/data/gaza_geo/idf_evacuation_zone_2024-05-06_to_2024-05-11_rafah.geojson "
            "(gazamaps.com records of the IDF Arabic-spokesperson maps, via mushon/nibal @ 8c8ea12)",
            "rafah_published": "src/reliefplan/data/departures/rafah_2024_published.csv (UNRWA statements, URLs "
            "per row)",
            "rafah_population": "1,400,000 before 6 May 2024, UNRWA (shared/data/figures/published_figures.csv "
            "rafah_pop_2024_05); example zones spread it by area",
        },
    }
    head = (
        "# Departure curves fitted by scripts/fit_departures.py (do not edit by hand: re-run the script).\n"
        "# Calibrated on the 13 Oct 2023 order for the north of the Gaza Strip; validated (never fitted) on the\n"
        "# 6 May 2024 Rafah order. See docs/departures.md.\n"
    )
    OUT_YAML.write_text(head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")


def chart(res: dict[str, Any], shared: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from reliefplan.solvers.departures import LogisticCurve, WeibullCurve

    curves = {
        k: (LogisticCurve if k == "logistic" else WeibullCurve).model_validate(v["curve"])
        for k, v in res["curves"].items()
    }
    t_n, y_n, _ = north_series(shared)
    t_rm, y_rm, _ = rafah_meta_series(shared)
    t_ru, y_ru, _ = rafah_published()
    grid = np.linspace(0, 45, 451)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    a.plot(t_n, y_n, "o", ms=3.5, color="0.35", label="observed: Meta-MAU adults, North Gaza + Gaza")
    for k, c in curves.items():
        a.plot(
            grid,
            share_left(c, grid),
            lw=2 if k == res["default"] else 1.2,
            ls="-" if k == res["default"] else "--",
            label=f"fitted {k}" + (" (default)" if k == res["default"] else ""),
        )
    a.set_title("Calibration: 13 Oct 2023 order, north of Wadi Gaza")
    a.set_xlabel("days after the order")
    a.set_ylabel("share of the people who have left")
    a.set_xlim(0, 45)
    a.set_ylim(-0.05, 1)
    a.grid(alpha=0.3)
    a.legend(loc="lower right", fontsize=8)
    c = curves[res["default"]]
    o = res["validation"]["orders_only"]["ordered_people"]
    b.plot(t_rm, y_rm, "o", ms=3.5, color="0.35", label="observed: Meta-MAU adults, Rafah")
    b.plot(t_ru, y_ru, "s", ms=5, color="crimson", label="observed: UNRWA statements")
    b.plot(grid, share_left(c, grid), lw=2, label=f"predicted: {res['default']} default, whole governorate")
    only = (o["2024-05-06"] * share_left(c, grid) + o["2024-05-11"] * share_left(c, grid - 5)) / RAFAH_POP
    b.plot(grid, only, lw=1.2, ls=":", color="k", label="predicted: ordered blocks only (6 + 11 May)")
    b.set_title("Validation: 6 May 2024 order, Rafah governorate")
    b.set_xlabel("days after the order")
    b.set_xlim(0, 45)
    b.grid(alpha=0.3)
    b.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT_PNG, dpi=110)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--no-write", action="store_true", help="print the figures only")
    ap.add_argument("--no-chart", action="store_true")
    args = ap.parse_args(argv)
    res = calibrate(args.shared)
    if not args.no_write:
        write_yaml(res)
        if not args.no_chart:
            chart(res, args.shared)
    print(json.dumps({k: v for k, v in res.items() if k != "calibration"}, indent=1))


if __name__ == "__main__":
    main()
