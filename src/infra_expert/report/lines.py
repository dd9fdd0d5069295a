"""The formats written a line at a time, as findings come: JSON Lines, compact and github.

Each is four functions of plain values — a finding (`Finding.as_dict()`), a notice, a
unit's resources, the summary — so that a worker process renders its own unit's lines
and a fleet review streams without keeping findings (`infra_expert.scale`). A function
may return "" when its format has nothing to say of that part.

- `compact`: `path:line:col: ID message` a finding, like ruff's concise output and the
  `%f:%l:%c: %m` of editors and reviewdog; notices go to standard error (the CLI writes
  them there for every machine format); one closing line counts the findings.
- `github`: GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::…`),
  which the runner turns into annotations on the pull request's files: critical is an
  error, warning a warning, suggestion a notice. Every value is escaped as the runner
  reads it (`%`, CR, LF; `:` and `,` in properties), so a message quoting a hostile file
  cannot start a command of its own.
"""

from __future__ import annotations

from infra_expert.report import visible


# -- compact ------------------------------------------------------------------------------

def _compact_finding(f):
    where = visible(f["path"])
    if f["line"]:
        where += f":{f['line']}"
        if f["column"]:
            where += f":{f['column']}"
    return f"{where}: {f['rule']} [{f['severity']}] {visible(f['message'])}\n"


def _compact_summary(files, positives, counts):
    total = sum(counts.get(s, 0) for s in ("critical", "warning", "suggestion"))
    if not total:
        return f"No findings in {files} file{'s' if files != 1 else ''}.\n"
    return (f"Found {total} finding{'s' if total != 1 else ''} ({counts['critical']} "
            f"critical, {counts['warning']} warning, {counts['suggestion']} suggestion) "
            f"in {files} file{'s' if files != 1 else ''}.\n")


# -- github -------------------------------------------------------------------------------

_LEVEL = {"critical": "error", "warning": "warning", "suggestion": "notice"}


def _data(text):
    """A workflow command's message, escaped as the runner unescapes it."""
    return (visible_keep_lines(text).replace("%", "%25").replace("\r", "%0D")
            .replace("\n", "%0A"))


def _prop(text):
    """A workflow command's property value (`file=`, `title=`)."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def visible_keep_lines(text):
    """`visible(text)`, but a line break stays a line break (the runner shows `%0A` as
    one): every other control character is escaped."""
    return "\n".join(visible(part) for part in str(text).split("\n"))


def _github_finding(f):
    props = [f"file={_prop(f['path'])}"]
    if f["line"]:
        props.append(f"line={f['line']}")
        if f["column"]:
            props.append(f"col={f['column']}")
    props.append(f"title={_prop(f['rule'] + ' ' + f['title'])}")
    message = f["message"]
    if f.get("fix"):
        message += f"\nFix: {f['fix']}"
    return f"::{_LEVEL[f['severity']]} {','.join(props)}::{_data(message)}\n"


def _github_notice(n):
    return f"::warning file={_prop(n['path'])},title=infra-expert::{_data(n['message'])}\n"


def _github_summary(files, positives, counts):
    return _compact_summary(files, positives, counts)


# -- the table ----------------------------------------------------------------------------

def _jsonl():
    from infra_expert.report.json_report import jsonl_line, jsonl_summary
    return {"finding": lambda f: jsonl_line("finding", f),
            "notice": lambda n: jsonl_line("notice", n),
            "resources": lambda unit, res: jsonl_line("resources",
                                                      {"unit": unit, "resources": res}),
            "summary": jsonl_summary}


def line_format(fmt):
    """{"finding", "notice", "resources", "summary"} -> function, for a line format."""
    if fmt == "jsonl":
        return _jsonl()
    if fmt == "compact":
        return {"finding": _compact_finding, "notice": lambda n: "",
                "resources": lambda unit, res: "", "summary": _compact_summary}
    if fmt == "github":
        return {"finding": _github_finding, "notice": _github_notice,
                "resources": lambda unit, res: "", "summary": _github_summary}
    raise ValueError(f"not a line format: {fmt}")


def write_lines(review, fmt, write, unit=None):
    """A whole review in a line format: findings, notices, resources, summary."""
    out = line_format(fmt)
    for f in review.findings:
        write(out["finding"](f.as_dict()))
    for n in review.notices:
        text = out["notice"](n.as_dict())
        if text:
            write(text)
    if review.resources:
        text = out["resources"](unit, review.resources)
        if text:
            write(text)
    write(out["summary"](len(review.files), len(review.positives), review.summary()))
