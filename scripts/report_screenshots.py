"""Screenshots of the Rafah report, comparison and assessment for the README (docs/report.png: the headline, key
figures and map; docs/comparison.png: both headlines; docs/assessment.png: the assessment's headline and matrix).

Run from the repo root after `make demo` (needs /usr/bin/chromium and `pip install playwright`):
    .venv/bin/python scripts/report_screenshots.py out/rafah-2024 docs
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shoot(ctx, page_path: Path, out: Path, top: str, bottom: str, width: int) -> None:
    page = ctx.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(page_path.resolve().as_uri())
    page.wait_for_selector("html[data-ready='1']")
    y0 = page.locator(top).bounding_box()["y"]
    y1 = page.locator(bottom).bounding_box()["y"]
    page.screenshot(path=str(out), full_page=True, clip={"x": 0, "y": y0, "width": width, "height": y1 - y0})
    page.close()
    print(out, out.stat().st_size // 1024, "KB")


def main(out_dir: str = "out/rafah-2024", docs: str = "docs") -> None:
    src, dst = Path(out_dir), Path(docs)
    dst.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            tempfile.mkdtemp(), executable_path="/usr/bin/chromium", headless=True, args=ARGS
        )
        shoot(ctx, src / "full" / "report.html", dst / "report.png", "header.top", "#charts-h", 1100)
        shoot(ctx, src / "compare" / "comparison.html", dst / "comparison.png", "header.top", "#kpi-h", 1100)
        shoot(
            ctx,
            src / "assess" / "assessment.html",
            dst / "assessment.png",
            "header.top",
            "#matrix tbody tr:nth-child(2)",
            1300,
        )
        ctx.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
