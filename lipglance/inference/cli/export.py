"""`lipglance export --onnx out.onnx [--weights W]`: the model's networks as ONNX graphs + a JSON sidecar, for
onnxruntime (`lipglance generate --backend onnx --weights out.onnx`); what is written:
lipglance.inference.onnx.export."""

from __future__ import annotations

import argparse

from lipglance.errors import UserError

HELP = "the model's networks as ONNX graphs for onnxruntime (generate --backend onnx)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help=HELP)
    p.add_argument("--onnx", metavar="OUT.onnx", required=True,
                   help="the generator's graph; OUT.shape.onnx (the shape head) and OUT.json (config, audio stats, "
                        "gate, motion probe) are written next to it")
    p.add_argument("--weights", help="generator checkpoint (default: the bundled model)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.onnx.lower().endswith(".onnx"):
        raise UserError(f"--onnx {args.onnx}: name an .onnx file to write")
    try:
        import onnxruntime  # noqa: F401
        import onnxscript  # noqa: F401
    except ModuleNotFoundError as e:
        raise UserError(f"the ONNX export needs the Python package '{e.name}': run `pip install \"lipglance[onnx]\"` "
                        "(in a checkout: `make setup`)") from None
    from lipglance.inference.onnx.export import describe, export_onnx

    print(describe(export_onnx(args.onnx, args.weights)))
    return 0
