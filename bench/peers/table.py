"""The peers table: every row beside DBOS's row of the same round and concurrency (the
baseline the issue's targets are set against), CPU per run per process, the polling's cost,
and how busy the machine was."""

from ..ten_steps import BUSY_MACHINE_PCT

BASELINE = "dbos"
SYSTEM_WIDTH = 20


def print_table(results: dict) -> None:
    machine, config = results["machine"], results["config"]
    print(
        f"\npeers: 10-step workflow, {config['runs']} runs per row, {config['rounds']} "
        f"round(s) alternating {', '.join(config['systems'])}; {machine['cpus']} CPUs; load "
        f"average {_load(machine['loadavg_at_start'])} at start, "
        f"{_load(machine['loadavg_at_end'])} at end; git {results['git']}"
    )
    print(
        "latency: client-timed, start of the run's call to its end seen by the client, "
        "except 'ours, server-timed' (queued->ended, no polling)"
    )
    print(
        f"{'round':<6}{'system':<{SYSTEM_WIDTH}}{'conc':>5}{'runs/s':>8}{'/DBOS':>7}"
        f"{'p50 ms':>8}{'/DBOS':>7}{'p95 ms':>8}  {'CPU ms per run: total = per process':<60}"
        f"{'rest':>6}{'load':>6}"
    )
    rows = results["results"]
    baselines = {(r["round"], r["concurrency"]): r for r in rows if r["system"] == BASELINE}
    busy = False
    for row in rows:
        base = baselines.get((row["round"], row["concurrency"]))
        others = row["others_cpu_pct"]
        busy = busy or (others is not None and others > BUSY_MACHINE_PCT)
        latency = row["latency_ms"]
        print(
            f"{row['round']:<6}{row['system']:<{SYSTEM_WIDTH}}{row['concurrency']:>5}"
            f"{row['runs_per_s']:>8.1f}{_ratio(row, base, 'runs_per_s'):>7}"
            f"{latency['p50']:>8.1f}{_ratio(row, base, 'p50'):>7}{latency['p95']:>8.1f}  "
            f"{_cpu(row['cpu_ms_per_run']):<60}{_pct(others):>6}{row['loadavg_at_end'][0]:>6.2f}"
        )
    for row in rows:
        if "requests_per_run" in row:
            print(_polling_note(row, rows))
    print(
        "/DBOS: runs/s (higher is better) and p50 (lower is better) over DBOS's row of the "
        "same round and concurrency; rest: CPU the rest of the machine used meanwhile, in % of "
        "one CPU; postgres/redis count every client of the shared servers"
    )
    if busy:
        print(
            f"WARNING: the rest of the machine used over {BUSY_MACHINE_PCT:.0f}% of a CPU "
            "during some rows: those figures are skewed; run again on an idle machine"
        )


def _polling_note(row: dict, rows: list[dict]) -> str:
    """What the polls cost, against the same stack's server-timed row."""
    polls = row["requests_per_run"] - 1
    how = (
        f"one every {row['poll_interval_ms']:g} ms per run in flight"
        if "poll_interval_ms" in row
        else "each held by the server until the run ended (?wait=30)"
    )
    note = (
        f"{row['system']}, round {row['round']}, c={row['concurrency']}: "
        f"{row['requests_per_run']:.1f} requests per run (1 POST + {polls:.1f} GETs, {how})"
    )
    per_poll = row.get("server_cpu_ms_per_poll")
    if per_poll is not None:
        note += (
            f"; a poll costs the server {per_poll:.2f} ms CPU (idle) -> "
            f"~{polls * per_poll:.1f} ms of server CPU per run"
        )
    timed = next(
        (
            r
            for r in rows
            if r["system"] == "ours, server-timed"
            and (r["round"], r["concurrency"]) == (row["round"], row["concurrency"])
        ),
        None,
    )
    if timed is not None:
        note += (
            f"; server CPU per run {_ms(row['cpu_ms_per_run'].get('server'))} polled vs "
            f"{_ms(timed['cpu_ms_per_run'].get('server'))} not"
        )
    return note


def _ratio(row: dict, base: dict | None, key: str) -> str:
    if base is None:
        return ""
    value = row["runs_per_s"] if key == "runs_per_s" else row["latency_ms"][key]
    baseline = base["runs_per_s"] if key == "runs_per_s" else base["latency_ms"][key]
    return f"{value / baseline:.2f}" if baseline else "?"


def _cpu(usage: dict[str, float]) -> str:
    total = sum(usage.values())
    parts = ", ".join(f"{name} {value:.1f}" for name, value in usage.items())
    return f"{total:.1f} = {parts}"


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}%"


def _load(loadavg: list[float]) -> str:
    return " ".join(f"{value:.2f}" for value in loadavg)
