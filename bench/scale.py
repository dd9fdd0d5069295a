"""Scale: the corpus copied 1×, 4× and 10× into a temporary folder, reviewed with
`--jobs 1` and `--jobs N`: wall time, files/s and peak RSS, and the ratio to the floor of
reading every file, so that growth with the tree is visible.

The corpus is a folder of repositories (`owner__repo`); each copy gets an empty `.git` in
each of them, as a checkout of an organisation's clones has, so that infra-expert reviews
them as the repositories they are (one unit each, see `infra_expert.scale`).

    python bench/scale.py [--sizes 1,4,10] [--jobs N] [--plot BENCHMARKS-scale.png]

Peak RSS is the largest resident set of any process of the run (the main process or one
worker), from `getrusage(RUSAGE_CHILDREN)` measured in a fresh helper process per run.
matplotlib (a bench-only dependency, `bench/setup.sh`) draws the plot when installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"

# Runs `argv` and prints its wall time and the peak RSS of its process tree's largest
# process, in a process of its own so that RUSAGE_CHILDREN holds this run only.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if done.returncode:
    sys.exit(f"{sys.argv[1:]} failed: {done.stderr.decode()[-2000:]}")
wall = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "rss_kib": rss}))
"""

# The floor: read every file and parse what is YAML or JSON with libyaml / json (what any
# tool reviewing these files must do at least), in one process on one core.
_READ_FLOOR = """
import json, os, sys, yaml
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
for top, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if d != ".git"]
    for name in files:
        with open(os.path.join(top, name), "rb") as fh:
            data = fh.read()
        try:
            if name.endswith((".yaml", ".yml")):
                for _ in yaml.load_all(data, Loader=loader):
                    pass
            elif name.endswith(".json"):
                json.loads(data)
        except Exception:
            pass
"""


def measure(argv):
    out = subprocess.run([sys.executable, "-c", _MEASURE, *argv], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def make_tree(base, copies):
    """`copies` copies of the corpus under `base`, each repository with a `.git`."""
    for i in range(copies):
        dest = base / f"copy{i:02d}"
        shutil.copytree(CORPUS, dest, symlinks=True)
        for repo in dest.iterdir():
            if repo.is_dir():
                (repo / ".git").mkdir(exist_ok=True)
    return sum(1 for _, _, files in os.walk(base) for _ in files)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,4,10")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--format", default="jsonl",
                        help="output format (default jsonl: streamed, memory stays one "
                             "repository's; json keeps every finding to sort them)")
    parser.add_argument("--plot", metavar="PNG")
    parser.add_argument("--python", default=str(PROJECT_PYTHON) if PROJECT_PYTHON.exists()
                        else sys.executable,
                        help="the interpreter infra-expert is installed in (default: the "
                             "project's .venv)")
    parser.add_argument("--json", metavar="FILE", help="write the measurements as JSON")
    parser.add_argument("--from-json", metavar="FILE",
                        help="only draw the plot of measurements written by --json")
    args = parser.parse_args()
    if args.from_json:
        plot(json.loads(Path(args.from_json).read_text()), args.plot or "scale.png")
        return
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")
    # the default install: ShellCheck (an optional extra) off, as in bench/run.py
    exe = [args.python, "-m", "infra_expert", "review", "--no-config", "--fail-on",
           "never", "-f", args.format, "-o", os.devnull, "--ignore", "DF104", "--ignore",
           "CB010"]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="infra-expert-scale-") as tmp:
            tree = Path(tmp) / "fleet"
            files = make_tree(tree, size)
            floor = min(measure([sys.executable, "-c", _READ_FLOOR, str(tree)])["wall"]
                        for _ in range(args.repeat))
            for jobs in (1, args.jobs):
                runs = [measure(exe + ["--jobs", str(jobs), str(tree)])
                        for _ in range(args.repeat)]
                best = min(runs, key=lambda r: r["wall"])
                rows.append({"copies": size, "files": files, "jobs": jobs,
                             "format": args.format,
                             "wall_s": round(best["wall"], 2),
                             "files_per_s": round(files / best["wall"]),
                             "peak_rss_mb": round(max(r["rss_kib"] for r in runs) / 1024),
                             "floor_s": round(floor, 3),
                             "ratio_to_floor": round(best["wall"] / floor, 1)})
                print(json.dumps(rows[-1]), flush=True)
    print()
    print("| copies | files | --jobs | wall | files/s | peak RSS | read+parse floor | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['copies']}× | {r['files']} | {r['jobs']} | {r['wall_s']} s | "
              f"{r['files_per_s']} | {r['peak_rss_mb']} MB | {r['floor_s']} s | "
              f"{r['ratio_to_floor']}× |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    if args.plot:
        plot(rows, args.plot)


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        # the bench environment has it (bench/setup.sh); the project's has not
        bench_python = ROOT / "bench" / ".venv" / "bin" / "python"
        bench_env = ROOT / "bench" / ".venv"
        if bench_python.exists() and Path(sys.prefix).resolve() != bench_env.resolve():
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
                json.dump(rows, fh)
            subprocess.run([str(bench_python), __file__, "--from-json", fh.name, "--plot",
                            str(Path(path).resolve())], check=False)
            os.unlink(fh.name)
        else:
            print(f"matplotlib is not installed: no plot ({path})", file=sys.stderr)
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    for jobs in sorted({r["jobs"] for r in rows}):
        mine = [r for r in rows if r["jobs"] == jobs]
        files = [r["files"] for r in mine]
        left.plot(files, [r["wall_s"] for r in mine], marker="o", label=f"--jobs {jobs}")
        right.plot(files, [r["peak_rss_mb"] for r in mine], marker="o",
                   label=f"--jobs {jobs}")
    left.set(xlabel="files", ylabel="wall time (s)", title="Time")
    right.set(xlabel="files", ylabel="peak RSS (MB)", title="Memory (largest process)")
    for ax in (left, right):
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
