"""`--baseline previous.json`: report only what is new since a review kept as a baseline.

A large repository adopts the tool gradually: keep today's review (`-f json -o
.infra-expert-baseline.json`), then let CI fail only on findings that are not in it.
Findings are matched by fingerprint (`infra_expert.fingerprint`: rule, file, message
without line numbers, rank among equal ones), so code moving up or down keeps its old
findings old; a changed message (another image, another port) is a new finding. The
baseline is a JSON or JSON Lines review of infra-expert, read with a size cap; what it
holds is only compared, never run or shown.
"""

from __future__ import annotations

import json

MAX_BASELINE_SIZE = 64 * 1024 * 1024


class BaselineError(Exception):
    pass


def load(path):
    """The fingerprints of the findings of a saved review (JSON or JSON Lines)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BASELINE_SIZE + 1)
    except OSError as exc:
        raise BaselineError(f"{path}: {exc.strerror}") from None
    if len(data) > MAX_BASELINE_SIZE:
        raise BaselineError(f"{path}: over {MAX_BASELINE_SIZE >> 20} MiB")
    text = data.decode("utf-8", errors="replace")
    findings = []
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                raise BaselineError(f"{path}: line {number} is not JSON: not a review "
                                    "written with --format json or jsonl") from None
            if isinstance(item, dict) and item.get("type") == "finding":
                findings.append(item)
    if whole is not None:
        if not isinstance(whole, dict) or not isinstance(whole.get("findings"), list):
            raise BaselineError(f"{path}: not a review written with --format json or jsonl")
        findings = whole["findings"]
    try:
        from infra_expert.fingerprint import fingerprints
        return set(fingerprints([f for f in findings if isinstance(f, dict)]))
    except (KeyError, TypeError):
        raise BaselineError(f"{path}: a finding without rule, path or message") from None


def apply(review, known):
    """Drop from `review` the findings whose fingerprint is in `known`; how many."""
    from infra_expert.fingerprint import fingerprints
    kept = [f for f, fp in zip(review.findings, fingerprints(review.findings))
            if fp not in known]
    dropped = len(review.findings) - len(kept)
    review.findings = kept
    return dropped
