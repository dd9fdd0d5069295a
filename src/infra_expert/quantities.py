"""Quantities with units, shared by the domains: Compose sizes (`512m`), Kubernetes
quantities (`256Mi`, `500m` CPU) and Go-style durations (`1m30s`)."""

from __future__ import annotations

import re

from infra_expert.lazyre import lazy_re

_SIZE = lazy_re(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4, "p": 1024 ** 5}


def size_bytes(value):
    """`512m`, `1g`, `134217728`, `1.5GB` -> bytes; None when not a size."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    m = _SIZE.match(str(value))
    if not m:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def duration_seconds(value):
    """`1m30s`, `10s`, `500ms`, `2h` -> seconds; None when unreadable."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    total, found = 0.0, False
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)", str(value)):
        found = True
        total += float(number) * {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60,
                                  "h": 3600}[unit]
    return total if found else None


_BYTES = {"": 1, "k": 1000, "M": 1000 ** 2, "G": 1000 ** 3, "T": 1000 ** 4, "P": 1000 ** 5,
          "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4, "Pi": 1024 ** 5,
          "m": 0.001}


def quantity_bytes(value):
    if value is None or isinstance(value, bool):
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)(?:e(\d+))?\s*([kMGTP]i?|m)?\s*", str(value))
    if not m:
        return None
    number = float(m.group(1)) * (10 ** int(m.group(2)) if m.group(2) else 1)
    return int(number * _BYTES[m.group(3) or ""])


def quantity_cpu(value):
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None
