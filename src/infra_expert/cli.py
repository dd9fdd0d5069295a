"""Command line: `infra-expert review | rules | explain`.

stdout carries the report, stderr carries errors. Exit status: 0 nothing at or above
`--fail-on`, 1 findings at or above it, 2 usage error or failure of the tool itself.
"""

from __future__ import annotations

import argparse
import os
import sys

from infra_expert import __version__
from infra_expert.report import FORMATS, LINE_FORMATS


def _parser():
    p = argparse.ArgumentParser(
        prog="infra-expert",
        description="Read-only review of infrastructure files, as a senior DevOps/SRE "
                    "engineer would write it.")
    p.add_argument("-V", "--version", action="version", version=f"infra-expert {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("review", help="review files and directories (default: .)",
                       description="Review files and directories. Directories are walked "
                                   "with .gitignore respected.")
    r.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                   help="files and folders to review (default: .); `-` reads one file "
                        "from standard input (name it with --stdin-filename)")
    r.add_argument("--stdin-filename", metavar="NAME",
                   help="what the text read from `-` is: its name says its kind "
                        "(Dockerfile, compose.yaml, app.container …) and is the path shown")
    _review_options(r)
    r.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip paths matching GLOB (gitignore syntax; repeatable)")
    r.add_argument("--jobs", "-j", metavar="N",
                   help="worker processes for a folder of repositories (default: the usable "
                        "CPUs)")
    r.add_argument("--max-file-size", type=int, metavar="BYTES",
                   help="skip files larger than this (default: 5 MiB)")

    r.add_argument("--shard", metavar="I/N",
                   help="review shard I of N (0-based) of a folder of repositories, for "
                        "parallel CI jobs or a Kubernetes Indexed Job; combine the JSON "
                        "outputs with `infra-expert merge`")

    m = sub.add_parser("merge", help="combine the JSON outputs of `review --shard` into "
                                     "one review")
    m.add_argument("files", nargs="+", metavar="FILE.json")
    m.add_argument("--format", "-f", choices=FORMATS,
                   default="review")
    m.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    m.add_argument("--fail-on", choices=("critical", "warning", "suggestion", "never"),
                   default="critical",
                   help="lowest severity that makes the exit status 1 (default: critical)")
    m.add_argument("--no-color", action="store_true", help="no colour in the terminal")
    m.add_argument("--full", action="store_true", help="list every place of every finding")

    ru = sub.add_parser("rules", help="print the rule catalogue")
    ru.add_argument("--format", "-f", choices=("text", "markdown", "json"), default="text")

    e = sub.add_parser("explain", help="explain one rule: rationale, fix, example, peers")
    e.add_argument("rule", metavar="RULE")

    lv = sub.add_parser("live", help="review what runs now (containers, a cluster, systemd "
                                     "units, the host), read-only",
                        description="Review the running state with the same rules: Docker "
                                    "or Podman containers (Engine API or CLI), Kubernetes "
                                    "objects (kubectl get), systemd units and timers, and "
                                    "the host itself. Read-only: only allowlisted read "
                                    "calls are made.")
    lv.add_argument("target", choices=("docker", "podman", "kubernetes", "k8s", "systemd",
                                       "all"))
    lv.add_argument("--socket", metavar="PATH",
                    help="the Engine API socket (default: DOCKER_HOST / CONTAINER_HOST, "
                         "then the engine's usual socket, then its CLI)")
    lv.add_argument("--context", metavar="NAME", help="kube context (default: the current)")
    lv.add_argument("--namespace", "-n", metavar="NS", help="kube namespace")
    lv.add_argument("--all-namespaces", "-A", action="store_true",
                    help="every namespace the context may list")
    lv.add_argument("--snapshot", metavar="FILE.live.json",
                    help="also save what was read (environment values left out), to review "
                         "later with `infra-expert review FILE.live.json`")
    lv.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                    help="time-out of each call (default: 20)")
    _review_options(lv)

    mc = sub.add_parser("mcp", help="serve the review to AI assistants (Model Context "
                                    "Protocol, stdio; needs infra-expert[mcp])")
    from infra_expert.mcp_server import add_arguments
    add_arguments(mc)
    return p


def main(argv=None):
    try:
        return _main(argv)
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("infra-expert: interrupted\n")
        return 2
    except Exception as exc:  # noqa: BLE001 - no traceback reaches a user
        if os.environ.get("INFRA_EXPERT_DEBUG"):
            raise
        from infra_expert.report import visible
        from infra_expert.secrets import mask_secrets
        sys.stderr.write(f"infra-expert: internal error: {type(exc).__name__}: "
                         f"{visible(mask_secrets(str(exc))[:300])}\n"
                         "Set INFRA_EXPERT_DEBUG=1 for the traceback, and please report it.\n")
        return 2


def _review_options(r):
    """The options `review` and `live` share: output, severities, rules, host."""
    r.add_argument("--format", "-f", choices=FORMATS,
                   default="review",
                   help="review (default): coloured in a terminal, Markdown when piped")
    r.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    r.add_argument("--fail-on", choices=("critical", "warning", "suggestion", "never"),
                   help="lowest severity that makes the exit status 1 (default: critical)")
    r.add_argument("--baseline", metavar="FILE",
                   help="a review saved with -f json (or jsonl): report only the findings "
                        "that are not in it (matched by fingerprint, not by line)")
    r.add_argument("--min-severity", choices=("critical", "warning", "suggestion"),
                   help="leave out findings below this severity (default: show all)")
    r.add_argument("--quiet", "-q", action="store_true",
                   help="no progress line and no notices on standard error (errors are "
                        "still said)")
    r.add_argument("--rules-url", metavar="URL",
                   help="where SARIF's rule help links point (default: the project's "
                        "docs/rules.md); anchors are the lower-case rule ids")
    r.add_argument("--config", metavar="FILE", help="use this config file instead of "
                                                    "searching for one")
    r.add_argument("--no-config", action="store_true", help="ignore config files")
    r.add_argument("--ignore", action="append", default=[], metavar="RULE",
                   help="do not run RULE (repeatable, or comma-separated)")
    r.add_argument("--enable", action="append", default=[], metavar="RULE",
                   help="run an opt-in rule (off by default; repeatable or comma-separated)")
    r.add_argument("--severity", action="append", default=[], metavar="RULE=LEVEL",
                   help="override a rule's severity (critical, warning, suggestion)")
    r.add_argument("--trusted-registry", action="append", default=[], metavar="REGISTRY",
                   help="allow base images only from these registries (repeatable)")
    r.add_argument("--host", metavar="PROFILE",
                   help="the machine the stack should fit on: rpi3-1gb, rpi4-2gb, rpi4-4gb, "
                        "rpi4-8gb, rpi5-4gb, rpi5-8gb, zimaboard-2gb, zimaboard-8gb, "
                        "nuc-16gb or vm-<memory>-<cpus> (vm-4g-2)")
    r.add_argument("--host-memory", metavar="SIZE", help="host memory (4GiB, 512MiB)")
    r.add_argument("--host-cpus", metavar="N", help="host CPUs")
    r.add_argument("--host-arch", metavar="ARCH", help="amd64, arm64 or arm")
    r.add_argument("--host-storage", metavar="KIND", help="sd, ssd or hdd")
    r.add_argument("--kubernetes-version", metavar="1.NN",
                   help="Kubernetes version for schema validation (default: newest known)")
    r.add_argument("--no-color", action="store_true", help="no colour in the terminal")
    r.add_argument("--full", action="store_true",
                   help="list every place of every finding (the review shows a few and "
                        "the count; JSON and SARIF always list all)")


def _main(argv):
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help(sys.stderr)
        return 2
    if args.command == "rules":
        return _rules(args.format)
    if args.command == "explain":
        return _explain(args.rule)
    if args.command == "merge":
        return _merge(args)
    if args.command == "live":
        return _live(args)
    if args.command == "mcp":
        from infra_expert.mcp_server import main as serve
        return serve(args=args)
    return _review(args)


def _merge(args):
    from infra_expert.engine import exit_status
    from infra_expert.report import visible
    from infra_expert.scale import merge_files
    try:
        result = merge_files(args.files)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        what = exc.strerror if isinstance(exc, OSError) else str(exc)
        sys.stderr.write(f"infra-expert: merge: {visible(what)}\n")
        return 2
    if not result.files:
        from infra_expert.engine import nothing_reviewed
        result.notices.insert(0, nothing_reviewed(args.files))
    return _write(result, args, args.format) or exit_status(result, args.fail_on)


def _write(result, args, fmt, rules_url=None):
    """Write the report; 2 when the output file cannot be written, else None."""
    from infra_expert.report import write_report
    if fmt == "review" and not args.output:
        # a terminal (or FORCE_COLOR): the terminal view, rich imported only here
        from infra_expert.report.terminal import wants_colour, wants_terminal
        if wants_terminal(sys.stdout):
            from infra_expert.report.terminal import render_terminal
            sys.stdout.write(render_terminal(result, colour=wants_colour(args.no_color),
                                             full=args.full))
            return None
    if fmt == "review":
        fmt = "markdown"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                left_out = write_report(result, fmt, fh.write, full=args.full,
                                        rules_url=rules_url)
        except OSError as exc:
            sys.stderr.write(f"infra-expert: cannot write {args.output}: {exc.strerror}\n")
            return 2
    else:
        left_out = write_report(result, fmt, sys.stdout.write, full=args.full,
                                rules_url=rules_url)
    if fmt == "sarif" and left_out:
        sys.stderr.write(f"infra-expert: SARIF holds the first {len(result.findings) - left_out:,}"
                         f" results, most severe first: {left_out:,} left out (GitHub code "
                         "scanning takes at most 25,000 a run; narrow the review or use "
                         "--min-severity)\n")
    return None

def _known_ids(all_rules):
    from infra_expert.config import RuleIds
    return RuleIds(all_rules)


def _configure(args, start, known):
    """The Config of a run: the config file found from `start` (or `--config`, none with
    `--no-config`), a `.hadolint.yaml`, then the command line's options. Returns
    (config, config file path or None); raises ConfigError."""
    from infra_expert.config import (Config, ConfigError, apply_hadolint_config, apply_settings,
                                     find_config_file, find_hadolint_config, load_config)
    from infra_expert.engine import all_rules
    from infra_expert.report import visible
    if args.no_config:
        cfg, path = Config(), None
    else:
        path = args.config or find_config_file(start)
        if args.config and not os.path.isfile(args.config):
            raise ConfigError(f"{args.config}: no such config file")
        cfg = load_config(path, known) if path else Config()
        hadolint = find_hadolint_config(start)
        if hadolint:
            for warning in apply_hadolint_config(cfg, hadolint, all_rules()):
                sys.stderr.write(f"infra-expert: {visible(warning)}\n")
    overrides = {}
    ignore = [i.strip() for v in args.ignore for i in v.split(",") if i.strip()]
    if ignore:
        overrides["ignore"] = sorted(set(ignore) | cfg.ignore)
    enable = [i.strip() for v in args.enable for i in v.split(",") if i.strip()]
    if enable:
        overrides["enable"] = sorted(set(enable) | cfg.enable)
    if args.severity:
        table = {}
        for item in args.severity:
            rid, eq, level = item.partition("=")
            if not eq:
                raise ConfigError(f"--severity {item}: expected RULE=LEVEL")
            table[rid.strip()] = level.strip()
        apply_settings(cfg, {"severity": table}, known, "--severity")
    if getattr(args, "exclude", None):
        overrides["exclude"] = cfg.exclude + args.exclude
    if args.trusted_registry:
        overrides["trusted-registries"] = args.trusted_registry
    if args.fail_on:
        overrides["fail-on"] = args.fail_on
    if getattr(args, "max_file_size", None) is not None:
        overrides["max-file-size"] = args.max_file_size
    if args.kubernetes_version:
        overrides["kubernetes-version"] = args.kubernetes_version
    if getattr(args, "jobs", None) is not None:
        overrides["jobs"] = args.jobs
    if args.min_severity:
        overrides["min-severity"] = args.min_severity
    if args.rules_url:
        overrides["rules-url"] = args.rules_url
    for key in ("host", "host_memory", "host_cpus", "host_arch", "host_storage"):
        if getattr(args, key) is not None:
            overrides[key.replace("_", "-")] = getattr(args, key)
    apply_settings(cfg, overrides, known, "command line")
    return cfg, path


def _review(args):
    from infra_expert.config import ConfigError
    from infra_expert.engine import all_rules, exit_status, review
    from infra_expert.report import visible, write_report

    known = _known_ids(all_rules)
    stdin = "-" in args.paths
    if stdin and len(args.paths) > 1:
        sys.stderr.write("infra-expert: `-` (standard input) is reviewed alone, not with "
                         "other paths\n")
        return 2
    if args.stdin_filename is not None and not stdin:
        sys.stderr.write("infra-expert: --stdin-filename names what `-` reads; give `-` "
                         "as the path\n")
        return 2
    # a path that is not there is an error (said on stderr, exit status 2), after the
    # others are reviewed: a typo must not pass CI as a clean review
    bad = [] if stdin else _unusable_paths(args.paths)
    paths = [p for p in args.paths if p not in dict(bad)]
    if stdin:
        start = os.path.dirname(args.stdin_filename or "") or "."
    else:
        start = paths[0] if paths else "."
    try:
        cfg, path = _configure(args, start, known)
    except ConfigError as exc:
        sys.stderr.write(f"infra-expert: configuration error: {visible(exc)}\n")
        return 2

    config_dir = os.path.dirname(os.path.abspath(path)) if path else os.getcwd()
    if not paths and not stdin:
        _say_unusable(bad)
        return 2
    if cfg.jobs is None:
        from infra_expert.scale import usable_cpus
        cfg.jobs = usable_cpus()
    shard = None
    if args.shard:
        from infra_expert.scale import parse_shard
        try:
            shard = parse_shard(args.shard)
        except ValueError as exc:
            sys.stderr.write(f"infra-expert: {exc}\n")
            return 2
    known = None
    if args.baseline:
        from infra_expert.baseline import BaselineError, load
        try:
            known = load(args.baseline)
        except BaselineError as exc:
            sys.stderr.write(f"infra-expert: --baseline {visible(exc)}\n")
            return 2
    handle = None
    if args.format in LINE_FORMATS and known is None:   # a baseline needs every finding
        # a line format: a folder of repositories is written unit by unit, as it goes
        if args.output:
            try:
                handle = open(args.output, "w", encoding="utf-8")
            except OSError as exc:
                sys.stderr.write(f"infra-expert: cannot write {args.output}: {exc.strerror}\n")
                return 2
        stream = handle.write if handle else sys.stdout.write
    else:
        stream = None
    try:
        if stdin:
            from infra_expert.api import read_stdin, text_review
            name = args.stdin_filename or "-"
            data = read_stdin(cfg.max_file_size)
            if data is None:
                sys.stderr.write(f"infra-expert: standard input is over {cfg.max_file_size:,}"
                                 " bytes (--max-file-size)\n")
                return 2
            try:
                result = text_review(data, name, cfg)
            except ValueError as exc:
                sys.stderr.write(f"infra-expert: --stdin-filename: {visible(exc)}\n")
                return 2
        else:
            from infra_expert.progress import Progress
            # on stderr, a terminal only; not between lines streamed to the same terminal
            quiet = args.quiet or (stream is not None and handle is None
                                   and sys.stdout.isatty())
            with Progress(quiet=quiet) as progress:
                result = review(paths, cfg, config_dir, jobs=cfg.jobs, stream=stream,
                                shard=shard, line_format=args.format, progress=progress)
    except BaseException:
        if handle:
            handle.close()
        raise
    if known is not None:
        from infra_expert.baseline import apply
        from infra_expert.model import Notice
        dropped = apply(result, known)
        if dropped:
            result.notices.append(Notice(args.baseline, (
                f"{dropped} finding{'s' if dropped != 1 else ''} already in the baseline "
                "left out")))
    fmt = args.format
    if result.counts is not None:    # streamed already
        if handle is not None:
            handle.close()
    elif handle is not None:         # a line format of one run, to the file opened above
        with handle:
            write_report(result, fmt, handle.write)
    else:
        failed = _write(result, args, fmt, rules_url=cfg.rules_url)
        if failed:
            return failed
    for n in result.notices:
        if fmt in ("json", "jsonl", "sarif", "compact") and not args.quiet:   # github:
            # annotations; review and markdown: in the report
            sys.stderr.write(f"infra-expert: {visible(n.path)}: {visible(n.message)}\n")
    if not result.files and shard is None and paths:   # an empty review is no clean
        # review (a shard of a fleet may hold no repository)
        sys.stderr.write("infra-expert: nothing was reviewed: no file to review was found in "
                         f"{visible(', '.join(paths))}\n")
    if bad:
        _say_unusable(bad)
        return 2
    return exit_status(result, cfg.fail_on)


def _live(args):
    """`infra-expert live TARGET`: collect what runs (read-only), review it like files."""
    from infra_expert.config import ConfigError
    from infra_expert.engine import all_rules, exit_status
    from infra_expert.live.collect import Options, collect
    from infra_expert.live.execute import Refused, Unreachable
    from infra_expert.report import visible
    known = _known_ids(all_rules)
    try:
        cfg, _path = _configure(args, ".", known)
    except ConfigError as exc:
        sys.stderr.write(f"infra-expert: configuration error: {visible(exc)}\n")
        return 2
    options = Options(socket=args.socket, context=args.context, namespace=args.namespace,
                      all_namespaces=args.all_namespaces, timeout=args.timeout)
    try:
        snapshot = collect(args.target, options)
    except (Unreachable, Refused) as exc:
        sys.stderr.write(f"infra-expert: live {args.target}: {visible(exc)}\n")
        return 2
    from infra_expert.live.review import review_snapshot
    from infra_expert.live.model import dump_snapshot
    text = dump_snapshot(snapshot)
    if args.snapshot:
        try:
            with open(args.snapshot, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            sys.stderr.write(f"infra-expert: cannot write {args.snapshot}: {exc.strerror}\n")
            return 2
    result = review_snapshot(text, cfg, f"live:{args.target}")
    baseline = None
    if args.baseline:
        from infra_expert.baseline import BaselineError, apply, load
        try:
            baseline = load(args.baseline)
        except BaselineError as exc:
            sys.stderr.write(f"infra-expert: --baseline {visible(exc)}\n")
            return 2
        apply(result, baseline)
    failed = _write(result, args, args.format, rules_url=cfg.rules_url)
    if failed:
        return failed
    if args.format not in ("review", "markdown", "html", "github") and not args.quiet:
        for n in result.notices:
            sys.stderr.write(f"infra-expert: {visible(n.path)}: {visible(n.message)}\n")
    return exit_status(result, cfg.fail_on)


def _unusable_paths(paths):
    """[(path, why)] for the paths that are not there or cannot be read."""
    bad = []
    for p in paths:
        if not os.path.lexists(p):
            bad.append((p, "no such file or directory"))
        elif not os.path.exists(p):
            bad.append((p, "a broken symbolic link"))
        elif not os.access(p, os.R_OK):
            bad.append((p, "permission denied"))
    return bad


def _say_unusable(bad):
    from infra_expert.report import visible
    for p, why in bad:
        sys.stderr.write(f"infra-expert: error: {visible(p)}: {why}\n")


def _rules(fmt):
    from infra_expert.catalogue import render_catalogue
    sys.stdout.write(render_catalogue(fmt))
    return 0


def _explain(rule_id):
    from infra_expert.catalogue import explain
    text = explain(rule_id)
    if text is None:
        sys.stderr.write(f"infra-expert: unknown rule `{rule_id}` (see `infra-expert rules`)\n")
        return 2
    sys.stdout.write(text)
    return 0
