"""The `glance` command line: one sub-command per module, errors as one line and exit code 2."""

from __future__ import annotations

import argparse
import sys

from glance import __version__, demo, generate, info, motion_cli
from glance.checkpoint import CheckpointError
from glance.config import ConfigError
from glance.data import av_offset
from glance.data import cli_preprocess as preprocess
from glance.errors import Terminated, UserError
from glance.eval import evaluate
from glance.synth import cli as synth
from glance.train import cli as train

COMMANDS = (info, synth, preprocess, av_offset, train, evaluate, motion_cli, generate, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glance",
        description="Lip movements generation at a glance: speech + one lip/face image -> talking lips.",
    )
    parser.add_argument("--version", action="version", version=f"glance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except (UserError, ConfigError, CheckpointError) as e:
        print(f"glance {args.command}: error: {e}", file=sys.stderr)
        return 2
    except Terminated as e:
        print(f"glance {args.command}: terminated", file=sys.stderr)
        return 128 + e.signum
    except KeyboardInterrupt:
        print(f"glance {args.command}: interrupted", file=sys.stderr)
        return 130
