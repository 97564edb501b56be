"""The headline of an uncertainty ensemble (its summary.json): how sure — members planned, whether their supply was
operated without foresight, the scenario-wide checks least often met, and the median first day each commodity falls
short. The check kinds and their titles are the plan headline's (`headline`), so every face names them alike.
"""

from __future__ import annotations

from typing import Any

from .. import words
from .headline import KIND_TITLES, kind_of


def ensemble_lines(summary: dict[str, Any], *, max_rows: int = 5) -> list[str]:
    """The headline of an uncertainty ensemble (its summary.json): members planned, and the scenario-wide checks
    least often met, with the median first day each commodity falls short."""
    ok, n = summary.get("ok", 0), summary.get("members", 0)
    out = [
        f"{ok:,} of {n:,} members planned; people conserved in every member: "
        + ("yes" if summary.get("conserved_in_every_member") else "NO")
    ]
    if summary.get("supply") == "operate":
        out.append(
            "Supply operated day by day without foresight (--supply operate): no member knew its closures or daily "
            "trucks in advance."
        )
    if unsolved := summary.get("supply_not_optimal"):
        out.append(
            f"Supply LP stopped without an optimum (time limit?) in {len(unsolved):,} of {n:,} members: everything "
            "owed is counted short in them, so their figures are the worst case, not a plan."
        )
    rows = sorted(
        (
            (k.removesuffix("@scenario"), v["p_met"])
            for k, v in (summary.get("verdict_p_met") or {}).items()
            if k.endswith("@scenario") and v.get("p_met") is not None
        ),
        key=lambda kv: (kv[1], kv[0]),
    )
    weak = [(k, p) for k, p in rows if p < 1.0]
    if not rows:
        out.append("No scenario-wide check was assessed.")
    elif not weak:
        out.append("Every scenario-wide check is met in every member.")
    else:
        kinds = [kind_of(k) for k, _ in rows]

        def name(k: str) -> str:  # the kind in words, the indicator too when the kind has several
            title = KIND_TITLES.get(kind_of(k), words.key_words(k))
            return title if kinds.count(kind_of(k)) == 1 else f"{title} ({words.key_words(k)})"

        out.append(
            "Scenario-wide checks least often met: "
            + "; ".join(f"{name(k)}: met in {words.share(p)} of members" for k, p in weak[:max_rows])
            + ("" if len(weak) <= max_rows else f"; and {len(weak) - max_rows} more")
        )
    outcomes = summary.get("outcomes") or {}
    days = [(k.split(".", 1)[1], v.get("p50")) for k, v in outcomes.items() if k.startswith("first_shortfall_day.")]
    short = [(c, d) for c, d in days if d is not None]
    if short:
        out.append(
            "Median first day short: "
            + ", ".join(f"{words.commodity_words(c)} day {d:g}" for c, d in sorted(short, key=lambda cd: cd[1]))
        )
    return out
