"""The one exception type the CLI turns into a one-line message and exit code 2."""


class UserError(Exception):
    """Bad input or a missing prerequisite: the message says what is wrong and what to do."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that clean-up code runs; the CLI exits with 128 + the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
