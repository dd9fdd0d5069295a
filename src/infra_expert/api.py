"""The Python API: `review(paths, …)` and `review_text(text, filename, …)` -> `Review`.

    import infra_expert
    result = infra_expert.review(["deploy/"], host="rpi4-4gb")
    for f in result.findings:
        print(f.severity, f.rule.id, f.path, f.line, f.message)
    result = infra_expert.review_text(open("Dockerfile").read(), "Dockerfile")

`settings` takes what a config file's `[tool.infra-expert]` table takes (`ignore`,
`enable`, `severity`, `exclude`, `fail-on`, `host`, `kubernetes-version`, …) and is checked
the same way: a wrong key or value raises `infra_expert.config.ConfigError`. No config
file is read unless `config_file` names one. Nothing is run, nothing is written, nothing
goes to the network; secrets are masked in every message.
"""

from __future__ import annotations

import os


def _config(settings, config_file, host):
    from infra_expert.config import Config, RuleIds, apply_settings, load_config
    from infra_expert.engine import all_rules
    known = RuleIds(all_rules)
    cfg = load_config(config_file, known) if config_file else Config()
    settings = dict(settings or {})
    if host is not None:
        settings["host"] = host
    if settings:
        apply_settings(cfg, settings, known, "settings")
    return cfg


def review(paths, settings=None, *, host=None, config_file=None, jobs=1, confine=None):
    """Review files and folders (folders walked with `.gitignore` respected), as
    `infra-expert review PATHS` does. `jobs`: worker processes for a folder of
    repositories (None: every usable CPU). `confine`: a folder no read may leave (a
    file's git work tree above it, a Compose `build:` outside it are not read)."""
    from infra_expert.engine import review as run
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    cfg = _config(settings, config_file, host)
    cfg.confine = os.fspath(confine) if confine is not None else None
    base = os.path.dirname(os.path.abspath(config_file)) if config_file else os.getcwd()
    return run(paths, cfg, base, jobs=jobs)


def safe_name(filename):
    """`filename` as a relative path that stays inside a folder: no root, no `..`, no
    empty or dot parts. Its folders are kept (`k8s/deploy.yaml`, `.github/workflows/x.yml`)
    since they can say what a file is."""
    parts = [p for p in str(filename).replace("\\", "/").split("/")
             if p not in ("", ".", "..")]
    parts = [p.replace("\0", "") for p in parts if p.replace("\0", "")]
    if not parts:
        raise ValueError(f"not a usable file name: {filename!r}")
    return "/".join(parts)


def review_text(text, filename, settings=None, *, host=None, config_file=None):
    """Review one file's content as if it were the file `filename` (its name says what
    it is: `Dockerfile`, `compose.yaml`, `app.container`, `backup.timer` …; content is
    sniffed when the name says nothing). The review's paths are `filename`."""
    cfg = _config(settings, config_file, host)
    if isinstance(text, bytes):
        data = text
    else:
        data = str(text).encode("utf-8", "surrogateescape")
    return text_review(data, filename, cfg)


def read_stdin(limit):
    """Standard input's bytes, or None when there are more than `limit`."""
    import sys
    data = sys.stdin.buffer.read(limit + 1)
    return None if len(data) > limit else data


def text_review(data, filename, cfg):
    """`data` (bytes) reviewed as the file `filename` with the Config `cfg`: written to a
    private temporary folder (removed after), reviewed there, its paths given back as
    `filename`. A name that says nothing (`-`, standard input) is sniffed by content."""
    import tempfile
    from infra_expert.engine import review as run
    name = safe_name(filename)
    with tempfile.TemporaryDirectory(prefix="infra-expert-text-") as tmp:
        real_tmp = os.path.realpath(tmp)
        path = os.path.join(real_tmp, *name.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        result = run([path], cfg, real_tmp)
    return _rebased(result, real_tmp + os.sep, "")


def _rebased(result, prefix, replacement):
    """`result` with `prefix` taken off every path it holds (through its packed form)."""
    import json
    from infra_expert.scale import merge, pack
    packed = json.dumps(pack(result))
    old = json.dumps(prefix)[1:-1]
    new = json.dumps(replacement)[1:-1]
    out = merge([json.loads(packed.replace(old, new))], qualify=False)
    out.counts = result.counts
    return out
