"""How far long work has come (polling every source, importing the seed documents,
re-labelling the archive), told to whoever shows it: the command line draws it
(bot/progress.py); everyone else passes nothing and nothing is told."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def expect(self, count: int) -> None:
        """`count` more steps are coming (called again when more work turns up)."""
        ...

    def step(self, count: int = 1) -> None:
        """`count` steps are done."""
        ...


class Silent:
    """Progress told to no one."""

    def expect(self, count: int) -> None:
        pass

    def step(self, count: int = 1) -> None:
        pass


SILENT = Silent()
