"""`make bench`: every benchmark in turn, then one compact table beside pretalx's figures.

    python -m bench.run [--quick] [--peers]

Each figure is the median of repeated runs (min–max beside it). The JSON of each benchmark is in
bench/results/; the table's own JSON is bench/results/summary.json. All load goes to 127.0.0.1.
With --peers (`make bench PEERS=1`), pretalx is installed and measured in the same run
(bench/peers.py), and the ratios are taken from that run; without it, from issue 8's figures,
taken on another day and machine.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from bench import cold_start, cost, end_to_end, package_size, warm
from bench.common import machine, save

# pretalx 2025.2.2 (Django), 2 cores, Python 3.11, SQLite, DEBUG off: issue 8's figures, on another machine.
PRETALX = {
    "cold_form": (1.304, "s"),
    "cold_form_rss": (101.8, "MiB"),
    "cold_import": (0.855, "s"),
    "warm_form": (20.7e-3, "s"),
    "form_per_second": (63 / 2, "req/s"),  # 63 req/s under gunicorn with 2 workers, so per core
    "submission": (245e-3, "s"),
}
GOALS = {
    "cold_form": 0.10,
    "cold_form_ratio": 10,
    "cold_form_rss": 40,
    "warm_form": 1e-3,
    "warm_form_ratio": 20,
    "cold_submission": 0.30,
    "submission": 15e-3,
    "end_to_end": 1.0,
    "zip_mb": 6.0,
    "cost_per_1000": 1.0,
    "idle": 0.0,
}
# What a deployed stack costs in a month with no application (bench/cost.py's idle_cost_per_month).
IDLE_COSTS = ("compute_and_requests", "sqs_long_polling_cost", "monitoring_cost")


def spread(figure: dict[str, Any], scale: float = 1.0, digits: int = 1) -> str:
    return (
        f"{figure['median'] * scale:.{digits}f} ({figure['min'] * scale:.{digits}f}–{figure['max'] * scale:.{digits}f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, to try the scripts out")
    parser.add_argument("--peers", action="store_true", help="install and measure pretalx in the same run")
    arguments = parser.parse_args(argv)
    quick = arguments.quick

    size = package_size.main([])
    cold = cold_start.main(["--runs", "5" if quick else "20", *(["--peers"] if arguments.peers else [])])
    hot = warm.main(["--gets", "2000", "--posts", "200", *(["--peers"] if arguments.peers else [])])
    if arguments.peers:
        theirs_warm = hot["form_get"]["pretalx_latency"]["median"]
        theirs = cold["pretalx"]
        pretalx = {
            "cold_form": theirs["wall"]["median"],
            "cold_form_rss": theirs["peak_rss"]["median"],
            "cold_import": theirs["import"]["median"],
            "warm_form": theirs_warm,
        }
    else:
        pretalx = {name: value for name, (value, _) in PRETALX.items()}
    e2e = end_to_end.main(["--runs", "10" if quick else "50"])
    money = cost.main(["--applications", "3"])

    form_zip = cold["form_from_zip"]
    form_source = cold["form"]
    submission = cold["submission_from_zip"]
    get = hot["form_get"]
    post = hot["submission"]
    per_1000 = money["per_1000_applications"]["total"]
    cold_ratio = pretalx["cold_form"] / form_zip["wall"]["median"]
    warm_ratio = pretalx["warm_form"] / get["latency"]["median"]
    same_run = "" if arguments.peers else " ¹"
    idle = sum(money["idle_per_month"].get(k, 0.0) for k in IDLE_COSTS)
    rows = [
        # (what, ours, pretalx, ratio, goal met)
        (
            "cold start → first form, zip read-only, -B (s)",
            spread(form_zip["wall"], digits=3),
            f"{pretalx['cold_form']:.3f}{same_run}",
            cold_ratio,
            form_zip["wall"]["median"] <= GOALS["cold_form"] and cold_ratio >= GOALS["cold_form_ratio"],
        ),
        (
            "  the same zip without its bytecode (s)",
            spread(cold["form_from_zip_without_bytecode"]["wall"], digits=3),
            "",
            pretalx["cold_form"] / cold["form_from_zip_without_bytecode"]["wall"]["median"],
            None,
        ),
        (
            "cold start → first form, source tree (s)",
            spread(form_source["wall"], digits=3),
            "",
            pretalx["cold_form"] / form_source["wall"]["median"],
            None,
        ),
        (
            "import only, zip (pretalx: django.setup()) (s)",
            spread(form_zip["import"], digits=3),
            f"{pretalx['cold_import']:.3f}{same_run}",
            pretalx["cold_import"] / form_zip["import"]["median"],
            None,
        ),
        (
            "cold start peak RSS, zip (MiB)",
            spread(form_zip["peak_rss"]),
            f"{pretalx['cold_form_rss']:.1f}{same_run}",
            pretalx["cold_form_rss"] / form_zip["peak_rss"]["median"],
            form_zip["peak_rss"]["median"] <= GOALS["cold_form_rss"],
        ),
        (
            "cold start → first stored submission, zip (s)",
            spread(submission["wall"], digits=3),
            "–",
            None,
            submission["wall"]["median"] <= GOALS["cold_submission"],
        ),
        (
            "warm form GET (ms)",
            spread(get["latency"], 1000, 3),
            f"{pretalx['warm_form'] * 1000:.1f}{same_run}",
            warm_ratio,
            get["latency"]["median"] <= GOALS["warm_form"] and warm_ratio >= GOALS["warm_form_ratio"],
        ),
        (
            "form GETs per second, one core",
            spread(get["per_second_runs"], digits=0),
            "31.5 ¹",
            get["per_second"] / PRETALX["form_per_second"][0],
            None,
        ),
        (
            "warm submission with its write (ms)",
            spread(post["latency"], 1000, 2),
            "245 ¹ (6 requests)",
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
            f"{idle:.2f}",
            "(a server)",
            None,
            idle <= GOALS["idle"],
        ),
    ]
    print()
    print(f"{'':54} {'ours: median (min–max)':32} {'pretalx':>16} {'ratio':>7}  goal")
    for what, ours, theirs, ratio, met in rows:
        ratio_text = f"{ratio:.0f}×" if ratio else ""
        goal = {True: "met", False: "NOT met", None: ""}[met]
        print(f"{what:54} {ours:32} {theirs:>16} {ratio_text:>7}  {goal}")
    print(
        "\n¹ issue 8's figure for pretalx, from another day and machine"
        if not arguments.peers
        else "\npretalx 2025.2.2 measured in this run, interleaved with ours; ¹ issue 8's figure, another machine"
    )
    for case, breakdown in cold["import_breakdown"].items():
        parts = ", ".join(f"{part['package']} {part['ms']:.1f}" for part in breakdown)
        runs = cold_start.IMPORTTIME_RUNS
        print(f"imports of {case} (python -X importtime, own ms by top-level package, median of {runs}): {parts}")
    clients = submission["boto3_clients_built"]
    loaded = ", ".join(submission["heavy_modules_loaded"])
    print(f"first stored submission from the zip: loaded {loaded}; boto3 clients built: {clients}")
    host = machine()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{host['date']}, Python {host['python']}, {host['machine']}, {host['cores']} cores, {host['cpu']}")
    print(f"load average at the end: {load:.1f} (above ~1, other work shared these cores)")
    save(
        "summary",
        {
            "load_average": load,
            "pretalx_measured_in_this_run": arguments.peers,
            "rows": [{"what": w, "ours": o, "pretalx": t, "ratio": r, "goal_met": m} for w, o, t, r, m in rows],
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
