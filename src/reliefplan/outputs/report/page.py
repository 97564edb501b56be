"""What every page shares: the shipped Leaflet and Chart.js inlined, the Jinja environment and its filters, JSON
safe inside a script element, Markdown for the attribution."""

from __future__ import annotations

import base64
import json
import math
import re
from functools import cache
from importlib import resources
from typing import Any

import jinja2
import markupsafe

from ... import words
from . import views

LEAFLET_VERSION = "1.9.4"
CHARTJS_VERSION = "4.6.1"


@cache
def _asset(name: str) -> str:
    text = resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")
    # a source-map comment would make developer tools fetch a file we do not ship
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)


@cache
def _data_uri(name: str) -> str:
    raw = resources.files(__package__).joinpath("assets", "images", name).read_bytes()
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


@cache
def _leaflet_css() -> str:
    css = _asset("leaflet.css")
    return re.sub(r"url\(images/([a-z0-9-]+\.png)\)", lambda m: f"url({_data_uri(m.group(1))})", css)


def _icons() -> dict[str, str]:
    return {
        "icon": _data_uri("marker-icon.png"),
        "icon2x": _data_uri("marker-icon-2x.png"),
        "shadow": _data_uri("marker-shadow.png"),
    }


def _num(v: Any, sign: bool = False) -> str:
    """Numbers for people: thousands separators, few decimals; None -> '—'; `sign`: '+' on positive values."""
    text = words.number(v)
    if sign and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0:
        return "+" + text
    return text


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reliefplan.outputs.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _num
    env.filters["qty"] = words.quantity
    env.filters["hours"] = words.hours
    env.filters["cmp"] = lambda c: words.COMPARISON_WORDS.get(c, c)
    env.filters["links"] = _links
    env.filters["sentence"] = lambda t: (str(t)[:1].upper() + str(t)[1:]) if t else ""
    env.filters["code"] = _code
    env.filters["wbr"] = lambda t: markupsafe.escape(t).replace("/", markupsafe.Markup("/<wbr>"))
    return env


def _code(text: Any) -> markupsafe.Markup:
    """Text with its `commands` as <code> (escaped otherwise)."""
    parts = markupsafe.escape("" if text is None else str(text)).split("`")
    return markupsafe.Markup("").join(
        markupsafe.Markup(f"<code>{p}</code>") if i % 2 else p for i, p in enumerate(parts)
    )


_URL = re.compile(r"https?://[^\s<>\"')]+[^\s<>\"').,;]")


def _links(text: Any) -> markupsafe.Markup:
    """Text with its web addresses as links (escaped otherwise): a cited source one click away."""
    out, last = [], 0
    s = "" if text is None else str(text)
    for m in _URL.finditer(s):
        out += [
            markupsafe.escape(s[last : m.start()]),
            markupsafe.Markup('<a href="{0}" rel="noreferrer">{0}</a>').format(m.group(0)),
        ]
        last = m.end()
    out.append(markupsafe.escape(s[last:]))
    return markupsafe.Markup("").join(out)


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element (no '</' or HTML comment openers)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _markdown(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    from markdown_it import MarkdownIt  # a dependency of rich

    html = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").render(text)
    # the attribution sits under the page's own h2: its headings move down two levels
    return re.sub(r"<(/?)h([1-6])>", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + 2)}>", html)


def _common(version: str) -> dict[str, Any]:
    return {
        "version": version,
        "css_leaflet": _leaflet_css(),
        "css_report": _asset("report.css"),
        "js_leaflet": _asset("leaflet.js"),
        "js_chart": _asset("chart.umd.min.js"),
        "js_report": _asset("report.js"),
        "leaflet_version": LEAFLET_VERSION,
        "chartjs_version": CHARTJS_VERSION,
    }


def _ready(charts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Charts as the page draws them: shared label words moved to the axis title, commodities in their colours."""
    return [words.paint(views.shorten(c)) for c in charts]


def _package_version() -> str:
    from ...pipeline import _version

    return _version()
