"""The `lipglance` command line: one sub-command per module, errors as one line and exit code 2.

Only the module of the command that runs is imported (torch and friends take seconds to load), so
`lipglance --help` lists the commands from the table below; tests/test_install.py checks the table against
the modules' own help lines.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from lipglance.errors import Terminated, UserError, as_flags
from lipglance.version import __version__

# command -> (module that defines it with add_parser(sub), the one-line help it gives), in the order `--help`
# lists them: what most people come for first, then training and research
COMMANDS = {
    "generate": ("lipglance.inference.cli.generate", "speech + a photo (--image), a video to dub (--video) or a CSV "
                 "of jobs (--batch) -> mp4"),
    "faces": ("lipglance.inference.cli.faces", "list the faces glance finds in a photo and write a numbered preview"),
    "live": ("lipglance.inference.live.server", "a local page: the microphone in the browser drives the face, live"),
    "demo": ("lipglance.inference.cli.demo", "a local web page to try glance (Gradio)"),
    "export": ("lipglance.inference.cli.export",
               "the model's networks as ONNX graphs for onnxruntime (generate --backend onnx)"),
    "info": ("lipglance.info", "versions, device, the bundled model and sample, presets with parameters and GMAC"),
    "synth": ("lipglance.synth.corpus.cli", "make the offline synthetic talking-lips corpus"),
    "preprocess": ("lipglance.data.cli_preprocess", "videos (GRID, LRW, LDC, any folder) -> training cache"),
    "train": ("lipglance.train.cli", "train the flow net, the perceptual autoencoder, the GAN, or all three"),
    "evaluate": ("lipglance.eval.evaluate", "LMD, SSIM, PSNR, CPBD of a generator on a cache split"),
    "motion": ("lipglance.motion_cli", "fit the motion probe that animates real photos; store it in a checkpoint"),
    "seal": ("lipglance.seal_cli", "fit the seal track that closes the lips on p/b/m; store it in a checkpoint"),
    "av-offset": ("lipglance.data.av_offset", "audio-visual lag per video (paper Fig. 4) and a histogram"),
}
# the headings of `lipglance --help`: each group's commands, in COMMANDS' order
GROUPS = {
    "make a video": ("generate", "faces", "live", "demo", "export", "info"),
    "train and research (docs/TRAINING.md; `pip install \"lipglance[train]\"`)":
        ("synth", "preprocess", "train", "evaluate", "motion", "seal", "av-offset"),
}


def command_list() -> str:
    """The commands under their group headings, as `lipglance --help` shows them."""
    width = max(map(len, COMMANDS)) + 2
    blocks = [heading + ":\n" + "\n".join(f"  {name:<{width}}{COMMANDS[name][1]}" for name in names)
              for heading, names in GROUPS.items()]
    return "\n\n".join(blocks)


def build_parser(command: str | None = None, everything: bool = False) -> argparse.ArgumentParser:
    """The parser, with the full options of `command` (of every command with `everything`); the other
    commands are listed by name and help only, without importing their modules."""
    parser = argparse.ArgumentParser(
        prog="lipglance",
        usage="lipglance [-h] [--version] COMMAND ...",
        description="Lip movements generation at a glance: speech + one lip/face image -> talking lips.\n\n"
                    + command_list(),
        epilog="`lipglance COMMAND --help` lists a command's options. New here? `lipglance info` prints a "
               "generate line to try.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lipglance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS)
    for name, (module, _help) in COMMANDS.items():
        if everything or name == command:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, add_help=False)
    return parser


def _command(argv: list[str]) -> str | None:
    """The command named on the line: the first word that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


def _user_error(e: Exception) -> bool:
    """A config or checkpoint error (only possible once their modules are loaded), or a UserError."""
    kinds: list[type[BaseException]] = [UserError]
    for module, name in (("lipglance.config", "ConfigError"), ("lipglance.checkpoint", "CheckpointError")):
        if module in sys.modules:
            kinds.append(getattr(sys.modules[module], name))
    return isinstance(e, tuple(kinds))


def _missing(command: str | None, e: ModuleNotFoundError) -> int:
    """A dependency pip did not install: one line naming the command that installs it, exit code 2."""
    from lipglance.install import hint

    if (e.name or "lipglance").split(".")[0] == "lipglance":
        raise e
    print(f"lipglance {command}: error: {hint(e.name or '')}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command(argv)
    try:
        parser = build_parser(command if command in COMMANDS else None)
    except ModuleNotFoundError as e:
        return _missing(command, e)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except Terminated as e:
        print(f"lipglance {args.command}: terminated", file=sys.stderr)
        return 128 + e.signum
    except KeyboardInterrupt:
        print(f"lipglance {args.command}: interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as e:
        return _missing(args.command, e)
    except Exception as e:
        if not _user_error(e):
            raise
        print(f"lipglance {args.command}: error: {as_flags(str(e))}", file=sys.stderr)
        return 2
