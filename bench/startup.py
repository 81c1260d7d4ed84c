"""Start-up cost of the command line: CPU time of `mohbot --help` against its anchor,
`python -c pass` with the same interpreter, alternating, `--repeat` times each. CPU time (user
plus system, of the child) rather than wall time: it does not count waiting for a busy machine.
Target: at most 5 times the anchor.

    .venv/bin/python bench/startup.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
from pathlib import Path

from _common import report

MOHBOT = Path(sys.executable).with_name("mohbot")


def cpu_seconds(command: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    anchor: list[float] = []
    ours: list[float] = []
    for _ in range(args.repeat):
        anchor.append(cpu_seconds([sys.executable, "-c", "pass"]))
        ours.append(cpu_seconds([str(MOHBOT), "--help"]))
    ratios = sorted(o / max(a, 1e-3) for o, a in zip(ours, anchor, strict=True))
    median = statistics.median(ratios)
    print(
        f"python -c pass: median {statistics.median(anchor) * 1000:.0f} ms CPU; "
        f"mohbot --help: median {statistics.median(ours) * 1000:.0f} ms CPU"
    )
    print(f"ratio min {ratios[0]:.2f}, median {median:.2f}, max {ratios[-1]:.2f} (target <= 5)")
    report(
        {
            "bench": "startup",
            "repeat": args.repeat,
            "anchor_ms": round(statistics.median(anchor) * 1000, 1),
            "help_ms": round(statistics.median(ours) * 1000, 1),
            "ratio": round(median, 2),
            "ratio_min": round(ratios[0], 2),
            "ratio_max": round(ratios[-1], 2),
            "target_ratio": 5.0,
            "ok": median <= 5.0,
        }
    )


if __name__ == "__main__":
    main()
