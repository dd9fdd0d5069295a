"""Reports for CI systems that read a file: GitLab Code Quality and JUnit XML.

- `gitlab`: GitLab's Code Quality report (a JSON array of issues, each with
  `description`, `check_name`, `fingerprint`, `severity` and `location.path` +
  `location.lines.begin`), for `artifacts: reports: codequality:`; the merge request then
  shows what a change adds or fixes. Paths are relative to the repository (the git top,
  else the working directory), as GitLab matches them to the diff. Severities: critical →
  `critical`, warning → `major`, suggestion → `minor` (GitLab's `blocker` and `info` are
  not used: 🔴 already means "broken or exploitable as written").
- `junit`: JUnit XML, which every CI shows as test results: one test suite per reviewed
  file, one failing test case per finding (its rule, severity and message), and one
  passing case for a file without findings, so a clean file is seen as checked. Text from
  the reviewed files is escaped, and characters XML cannot hold are shown as escapes.
"""

from __future__ import annotations

import json
import re

from infra_expert.report import utf8, visible

_GITLAB_SEVERITY = {"critical": "critical", "warning": "major", "suggestion": "minor"}


def render_gitlab(review):
    from infra_expert.fingerprint import fingerprints, relative_uri, source_root
    root = source_root()
    issues = []
    for f, fp in zip(review.findings, fingerprints(review.findings, root)):
        issues.append({
            "type": "issue",
            "check_name": f.rule.id,
            "description": utf8(f"{f.rule.id} {f.message}"),
            "content": {"body": utf8(f"{f.rule.rationale}\n\nFix: {f.fix}")},
            "categories": [_GITLAB_CATEGORY[f.rule.category]],
            "fingerprint": fp,
            "severity": _GITLAB_SEVERITY[f.severity],
            "location": {"path": utf8(relative_uri(f.path, root) if f.path else "."),
                         "lines": {"begin": f.line or 1}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


# Code Climate's categories, which GitLab's schema names
_GITLAB_CATEGORY = {"security": "Security", "reliability": "Bug Risk",
                    "performance": "Performance", "elegance": "Style"}

# what XML 1.0 cannot carry at all, even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml(text):
    text = _NOT_XML.sub(lambda m: visible(m.group()), visible(str(text)))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def render_junit(review):
    from infra_expert import __version__
    by_file = {}
    for path, _domain in review.files:
        by_file.setdefault(path, [])
    for f in review.findings:
        by_file.setdefault(f.path or "(run)", []).append(f)
    total = sum(max(len(found), 1) for found in by_file.values())
    failures = len(review.findings)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f'<testsuites name="infra-expert {__version__}" tests="{total}" '
           f'failures="{failures}" errors="0">\n']
    for path in sorted(by_file):
        found = by_file[path]
        out.append(f'  <testsuite name="{_xml(path)}" tests="{max(len(found), 1)}" '
                   f'failures="{len(found)}" errors="0" skipped="0">\n')
        if not found:
            out.append(f'    <testcase classname="{_xml(path)}" name="no findings"/>\n')
        for f in found:
            where = f"{path}:{f.line}" if f.line else path
            name = f"{f.rule.id} {f.rule.title} ({where})"
            out.append(f'    <testcase classname="{_xml(path)}" name="{_xml(name)}">\n'
                       f'      <failure type="{f.severity}" message="{_xml(f.message)}">'
                       f'{_xml(f"{f.severity}: {f.message}")}\n'
                       f'{_xml(f"Why: {f.rule.rationale}")}\n'
                       f'{_xml(f"Fix: {f.fix}")}</failure>\n'
                       '    </testcase>\n')
        out.append("  </testsuite>\n")
    out.append("</testsuites>\n")
    return "".join(out)
