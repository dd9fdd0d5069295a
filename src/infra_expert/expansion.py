"""Caps on variable expansion (`.env`, Compose `${}`, Dockerfile `ENV`/`ARG`).

A few hundred hostile bytes (`A=${A}${A}` repeated) double a value on every line: without
a cap that is gigabytes. No real value comes near these numbers; past them the review goes
on with the value cut or left as written, and the user is told.
"""

from __future__ import annotations

# The longest value one expansion may produce.
MAX_VALUE_LENGTH = 64 * 1024
# The text all expansions of one file (a Dockerfile, a `.env`) or one Compose project may
# produce together; past it values are left as written.
MAX_EXPANSION_TOTAL = 1024 * 1024


class Budget:
    """What expansion may still produce for one file or project, and whether a cap was hit.

    `hits` counts the values that were cut or left unexpanded, so a caller can tell
    whether its own call hit a cap by comparing the count before and after.
    """

    __slots__ = ("left", "hits")

    def __init__(self, total=MAX_EXPANSION_TOTAL):
        self.left = total
        self.hits = 0

    @property
    def exhausted(self):
        return self.left <= 0

    def take(self, produced):
        """Charge `produced` characters; False (and nothing charged) when they do not fit."""
        if produced > self.left:
            self.left = 0
            return False
        self.left -= produced
        return True
