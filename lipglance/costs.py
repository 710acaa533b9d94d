"""Every preset's parameter counts and GMAC, from a table computed once (`lipglance info` answers without torch).

Building the presets to count them takes seconds and most of a gigabyte (the paper's discriminator alone has
54 M parameters), so `lipglance/configs/preset_costs.json` keeps what `lipglance.flops.preset_cost` measured,
keyed by a SHA-256 of the parts of each preset's config that decide its networks. A preset whose config no
longer matches its row is measured again on the spot (slow, but never a stale number). After changing a
preset, rewrite the table:

    .venv/bin/python -m lipglance.costs

(tests/test_install.py fails until then, and checks the table against networks it builds.)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from lipglance.config import PRESETS, GlanceConfig

TABLE = Path(__file__).parent / "configs" / "preset_costs.json"
PARTS = ("generator", "discriminator", "flow", "correlation", "autoencoder")  # parameter-count columns


def network_digest(cfg: GlanceConfig) -> str:
    """SHA-256 of everything that decides the networks and their cost: the config without its name and training
    schedule (loss weights stay: they decide which networks are built)."""
    d = cfg.to_dict()
    d.pop("name", None)
    d.pop("train", None)
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()


def measure(cfg: GlanceConfig) -> dict[str, Any]:
    """One row of the table, measured by building the networks (imports torch)."""
    from lipglance.flops import preset_cost

    cost = preset_cost(cfg)
    return {"digest": network_digest(cfg), "params": {k: cost.params[k] for k in PARTS},
            "generator_gmac": cost.generator_gmac, "discriminator_gmac": cost.discriminator_gmac}


def _table() -> dict[str, Any]:
    try:
        table = json.loads(TABLE.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return table if isinstance(table, dict) else {}


def preset_costs() -> dict[str, dict[str, Any]]:
    """Preset name -> {"params": {part: count}, "generator_gmac", "discriminator_gmac", "measured": bool}; rows
    from the table where the config still matches, measured now (`measured` True) where it does not."""
    table = _table()
    rows = {}
    for name, cfg in PRESETS.items():
        row = table.get(name)
        fresh = isinstance(row, dict) and row.get("digest") == network_digest(cfg)
        rows[name] = {**(row if fresh else measure(cfg)), "measured": not fresh}  # type: ignore[dict-item]
    return rows


def write_table() -> Path:
    """Measure every preset and rewrite the table."""
    rows = {name: measure(cfg) for name, cfg in PRESETS.items()}
    TABLE.write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n")
    return TABLE


if __name__ == "__main__":
    print(f"wrote {write_table()}")
