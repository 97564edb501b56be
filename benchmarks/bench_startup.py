"""Start-up: what `reliefplan --help`, `--version` and `reliefplan scenarios` import, from `python -X importtime`.

Run: `python -m benchmarks.bench_startup`. Each case runs in a fresh interpreter (median of 5); the import time is
the sum of the top-level imports' cumulative times that importtime reports, the wall time is the whole process.
Baseline in the same run: importing the pipeline, which is what the CLI loaded before its imports became lazy
(1.3 s on a quiet machine, 4.5 s under load, issue 18). Target: the CLI's own imports a small fraction of that,
`--help` and `scenarios` well under a second. On a shared machine wall times mostly measure the neighbours.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"
RUNS = 5

CLI = "import sys; from reliefplan.cli import app; sys.argv = ['reliefplan', *{args!r}]\ntry:\n    app()\nexcept SystemExit:\n    pass"
CASES = {
    "baseline: import reliefplan.pipeline": "import reliefplan.pipeline",
    "import reliefplan.cli": "import reliefplan.cli",
    "reliefplan --help": CLI.format(args=["--help"]),
    "reliefplan --version": CLI.format(args=["--version"]),
    "reliefplan scenarios examples/rafah-2024": CLI.format(args=["scenarios", str(EXAMPLE)]),
}
HEAVY = ("scipy", "pyogrio", "pyarrow", "osmium", "highspy", "ortools", "rasterio", "pandas", "shapely", "pyproj")


def import_time_s(code: str) -> tuple[float, float, set[str]]:
    """(import time s, process wall time s, heavy top-level packages imported) of `code` in a fresh interpreter."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    total_us, heavy = 0, set()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line[len("import time:") :].split("|")
        if len(name) - len(name.lstrip()) == 1:  # a top-level import (nested ones are inside its cumulative)
            total_us += int(cumulative)
        top = name.strip().split(".")[0]
        if top in HEAVY:
            heavy.add(top)
    return total_us / 1e6, wall, heavy


def main() -> None:
    import_time_s("pass")  # warm the file cache
    results = {}
    for label, code in CASES.items():
        runs = [import_time_s(code) for _ in range(RUNS)]
        imp = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        results[label] = (imp, wall, runs[0][2])
    base_imp, base_wall, _ = results["baseline: import reliefplan.pipeline"]
    floor = statistics.median(import_time_s("pass")[1] for _ in range(RUNS))
    print(f"  python -c pass: {floor:.3f} s wall (interpreter floor)")
    for label, (imp, wall, heavy) in results.items():
        print(
            f"  {label}: imports {imp:.3f} s ({imp / base_imp:.2f} x baseline), process {wall:.3f} s wall "
            f"({wall / base_wall:.2f} x); heavy: {', '.join(sorted(heavy)) or 'none'}",
            flush=True,
        )


if __name__ == "__main__":
    main()
