"""infra-expert's exposure score against `systemd-analyze security --offline=true` on real
unit files: this machine's /lib/systemd/system/*.service, the corpus' services and our
fixtures. Every unit must agree within ±0.5 (today they agree exactly)."""

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from infra_expert.config import Config
from infra_expert.engine import review
from infra_expert.units import parse_unit

from conftest import SHARED

ANALYZE = shutil.which("systemd-analyze")
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "systemd"
OVERALL = re.compile(r"Overall exposure level for .*?: (\d+\.\d) (\w+)")


def _units():
    paths = [p for p in sorted(Path("/lib/systemd/system").glob("*.service")) if p.is_file()]
    for lst, base in (("systemd.txt", "corpus"), ("homelab-systemd.txt", "corpus-homelab")):
        listing = SHARED / "corpus_lists" / lst
        if listing.is_file():
            paths += [SHARED / base / line for line in listing.read_text().split()
                      if line.endswith(".service") and (SHARED / base / line).is_file()]
    paths += sorted(FIXTURES.glob("*/*.service"))
    return paths


def _theirs(path):
    """systemd-analyze's score for one unit, as users run it (None if it refuses)."""
    try:
        out = subprocess.run([ANALYZE, "security", "--offline=true", "--no-pager", str(path)],
                             capture_output=True, text=True, timeout=60, cwd="/").stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = OVERALL.search(out)
    return (float(m.group(1)), m.group(2)) if m else None


def _ours(paths):
    """Our scores, from one review of all the files (drop-ins merged by the loader)."""
    result = review([str(p) for p in paths], Config())
    return {path: fields["exposure"] for (path, domain), fields in result.file_fields.items()
            if domain == "systemd"}


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
def test_exposure_agrees_with_systemd_analyze(capsys):
    paths = _units()
    with ThreadPoolExecutor(8) as pool:
        theirs = dict(zip(paths, pool.map(_theirs, paths)))
    ours = _ours([p for p, t in theirs.items() if t is not None])
    by_name = {Path(k).resolve(): v for k, v in ours.items()}
    diffs, words = [], []
    for path, t in theirs.items():
        if t is None:
            continue
        mine = by_name.get(path.resolve())
        assert mine is not None, f"no exposure for {path}"
        diffs.append((abs(mine - t[0]), str(path), mine, t[0]))
        words.append(t[1])
    assert len(diffs) >= 10
    worst = max(diffs)
    with capsys.disabled():
        print(f"\nexposure vs systemd-analyze: {len(diffs)} units, mean difference "
              f"{sum(d[0] for d in diffs) / len(diffs):.3f}, largest {worst[0]:.1f} "
              f"({worst[1]})")
    assert [d for d in diffs if d[0] > 0.5 + 1e-9] == []
    assert sum(d[0] for d in diffs) / len(diffs) < 0.05     # same table: near-exact on average


def test_bands_and_rounding_follow_systemd():
    from infra_expert.systemd.exposure import exposure
    cases = {"hardened.service": (1.6, "OK"), "denylist.service": (6.9, "MEDIUM"),
             "nobody.service": (4.8, "OK"), "allowlist.service": (6.2, "MEDIUM"),
             "reset.service": (5.0, "MEDIUM")}
    for name, expected in cases.items():
        path = FIXTURES / "exposure" / name
        e = exposure(parse_unit(path.read_text(), str(path)))
        assert (e.score, e.word) == expected, name
    bare = exposure(parse_unit("[Service]\nExecStart=/bin/true\n", "x.service"))
    assert (bare.score, bare.word) == (9.6, "UNSAFE")
    # the capability checks share one fix, and together they cost the most
    assert [fix for _, fix, _ in bare.top(3)] == ["CapabilityBoundingSet=",
                                                  "SystemCallFilter=@system-service",
                                                  "RestrictNamespaces=yes"]
