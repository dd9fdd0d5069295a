#!/usr/bin/env python3
"""CI/CD pipelines: infra-expert against zizmor (the reference for GitHub Actions
security) on the same workflows and actions of ../shared/corpus-ci, in the same run.

    python bench/pipeline.py [--repeat 5]

Both get the same list of files on the command line, one process each, offline
(`zizmor --offline --no-config --no-progress --format json`; infra-expert with
`--no-config -f json`). Median wall time of --repeat runs; the ratio is what to read
(machines here are noisy). zizmor comes from the bench environment (`bench/setup.sh`),
never from the project's dependencies. Also prints how many findings each reported.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"


def github_files():
    """The corpus-ci files in GitHub Actions syntax (workflows and action.yml)."""
    listed = (SHARED / "corpus_lists" / "ci.txt").read_text().splitlines()
    out = []
    for rel in listed:
        parts = rel.split("/")
        if ".github" in parts or ".forgejo" in parts or ".gitea" in parts \
                or parts[-1] in ("action.yml", "action.yaml"):
            out.append(str(SHARED / "corpus-ci" / rel))
    return out


def timed(cmd, repeat):
    times, last = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        last = subprocess.run(cmd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times), last


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    zizmor = shutil.which("zizmor", path=str(HERE / ".venv" / "bin"))
    if zizmor is None:
        sys.exit("zizmor is not installed in bench/.venv (run bench/setup.sh)")
    python = str(PROJECT_PYTHON) if PROJECT_PYTHON.exists() else sys.executable
    files = github_files()
    ours_cmd = [python, "-m", "infra_expert", "review", "--no-config", "--fail-on", "never",
                "-f", "json", *files]
    theirs_cmd = [zizmor, "--offline", "--no-config", "--no-progress", "--no-exit-codes",
                  "--format", "json", *files]
    t_ours, ours = timed(ours_cmd, args.repeat)
    t_theirs, theirs = timed(theirs_cmd, args.repeat)
    ours_findings = [f for f in json.loads(ours.stdout)["findings"]
                     if f["rule"].startswith("CI")]
    try:
        theirs_findings = json.loads(theirs.stdout)
    except ValueError:
        sys.exit(f"zizmor did not print JSON: {theirs.stderr[-500:]}")
    print(f"{len(files)} GitHub Actions files of corpus-ci, median of {args.repeat} runs")
    print(f"infra-expert: {t_ours:.2f} s, {len(ours_findings)} CI findings")
    print(f"zizmor --offline: {t_theirs:.2f} s, {len(theirs_findings)} findings")
    print(f"ratio infra-expert / zizmor: {t_ours / t_theirs:.2f}×")
    counts = {}
    for f in theirs_findings:
        counts[f.get("ident", "?")] = counts.get(f.get("ident", "?"), 0) + 1
    print("zizmor by audit:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    ours_counts = {}
    for f in ours_findings:
        ours_counts[f["rule"]] = ours_counts.get(f["rule"], 0) + 1
    print("infra-expert by rule:", ", ".join(f"{k} {v}" for k, v in sorted(ours_counts.items())))


if __name__ == "__main__":
    main()
