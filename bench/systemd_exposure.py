#!/usr/bin/env python3
"""infra-expert's exposure score against `systemd-analyze security --offline=true`.

    .venv/bin/python bench/systemd_exposure.py [--rounds 3] [UNIT.service ...]

On the same .service files (default: this machine's /lib/systemd/system/*.service and
the corpus' services): infra-expert in one process for all of them (a full review, JSON
with `files[].exposure`), against systemd-analyze run once per unit, as users run it.
Prints both times (best of --rounds), the ratio, and the agreement of the scores.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OVERALL = re.compile(r"Overall exposure level for .*?: (\d+\.\d) (\w+)")


def default_units():
    paths = [p for p in sorted(Path("/lib/systemd/system").glob("*.service")) if p.is_file()]
    for lst, base in (("systemd.txt", "corpus"), ("homelab-systemd.txt", "corpus-homelab")):
        listing = SHARED / "corpus_lists" / lst
        if listing.is_file():
            paths += [SHARED / base / line for line in listing.read_text().split()
                      if line.endswith(".service") and (SHARED / base / line).is_file()]
    return paths


def run_systemd_analyze(analyze, paths):
    scores = {}
    for p in paths:
        out = subprocess.run([analyze, "security", "--offline=true", "--no-pager", str(p)],
                             capture_output=True, text=True, cwd="/").stdout
        m = OVERALL.search(out)
        if m:
            scores[str(p)] = float(m.group(1))
    return scores


def run_ours(paths):
    out = subprocess.run([sys.executable, "-m", "infra_expert", "review", "--format", "json",
                          "--fail-on", "never", *map(str, paths)],
                         capture_output=True, text=True, cwd=ROOT)
    data = json.loads(out.stdout)
    # a unit linked under two names (autovt@ -> getty@) is reviewed once: key by target
    return {str((ROOT / f["path"]).resolve()): f["exposure"] for f in data["files"]
            if "exposure" in f}


def best(fn, rounds):
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("units", nargs="*")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        sys.exit("systemd-analyze is not installed: nothing to compare with")
    paths = [Path(u) for u in args.units] or default_units()
    theirs_t, theirs = best(lambda: run_systemd_analyze(analyze, paths), args.rounds)
    accepted = [p for p in paths if str(p) in theirs]
    ours_t, ours = best(lambda: run_ours(accepted), args.rounds)
    diffs = [abs(ours[str(p.resolve())] - theirs[str(p)]) for p in accepted
             if str(p.resolve()) in ours]
    print(f"units: {len(accepted)} (systemd-analyze accepted {len(accepted)} of {len(paths)})")
    print(f"systemd-analyze, one process per unit: {theirs_t:.2f} s")
    print(f"infra-expert, one process for all:     {ours_t:.2f} s (full review, all rules)")
    print(f"ratio: infra-expert takes {ours_t / theirs_t:.2f}× the time of systemd-analyze "
          f"({theirs_t / ours_t:.1f}× faster)")
    if diffs:
        print(f"score agreement: mean |difference| {sum(diffs) / len(diffs):.3f}, "
              f"largest {max(diffs):.1f}, over {len(diffs)} units")


if __name__ == "__main__":
    main()
