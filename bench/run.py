"""`make bench`: every benchmark in turn, then one compact table beside pretalx's figures.

    python -m bench.run [--quick]

Each figure is the median of repeated runs (min–max beside it). The JSON of each benchmark is in
bench/results/; the table's own JSON is bench/results/summary.json. All load goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from bench import cold_start, cost, end_to_end, package_size, warm
from bench.common import machine, save

# pretalx 2025.2.2 (Django), 2 cores, Python 3.11, SQLite, DEBUG off: issue 8's figures.
PRETALX = {
    "cold_form": (1.304, "s"),
    "cold_form_rss": (101.8, "MiB"),
    "warm_form": (20.7e-3, "s"),
    "form_per_second": (63 / 2, "req/s"),  # 63 req/s under gunicorn with 2 workers, so per core
    "submission": (245e-3, "s"),
}
GOALS = {
    "cold_form": 0.12,
    "cold_form_rss": 40,
    "warm_form": 1e-3,
    "submission": 15e-3,
    "end_to_end": 1.0,
    "zip_mb": 3.0,
    "cost_per_1000": 1.0,
    "idle": 0.0,
}


def spread(figure: dict[str, Any], scale: float = 1.0, digits: int = 1) -> str:
    return (
        f"{figure['median'] * scale:.{digits}f} ({figure['min'] * scale:.{digits}f}–{figure['max'] * scale:.{digits}f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, to try the scripts out")
    quick = parser.parse_args(argv).quick

    size = package_size.main([])
    cold = cold_start.main(["--runs", "5" if quick else "20"])
    hot = warm.main(["--gets", "2000", "--posts", "200"])
    e2e = end_to_end.main(["--runs", "10" if quick else "50"])
    money = cost.main(["--applications", "3"])

    form_cold = cold["form"]
    form_zip = cold["form_from_zip"]
    get = hot["form_get"]
    post = hot["submission"]
    per_1000 = money["per_1000_applications"]["total"]
    rows = [
        # (what, ours, pretalx, ratio, goal met)
        (
            "cold start → first form, source tree (s)",
            spread(form_cold["wall"], digits=3),
            "1.304",
            PRETALX["cold_form"][0] / form_cold["wall"]["median"],
            form_cold["wall"]["median"] <= GOALS["cold_form"],
        ),
        (
            "cold start → first form, from the zip, no .pyc (s)",
            spread(form_zip["wall"], digits=3),
            "1.304",
            PRETALX["cold_form"][0] / form_zip["wall"]["median"],
            form_zip["wall"]["median"] <= GOALS["cold_form"],
        ),
        (
            "  the same zip with bytecode compiled first (s)",
            spread(cold["form_from_zip_with_bytecode"]["wall"], digits=3),
            "1.304",
            PRETALX["cold_form"][0] / cold["form_from_zip_with_bytecode"]["wall"]["median"],
            None,
        ),
        (
            "import only (pretalx: django.setup() + URLs) (s)",
            spread(form_cold["import"], digits=3),
            "0.855",
            0.855 / form_cold["import"]["median"],
            None,
        ),
        (
            "cold start peak RSS (MiB)",
            spread(form_cold["peak_rss"]),
            "101.8",
            PRETALX["cold_form_rss"][0] / form_cold["peak_rss"]["median"],
            form_cold["peak_rss"]["median"] <= GOALS["cold_form_rss"],
        ),
        (
            "cold start → first stored submission (s)",
            spread(cold["submission"]["wall"], digits=3),
            "–",
            None,
            None,
        ),
        (
            "warm form GET (ms)",
            spread(get["latency"], 1000, 3),
            "20.7",
            PRETALX["warm_form"][0] / get["latency"]["median"],
            get["latency"]["median"] <= GOALS["warm_form"],
        ),
        (
            "form GETs per second, one core",
            spread(get["per_second_runs"], digits=0),
            "31.5",
            get["per_second"] / PRETALX["form_per_second"][0],
            None,
        ),
        (
            "warm submission with its write (ms)",
            spread(post["latency"], 1000, 2),
            "245 (6 requests)",
            PRETALX["submission"][0] / post["latency"]["median"],
            post["latency"]["median"] <= GOALS["submission"],
        ),
        ("  of which the app's own time (ms)", spread(post["app_time"], 1000, 2), "", None, None),
        ("  of which waiting on the emulator (ms)", spread(post["emulator_time"], 1000, 2), "", None, None),
        (
            "submit → organiser email, local run (s)",
            spread(e2e["submit_to_organiser_email"], digits=3),
            "–",
            None,
            e2e["submit_to_organiser_email"]["median"] <= GOALS["end_to_end"],
        ),
        (
            "deployment zip (MB)",
            f"{size['zip_bytes'] / 1e6:.2f}",
            "–",
            None,
            size["zip_bytes"] / 1e6 <= GOALS["zip_mb"],
        ),
        (
            f"cost per 1,000 applications, {money['prices']['region']} ($)",
            f"{per_1000:.2f} (all cold: {money['per_1000_applications_every_invocation_cold']['total']:.2f})",
            "–",
            None,
            per_1000 <= GOALS["cost_per_1000"],
        ),
        (
            "cost when idle, per month ($)",
            f"{money['idle_per_month']['compute_and_requests'] + money['idle_per_month']['sqs_long_polling_cost']:.2f}",
            "(a server)",
            None,
            True,
        ),
    ]
    print()
    print(f"{'':54} {'ours: median (min–max)':32} {'pretalx':>16} {'ratio':>7}  goal")
    for what, ours, theirs, ratio, met in rows:
        ratio_text = f"{ratio:.0f}×" if ratio else ""
        goal = {True: "met", False: "NOT met", None: ""}[met]
        print(f"{what:54} {ours:32} {theirs:>16} {ratio_text:>7}  {goal}")
    host = machine()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{host['date']}, Python {host['python']}, {host['machine']}, {host['cores']} cores, {host['cpu']}")
    print(f"load average at the end: {load:.1f} (above ~1, other work shared these cores)")
    save(
        "summary",
        {
            "load_average": load,
            "rows": [{"what": w, "ours": o, "pretalx": t, "ratio": r, "goal_met": m} for w, o, t, r, m in rows],
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
