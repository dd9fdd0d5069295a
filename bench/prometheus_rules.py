#!/usr/bin/env python3
"""infra-expert on Prometheus rule files against `promtool check rules`.

    .venv/bin/python bench/prometheus_rules.py [--rounds 3]

The rule files are the `spec.groups` of the corpus' `PrometheusRule` manifests, written
out as plain rule files (a real rule file is what promtool reads), plus the bundled
example's. infra-expert reviews them all in one process; promtool is timed once per file
(as a pre-commit hook or a user runs it) and once over all files. promtool comes from
Debian's prometheus package, unpacked by bench/setup.sh into bench/bin (never a project
dependency). Prints best-of-rounds times and the ratios.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"


_ALERT = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: {expr}\n{more}"
BROKEN = {
    "broken-paren.rules.yml": _ALERT.format(expr="rate(x_total[5m] > 1", more=""),
    "broken-for.rules.yml": _ALERT.format(expr="up == 0", more="        for: soon\n"),
    "broken-dup-group.rules.yml": "groups:\n  - name: g\n    rules: []\n"
                                  "  - name: g\n    rules: []\n",
    "broken-both.rules.yml": _ALERT.format(expr="up == 0", more="        record: a:b:c\n"),
    "broken-yaml.rules.yml": "groups:\n  - name: g\n    rules: [\n",
    "fine-bool.rules.yml": _ALERT.format(expr="up == bool 0", more=""),
}


def rule_files(out):
    """Write each PrometheusRule's groups as `NAME.rules.yml` under `out`."""
    written = []
    for corpus in ("corpus", "corpus-homelab"):
        for path in sorted((SHARED / corpus).rglob("*.y*ml")):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            if "PrometheusRule" not in text:
                continue
            try:
                docs = list(yaml.safe_load_all(text))
            except yaml.YAMLError:
                continue
            for i, doc in enumerate(docs):
                if isinstance(doc, dict) and doc.get("kind") == "PrometheusRule" and \
                        isinstance(doc.get("spec"), dict) and doc["spec"].get("groups"):
                    name = f"{len(written):03d}-{path.stem}-{i}.rules.yml"
                    target = out / name
                    target.write_text(yaml.safe_dump({"groups": doc["spec"]["groups"]},
                                                     sort_keys=False))
                    written.append(target)
    # and a few broken ones, to see that both refuse the same files
    for name, text in BROKEN.items():
        (out / name).write_text(text)
        written.append(out / name)
    example = ROOT / "examples" / "homelab" / "ops" / "monitoring" / "notes-alerts.yml"
    if example.exists():
        shutil.copy(example, out / example.name)
        written.append(out / example.name)
    return written


def best(cmds, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for cmd in cmds:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    promtool = HERE / "bin" / "promtool"
    if not promtool.exists():
        sys.exit("no bench/bin/promtool: run bench/setup.sh")
    ours = ROOT / ".venv" / "bin" / "infra-expert"
    with tempfile.TemporaryDirectory() as tmp:
        files = rule_files(Path(tmp))
        if not files:
            sys.exit("no rule files found")
        us = best([[str(ours), "review", tmp, "--format", "json", "--fail-on", "never"]],
                  args.rounds)
        each = best([[str(promtool), "check", "rules", str(f)] for f in files], args.rounds)
        once = best([[str(promtool), "check", "rules", *map(str, files)]], args.rounds)
        # agreement: the files promtool refuses against the files we call unloadable
        refused = {f.name for f in files if subprocess.run(
            [str(promtool), "check", "rules", str(f)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, check=False).returncode != 0}
        report = json.loads(subprocess.run(
            [str(ours), "review", tmp, "--format", "json", "--fail-on", "never"],
            capture_output=True, text=True, check=False).stdout)
        broken = {Path(f["path"]).name for f in report["findings"]
                  if f["rule"] in ("MO001", "MO002", "MO014") and f["severity"] == "critical"}
    print(f"{len(files)} rule files; promtool refuses {len(refused)}, infra-expert calls "
          f"{len(broken)} unloadable; both: {len(refused & broken)}; only promtool: "
          f"{sorted(refused - broken)}; only infra-expert: {sorted(broken - refused)}")
    print(f"infra-expert (one process):    {us:.2f} s")
    print(f"promtool, one run per file:    {each:.2f} s  -> infra-expert is "
          f"{each / us:.2f}x as fast")
    print(f"promtool, one run for all:     {once:.2f} s  -> ratio {once / us:.2f}x")


if __name__ == "__main__":
    main()
