"""The one exception type the CLI turns into a one-line message and exit code 2, and how its messages name things.

A UserError raised by the Python API names the arguments as the API spells them (`face_index=2`,
`box=(10, 20, 200, 200)`, `renderer='network'`, `seed=-1`, `transcript=`); the command line shows each as its
flag (`as_flags`: cli.main, --batch's failures.csv), the demo page in its own words (lipglance.inference.cli.demo).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# an API argument in a message -> its command-line flag
_FLAGS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\bbox=\(([^()]*)\)"), lambda m: "--box " + re.sub(r",\s*", ",", m.group(1))),
    (re.compile(r"\brenderer='([a-z]+)'"), lambda m: f"--renderer {m.group(1)}"),
    (re.compile(r"\b(face_index|seed|transcript)=(?=[^\s),;])"), lambda m: "--" + m.group(1).replace("_", "-") + " "),
    (re.compile(r"\b(face_index|seed|transcript)=(?![^\s),;])"), lambda m: "--" + m.group(1).replace("_", "-")),
]


def as_flags(message: str) -> str:
    """A UserError's message as the command line says it: `face_index=2` -> `--face-index 2`, `box=(1, 2, 3, 4)`
    -> `--box 1,2,3,4`, `renderer='warp'` -> `--renderer warp`."""
    for pattern, flag in _FLAGS:
        message = pattern.sub(flag, message)
    return message


class UserError(Exception):
    """Bad input or a missing prerequisite: the message says what is wrong and what to do."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that clean-up code runs; the CLI exits with 128 + the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
