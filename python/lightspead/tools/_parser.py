"""An argparse parser whose errors are one line on stderr and exit code 2."""

import argparse
import sys
from typing import NoReturn


class ToolParser(argparse.ArgumentParser):
    """argparse, with usage errors as one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print "prog: error: message (see --help)" and exit with code 2."""
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(2)


def fail(prog: str, message: str) -> NoReturn:
    """A runtime error: one line on stderr, exit code 1."""
    sys.stderr.write(f"{prog}: error: {message}\n")
    sys.exit(1)
