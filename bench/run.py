#!/usr/bin/env python3
"""Benchmark infra-expert against its floors and peers, all measured in the same run.

    python bench/run.py [--repeat 5] [--corpus ../shared/corpus]

Measures (median of --repeat runs, wall clock, one process each):
  * start-up: `infra-expert review <one Dockerfile>` against `python -c "import yaml"`;
  * Dockerfiles of the corpus: infra-expert (one process over all of them) against the
    floor of just reading the files and against hadolint (one process over the same files);
  * the whole corpus: infra-expert against reading every file.
Peers come from the bench environment (`bench/setup.sh`), never from the project's
dependencies. Ratios, not absolute times, are what to compare: machines here are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def timed(cmd, repeat, cwd=None):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def read_floor_cmd(list_file, corpus):
    code = ("import sys,os\nroot=sys.argv[2]\n"
            "for p in open(sys.argv[1]).read().splitlines():\n"
            "    open(os.path.join(root,p),'rb').read().decode('utf-8','replace')\n")
    return [sys.executable, "-c", code, str(list_file), str(corpus)]


def yaml_floor_cmd(list_file, corpus):
    code = ("import sys,os,yaml\nroot=sys.argv[2]\n"
            "for p in open(sys.argv[1]).read().splitlines():\n"
            "    t=open(os.path.join(root,p),'rb').read().decode('utf-8','replace')\n"
            "    try: list(yaml.load_all(t, Loader=yaml.CSafeLoader))\n"
            "    except yaml.YAMLError: pass\n")
    return [sys.executable, "-c", code, str(list_file), str(corpus)]


def find_tool(name):
    for candidate in (HERE / ".venv" / "bin" / name, HERE / ".npm" / "node_modules" / ".bin" / name,
                      shutil.which(name)):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = ap.parse_args()
    corpus = Path(args.corpus).resolve()
    # An installed package ships byte-code; compile it here too so that start-up is
    # measured as users see it (PYTHONDONTWRITEBYTECODE may be set on this machine).
    import infra_expert
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    str(Path(infra_expert.__file__).parent)], stdout=subprocess.DEVNULL,
                   check=False)
    lists = corpus.parent / "corpus_lists"
    exe = [sys.executable, "-m", "infra_expert"]
    # ShellCheck is an optional extra: the default install has none. Ignoring its family
    # rules turns it off, which measures what `pip install infra-expert` runs; the rows
    # against hadolint (which runs ShellCheck too) keep it on when it is installed.
    from infra_expert import shellcheck
    with_sc = shellcheck.find() is not None
    no_sc = ["--ignore", "DF104", "--ignore", "CB010"]
    dockerfiles = (lists / "dockerfile.txt").read_text().splitlines()
    all_files = (lists / "all.txt").read_text().splitlines()
    rows = []

    with tempfile.TemporaryDirectory() as tmp:
        single = Path(tmp) / "Dockerfile"
        single.write_text((corpus / dockerfiles[0]).read_text())
        t_yaml = timed([sys.executable, "-c", "import yaml"], args.repeat * 4)
        t_one = timed(exe + ["review", str(single), "--no-config", "--fail-on", "never",
                             "-f", "json", *no_sc], args.repeat * 4)
        rows.append(("start-up: one Dockerfile", 1, t_one, "python -c 'import yaml'", t_yaml))
        if with_sc:
            t_one_sc = timed(exe + ["review", str(single), "--no-config", "--fail-on",
                                    "never", "-f", "json"], args.repeat * 4)
            rows.append(("start-up: one Dockerfile, with ShellCheck", 1, t_one_sc,
                         "python -c 'import yaml'", t_yaml))

    t_read_df = timed(read_floor_cmd(lists / "dockerfile.txt", corpus), args.repeat)
    df_cmd = exe + ["review", *dockerfiles, "--no-config", "--fail-on", "never", "-f", "json"]
    t_ours_df = timed(df_cmd + no_sc, args.repeat, cwd=corpus)
    rows.append(("corpus Dockerfiles", len(dockerfiles), t_ours_df, "read the files", t_read_df))
    t_ours_sc = timed(df_cmd, args.repeat, cwd=corpus) if with_sc else None
    hadolint = find_tool("hadolint")
    if hadolint:
        t_hado = timed([hadolint, "--no-fail", "-f", "json", *dockerfiles], args.repeat,
                       cwd=corpus)
        rows.append(("corpus Dockerfiles", len(dockerfiles), t_ours_df,
                     "hadolint (one process)", t_hado))
        if t_ours_sc is not None:
            rows.append(("corpus Dockerfiles, with ShellCheck", len(dockerfiles), t_ours_sc,
                         "hadolint (one process)", t_hado))
    composes = (lists / "compose.txt").read_text().splitlines()
    t_yaml_c = timed(yaml_floor_cmd(lists / "compose.txt", corpus), args.repeat)
    t_ours_c = timed(exe + ["review", *composes, "--no-config", "--fail-on", "never",
                            "-f", "json"], args.repeat, cwd=corpus)
    rows.append(("corpus Compose files", len(composes), t_ours_c, "read + YAML-parse the files",
                 t_yaml_c))
    compose_lint = find_tool("compose-lint")
    if compose_lint:
        t_cl = timed([compose_lint, "check", "--format", "json", "--allow-partial-coverage",
                      *composes], args.repeat, cwd=corpus)
        rows.append(("corpus Compose files", len(composes), t_ours_c,
                     "compose-lint (one process)", t_cl))
    dclint = find_tool("dclint")
    if dclint:
        t_dc = timed([dclint, "-f", "json", *composes], args.repeat, cwd=corpus)
        rows.append(("corpus Compose files", len(composes), t_ours_c, "dclint (one process)",
                     t_dc))
    kube = (lists / "kubernetes.txt").read_text().splitlines()
    t_yaml_k = timed(yaml_floor_cmd(lists / "kubernetes.txt", corpus), args.repeat)
    t_ours_k = timed(exe + ["review", *kube, "--no-config", "--fail-on", "never", "-f", "json"],
                     args.repeat, cwd=corpus)
    rows.append(("corpus Kubernetes manifests", len(kube), t_ours_k,
                 "read + YAML-parse the files", t_yaml_k))
    checkov = find_tool("checkov")
    if checkov:
        # checkov takes minutes: one run is enough to compare orders of magnitude
        cmd = [checkov, "--framework", "kubernetes", "--quiet", "--compact", "-o", "json"]
        for f in kube:
            cmd += ["-f", f]
        t_ck = timed(cmd, 1, cwd=corpus)
        rows.append(("corpus Kubernetes manifests", len(kube), t_ours_k,
                     "checkov --framework kubernetes (1 run)", t_ck))
    t_read_all = timed(read_floor_cmd(lists / "all.txt", corpus), args.repeat)
    t_ours_all = timed(exe + ["review", str(corpus), "--no-config", "--fail-on", "never",
                              "-f", "json", *no_sc], args.repeat)
    rows.append(("whole corpus (walk + classify + review)", len(all_files), t_ours_all,
                 "read the files", t_read_all))

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of "
          f"{args.repeat} runs (start-up: {args.repeat * 4})\n")
    print("| what | files | infra-expert | files/s | baseline | baseline time | ratio |")
    print("|---|---:|---:|---:|---|---:|---:|")
    for what, n, ours, base_name, base in rows:
        print(f"| {what} | {n} | {ours * 1000:.0f} ms | {n / ours:,.0f} | {base_name} | "
              f"{base * 1000:.0f} ms | {ours / base:.2f}× |")
    missing = [name for name, tool in (("hadolint", hadolint), ("compose-lint", compose_lint),
                                       ("dclint", dclint), ("checkov", checkov)) if not tool]
    if missing:
        print(f"\nnot found: {', '.join(missing)}; run bench/setup.sh to install the peers.")


if __name__ == "__main__":
    main()
