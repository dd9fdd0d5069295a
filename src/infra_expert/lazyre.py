"""Regular expressions compiled on first use.

A review of one Dockerfile touches a fraction of the rules' patterns; compiling all of
them at import costs more start-up than the review itself (pre-commit hooks pay it on
every commit).
"""

from __future__ import annotations

import re


class LazyRe:
    """A pattern, or a function that returns one, compiled the first time it is used."""

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern, flags=0):
        self.pattern = pattern
        self.flags = flags
        self._compiled = None

    @property
    def compiled(self):
        if self._compiled is None:
            pattern = self.pattern() if callable(self.pattern) else self.pattern
            self._compiled = re.compile(pattern, self.flags)
        return self._compiled

    def match(self, *args):
        return self.compiled.match(*args)

    def fullmatch(self, *args):
        return self.compiled.fullmatch(*args)

    def search(self, *args):
        return self.compiled.search(*args)

    def finditer(self, *args):
        return self.compiled.finditer(*args)

    def findall(self, *args):
        return self.compiled.findall(*args)

    def sub(self, *args):
        return self.compiled.sub(*args)


lazy_re = LazyRe
