"""Soak: a steady event rate against the staging stack while faults are injected, then exact
counts. Why: durability claims hold only if nothing is lost or run twice over many faults.

It starts Postgres and Redis (.ci/services.sh), the staging server as the tests run it (a web
process, two Celery workers, beat) and the Python SDK test app; sends `soak` events at --rate
per second (a mix: three steps, a sleep, a step failing twice, a step failing for good;
a step of most runs stays in flight up to 1.5 s, so faults land mid-step);
every --fault-every seconds injects the next fault of FAULTS; then drains and checks:
events acknowledged = events stored, one run per event, runs completed or failed exactly as
designed, and no step's body ran again after its output was stored (the app's log against
the stored outputs). Exits 1 on any mismatch. Writes bench/results/soak-<timestamp>.json.

Usage, from the project root (as root, for .ci/services.sh and pg_ctlcluster):
    .venv/bin/python -m bench.soak --minutes 10 --rate 4
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

# The staging half of the test suite, as the Makefile's STAGING_ENV sets it (read by
# tests.harness at import).
STAGING_ENV = {
    "DEVSERVER_TEST_STAGING": "1",
    "DATABASE_URL": "postgres://devserver:devserver@127.0.0.1:5432/devserver",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SECRET_KEY": "test-only-secret-key-of-the-secured-suite",
    "INNGEST_SIGNING_KEY": "signkey-test-" + "5a1e" * 16,
    "INNGEST_EVENT_KEY": "test-key",
}
for _name, _value in STAGING_ENV.items():
    os.environ.setdefault(_name, _value)

import httpx  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402

from tests.faults.injection import restart_postgres, steps_run_after_stored  # noqa: E402
from tests.harness import (  # noqa: E402
    EVENT_KEY,
    ROOT,
    DevServer,
    SdkApp,
    wait_until,
)

RESULTS_DIR = ROOT / "bench" / "results"
APP_ID = "soak-app"
KINDS = ["multi"] * 4 + ["sleepy"] * 3 + ["flaky"] * 2 + ["doomed"]  # 10% fail by design
FAULTS = ["kill-worker", "kill-web", "flush-redis", "restart-postgres"]
# The completed steps each kind of run ends with.
STEPS = {
    "multi": {"a", "b", "c"},
    "sleepy": {"a", "nap", "b", "c"},
    "flaky": {"a", "wobbly", "b", "c"},
}


def progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


class Sender(threading.Thread):
    """Sends one event every 1/rate s until stopped. An event whose reply was lost (web
    process down) is sent again with the same id, which the server deduplicates."""

    def __init__(self, server: DevServer, app: SdkApp, rate: float, seed: int = 7) -> None:
        super().__init__(daemon=True, name="sender")
        self.server, self.app, self.interval = server, app, 1.0 / rate
        self.rng = random.Random(seed)
        self.acked: dict[str, str] = {}  # key -> kind
        self.resends = 0
        self.stopping = threading.Event()

    def event(self, index: int) -> dict:
        kind = self.rng.choice(KINDS)
        data = {
            "key": f"e{index}",
            "kind": kind,
            "seconds": self.rng.randint(2, 8),  # of the sleep of a `sleepy` run
            "pause": self.rng.choice([0, 0, 0.5, 1.0, 1.5]),  # step b in flight this long
        }
        return {"id": f"soak-e{index}", "name": self.app.event("soak"), "data": data}

    def run(self) -> None:
        start, index = time.monotonic(), 0
        while not self.stopping.is_set():
            event = self.event(index)
            while not self.deliver(event):
                self.resends += 1
                time.sleep(0.5)
            self.acked[event["data"]["key"]] = event["data"]["kind"]
            index += 1
            time.sleep(max(0.0, start + index * self.interval - time.monotonic()))

    def deliver(self, event: dict) -> bool:
        try:
            response = self.server.http.post(f"/e/{EVENT_KEY}", json=event, timeout=10)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


class Faults:
    """Injects FAULTS in turn; each leaves the stack running again."""

    def __init__(self, server: DevServer) -> None:
        self.server = server
        self.done: list[dict] = []

    def inject(self, number: int) -> None:
        name = FAULTS[number % len(FAULTS)]
        started = time.monotonic()
        getattr(self, "_" + name.replace("-", "_"))()
        seconds = round(time.monotonic() - started, 1)
        self.done.append({"fault": name, "at": f"{datetime.now(UTC):%H:%M:%S}", "s": seconds})
        progress(f"fault {number + 1}: {name} ({seconds} s)")

    def _kill_worker(self) -> None:
        worker = self.server.workers[len(self.done) % 2]  # the two workers, in turn
        worker.kill()
        time.sleep(2)
        worker.start()

    def _kill_web(self) -> None:
        self.server.process.kill()
        time.sleep(2)
        self.server.start_web()

    def _flush_redis(self) -> None:
        redis.Redis.from_url(self.server.env["REDIS_URL"]).flushdb()

    def _restart_postgres(self) -> None:
        restart_postgres(down_seconds=3)


def stored_runs(server: DevServer) -> list[dict]:
    """Every run of the soak function with its event key and stored steps (from Postgres)."""
    query = """
        SELECT r.id, r.status, r.error, e.data->>'key',
               COALESCE(json_agg(json_build_object('name', s.name, 'memo', s.memo))
                        FILTER (WHERE s.id IS NOT NULL), '[]')
        FROM runs_run r JOIN runs_function f ON f.id = r.function_id
        LEFT JOIN events_event e ON e.id = r.event_id
        LEFT JOIN runs_step s ON s.run_id = r.id AND s.status = 'Completed'
        WHERE f.slug = %s GROUP BY r.id, e.data
    """
    with psycopg.connect(server.env["DATABASE_URL"]) as connection:
        rows = connection.execute(query, [f"{APP_ID}-soak"]).fetchall()
    return [{"id": r[0], "status": r[1], "error": r[2], "key": r[3], "steps": r[4]} for r in rows]


def stored_event_count(server: DevServer) -> int:
    with psycopg.connect(server.env["DATABASE_URL"]) as connection:
        query = "SELECT count(*) FROM events_event WHERE name = %s"
        return connection.execute(query, [f"{APP_ID}/soak"]).fetchone()[0]


def drain(server: DevServer, expected: int, timeout: float) -> list[dict]:
    def ended() -> list[dict] | None:
        runs = stored_runs(server)
        done = [r for r in runs if r["status"] in ("Completed", "Failed", "Cancelled")]
        progress(f"draining: {len(done)}/{expected} runs ended ({len(runs)} started)")
        return runs if len(done) >= expected and len(runs) >= expected else None

    try:
        return wait_until(ended, timeout, "every run to end", interval=5)
    except AssertionError:
        return stored_runs(server)


def count(sent: dict[str, str], events_stored: int, runs: list[dict], lines: list[str]) -> dict:
    """The exact counts and the mismatches among them."""
    by_key = {run["key"]: run for run in runs}
    statuses = Counter(run["status"] for run in runs)
    doomed = {key for key, kind in sent.items() if kind == "doomed"}
    wrong_status, wrong_steps, rerun = [], [], []
    for key, kind in sent.items():
        run = by_key.get(key)
        want = "Failed" if key in doomed else "Completed"
        if run is None or run["status"] != want:
            wrong_status.append(key)
            continue
        if key in doomed:
            if "doomed by design" not in json.dumps(run["error"]):
                wrong_status.append(key)
            continue
        if {s["name"] for s in run["steps"]} != STEPS[kind]:
            wrong_steps.append(key)
        rerun += [f"{key}:{name}" for name in steps_run_after_stored(lines, key, run["steps"])]
    bodies = Counter(line.rsplit(":", 1)[0] for line in lines if line.count(":") == 3)
    counts = {
        "events_sent": len(sent),
        "events_stored": events_stored,
        "runs_expected": len(sent),
        "runs_stored": len(runs),
        "runs_by_status": dict(statuses),
        "runs_expected_completed": len(sent) - len(doomed),
        "runs_expected_failed": len(doomed),
        "runs_with_wrong_status": len(wrong_status),
        "runs_with_wrong_steps": len(wrong_steps),
        "steps_run_after_stored": len(rerun),
        "step_bodies_run_again_before_stored": sum(n - 1 for n in bodies.values()),
    }
    counts["ok"] = (
        events_stored == len(sent) == len(runs)
        and statuses["Completed"] == len(sent) - len(doomed)
        and statuses["Failed"] == len(doomed)
        and not wrong_status
        and not wrong_steps
        and not rerun
    )
    counts["examples"] = {"wrong_status": wrong_status[:10], "wrong_steps": wrong_steps[:10]}
    counts["examples"]["run_after_stored"] = rerun[:10]
    return counts


def soak(server: DevServer, app: SdkApp, args: argparse.Namespace) -> dict:
    sender, faults = Sender(server, app, args.rate), Faults(server)
    sender.start()
    started = time.monotonic()
    end = started + args.minutes * 60
    number = 0
    while time.monotonic() < end:
        next_fault = started + (number + 1) * args.fault_every
        if next_fault >= end - 5:
            time.sleep(max(0.0, end - time.monotonic()))
            break
        time.sleep(max(0.0, next_fault - time.monotonic()))
        faults.inject(number)
        number += 1
    sender.stopping.set()
    sender.join(timeout=60)
    progress(f"sent {len(sender.acked)} events ({sender.resends} resends); draining")
    runs = drain(server, len(sender.acked), args.drain_timeout)
    counts = count(sender.acked, stored_event_count(server), runs, app.log_lines())
    return {"counts": counts, "faults": faults.done, "resends": sender.resends}


def print_counts(results: dict) -> None:
    counts = results["counts"]
    print(f"\nsoak: {results['config']['minutes']} min at {results['config']['rate']} events/s")
    print(f"faults injected: {Counter(f['fault'] for f in results['faults'])}")
    for name, value in counts.items():
        if name not in ("ok", "examples"):
            print(f"  {name:38} {value}")
    print("counts match" if counts["ok"] else f"MISMATCH: {counts['examples']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=4.0, help="events per second")
    parser.add_argument("--fault-every", type=float, default=45.0, help="seconds")
    parser.add_argument("--drain-timeout", type=float, default=600.0, help="seconds")
    args = parser.parse_args(argv)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    subprocess.run(["bash", str(ROOT / ".ci" / "services.sh")], check=True)
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        work = Path(tmp)
        # Short leases: a killed worker's items move on within seconds.
        server = DevServer(work, env={"DEVSERVER_LEASE_SECONDS": "5"}, name="soak")
        app = SdkApp("py", server.url, work, app_id=APP_ID)
        server.sdk_urls = [app.url]
        try:
            app.start()
            server.start()
            slug = app.slug("soak")
            wait_until(
                lambda: slug in {f["slug"] for f in server.http.get("/api/functions").json()},
                30,
                f"{slug} to sync",
            )
            results = soak(server, app, args)
        finally:
            server.stop()
            app.process.stop()
            kept = ROOT / "test-artifacts" / f"soak-{stamp}"
            kept.mkdir(parents=True, exist_ok=True)
            for log in work.glob("*.log"):
                shutil.copy(log, kept / log.name)
            progress(f"process logs and the app's step log: {kept.relative_to(ROOT)}")
    results.update({"started_at": stamp, "config": vars(args)})
    print_counts(results)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"soak-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {path.relative_to(ROOT)}")
    return 0 if results["counts"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
