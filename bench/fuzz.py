#!/usr/bin/env python3
"""The long fuzz run: the property tests of tests/test_fuzz.py, for minutes, not seconds.

    .venv/bin/python bench/fuzz.py [--seconds 120] [--jobs 2] [--profile long] [-k yaml]

Every test of tests/test_fuzz.py runs in its own process, under a memory cap (--memory-mb)
and a CPU-time cap, in rounds of the profile's examples (the "long" profile draws fresh
random inputs each round) until --seconds have passed; --jobs tests run at a time.
`--profile ci` runs each test once with the CI settings: the numbers of the short run.
At the end it prints the inputs run per parser and the time; a failure prints
Hypothesis' falsifying example and its reproduce blob, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "test_fuzz.py"
GRACE = 300          # seconds past the budget before a worker counts as hung


def test_names():
    tree = ast.parse(TESTS.read_text())
    return [n.name for n in tree.body
            if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


def worker(name, seconds, memory_mb):
    """Run one test in rounds; print one JSON line with what ran."""
    import faulthandler
    import resource
    import traceback
    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = int(seconds) + GRACE
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 10))
    faulthandler.dump_traceback_later(seconds + GRACE, exit=True)   # a hang shows where
    sys.path.insert(0, str(TESTS.parent))
    import test_fuzz
    start = time.perf_counter()
    rounds, failure = 0, None
    while True:
        try:
            getattr(test_fuzz, name)()
        except BaseException as exc:  # noqa: BLE001 - report whatever escaped
            failure = "".join(traceback.format_exception(exc))
            break
        rounds += 1
        if time.perf_counter() - start >= seconds:
            break
    print(json.dumps({"test": name, "runs": dict(test_fuzz.RUNS), "rounds": rounds,
                      "seconds": time.perf_counter() - start, "failure": failure}))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=120, help="budget per test (long)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--profile", choices=("long", "ci"), default="long")
    ap.add_argument("--memory-mb", type=int, default=3072, help="address-space cap per test")
    ap.add_argument("-k", dest="select", default="", help="only tests whose name has this")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.seconds, args.memory_mb)
        return 0

    seconds = args.seconds if args.profile == "long" else 0
    env = dict(os.environ, HYPOTHESIS_PROFILE=args.profile)
    pending = [n for n in test_names() if args.select in n]
    running, results = {}, []
    start = time.perf_counter()
    while pending or running:
        while pending and len(running) < args.jobs:
            name = pending.pop(0)
            cmd = [sys.executable, __file__, "--worker", name, "--seconds", str(seconds),
                   "--memory-mb", str(args.memory_mb)]
            running[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE, text=True)
        time.sleep(0.2)
        for name, proc in list(running.items()):
            if proc.poll() is None:
                continue
            del running[name]
            out, err = proc.communicate()
            lines = out.strip().splitlines()
            try:
                results.append(json.loads(lines[-1]))
            except (IndexError, ValueError):
                results.append({"test": name, "runs": {}, "rounds": 0, "seconds": 0,
                                "failure": f"worker exited {proc.returncode}\n{err[-4000:]}"})
            r = results[-1]
            print(f"{name:32} {sum(r['runs'].values()):>8} inputs {r['seconds']:7.1f} s  "
                  f"{'FAIL' if r['failure'] else 'ok'}", flush=True)

    per_parser = Counter()
    for r in results:
        per_parser.update(r["runs"])
    print(f"\nprofile {args.profile}: inputs run per parser "
          f"(wall clock {time.perf_counter() - start:.0f} s, {args.jobs} jobs)")
    for kind, count in sorted(per_parser.items()):
        print(f"  {kind:24} {count:>9}")
    print(f"  {'total':24} {sum(per_parser.values()):>9}")
    failed = [r for r in results if r["failure"]]
    for r in failed:
        print(f"\n=== {r['test']} failed ===\n{r['failure']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
