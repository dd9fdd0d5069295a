"""Every cap in the README's table exists in the code with the value the table gives."""

import importlib
import re

from conftest import ROOT

_ROW = re.compile(r"^\| `([a-z_.]+)\.([A-Z_]+)`[^|]*\| ([^|]+) \|", re.MULTILINE)
_UNITS = {"KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "s": 1}


def _value(text):
    number, _, unit = text.strip().partition(" ")
    return int(number.replace(",", "")) * _UNITS.get(unit, 1)


def test_caps_table_matches_the_code():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Safe on untrusted repositories", 1)[1].split("\n## ", 1)[0]
    rows = _ROW.findall(section)
    assert len(rows) >= 25
    for module, name, value in rows:
        actual = getattr(importlib.import_module(f"infra_expert.{module}"), name)
        assert actual == _value(value), f"{module}.{name} is {actual}, README says {value}"
