"""Every number in README.md, docs/RESULTS.md and the model card has its artefact and command.

scripts/audit_numbers.py does the audit. The first test audits the real documents; the others plant faults, in a
made-up tree and in a copy of the real documents, and check that the audit reports each of them and nothing else.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_numbers", ROOT / "scripts" / "audit_numbers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


audit_numbers = _load()


def _git_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)


def test_every_number_has_its_artefact_and_command() -> None:
    report = audit_numbers.audit(ROOT)
    assert report.checked_cells > 300, "the table check found far fewer numbers than the documents hold"
    assert not report.faults, ("numbers without an artefact or disagreeing with it (scripts/audit_numbers.py):\n"
                               + "\n".join(report.faults))


def test_claims_skip_code_dates_versions_and_counts() -> None:
    text = ("torch 2.13.0 from 2.4 works, `--steps 12000`, docs/bench/x_2026-12-02.txt, 2026-11-26, 64x64, "
            "1,626 steps, 0.798 and 47% and 9x, 245 / 228 frames/s, 0.6-2.5 s, 6.31 / -0.25")
    got = [(c.text, c.value) for c in audit_numbers.claims(text)]
    assert got == [("0.798", 0.798), ("47%", 47.0), ("9x", 9.0), ("245", 245.0), ("228 frames/s", 228.0),
                   ("0.6", 0.6), ("2.5 s", 2.5), ("6.31", 6.31), ("-0.25", -0.25)]


def test_audit_reports_each_planted_fault(tmp_path: Path) -> None:
    doc = """# T

## Measured

From `lipglance evaluate W --out docs/m` (`docs/m.json`):

| source | r | closed | MAE | width |
|---|---|---|---|---|
| a | 0.798 | 47% | 0.034 | 0.955 |
| a, one cell copied from b | 0.798 | 5% | 0.034 | 0.955 |
| b | 0.633 | 5% | | |
| c (artefact lost) | 0.111 | 9% | | |

## Told, not shown

It runs at 245 frames/s (`python bench.py`).

## Shown, no command

The closure is 0.47 (docs/m.json).

## Old run

Not reproduced in this repo (artefact lost): LMD 2.29 px at 1.0 s/step.

## Limits

Images up to 16384 px.
"""
    artefact = '{"a": {"r": 0.7979, "closed": 0.4696, "mae": 0.034, "width": 0.955}, "b": [0.632, 0.05]}'
    _git_tree(tmp_path, {"README.md": doc, "docs/m.json": artefact})
    report = audit_numbers.audit(tmp_path, docs=("README.md",),
                                 spec={("README.md", "Limits"): "input limits", ("README.md", "Gone"): "stale"})
    faults = sorted(report.faults)
    assert len(faults) == 11, faults
    assert any("'0.633'" in f and "docs/m.json" in f for f in faults)  # 0.632 does not round to 0.633
    assert any("README.md:10: '5%' is not in the record" in f for f in faults)  # 5% is b's, the rest of the row a's
    assert any("(Told, not shown)" in f and "no artefact" in f for f in faults)
    assert any("(Shown, no command)" in f and "no command" in f for f in faults)
    assert any("'Gone'" in f for f in faults)
    # a label is no excuse: each "artefact lost" line is a fault, and its numbers are checked like the rest
    assert sum("says 'artefact lost'" in f for f in faults) == 2
    assert any(f.startswith("README.md:12: says 'artefact lost'") for f in faults)
    assert any(f.startswith("README.md:24: says 'artefact lost'") for f in faults)
    assert any("README.md:12: '0.111'" in f for f in faults) and any("README.md:12: '9%'" in f for f in faults)
    assert any("(Old run)" in f and "no artefact" in f for f in faults)
    assert any("(Old run)" in f and "no command" in f for f in faults)
    assert not any("0.798" in f or "47%" in f or "Limits" in f for f in faults)


def _copy_docs(root: Path) -> None:
    """The real documents and artefacts, in a git tree of their own."""
    for p in audit_numbers.repo_files(ROOT):
        if p.endswith((".md", ".json", ".jsonl", ".txt", ".csv")):
            (root / p).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / p, root / p)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)


def test_a_real_number_without_its_artefact_fails(tmp_path: Path) -> None:
    """In a copy of the real documents: a new section with a number and no artefact fails, and so does an
    "artefact lost" label put back on a number (the label exempted numbers once; it must not again)."""
    _copy_docs(tmp_path)
    before = set(audit_numbers.audit(tmp_path).faults)
    card = tmp_path / "lipglance/assets/MODEL_CARD.md"
    text = card.read_text(encoding="utf-8")
    card.write_text(text + "\n## Old timing\n\nThe GAN stages took about 75 + 31 minutes.\n", encoding="utf-8")
    new = sorted(set(audit_numbers.audit(tmp_path).faults) - before)
    assert any("(Old timing)" in f and "no artefact named" in f and "'31 minutes'" in f for f in new), new
    results = tmp_path / "docs/RESULTS.md"
    lines = results.read_text(encoding="utf-8").split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith("| bundled model, step 1,600 |"))
    lines.insert(at + 1, "| (b) pix only (artefact lost) | 2.12 ± 0.67 | 1.87 ± 0.71 | 0.680 ± 0.096 | 24.64 ± 2.94 |"
                         " 0.45 ± 0.11 |")
    results.write_text("\n".join(lines), encoding="utf-8")
    new = sorted(set(audit_numbers.audit(tmp_path).faults) - before)
    row = f"docs/RESULTS.md:{at + 2}:"
    assert any(f.startswith(row + " says 'artefact lost'") for f in new), new
    assert any(f.startswith(row + " '2.12") for f in new), new  # its numbers are checked, not skipped


def test_breaking_a_real_number_fails(tmp_path: Path) -> None:
    """A copy of the real documents and artefacts audits as the real ones; one table number changed adds one fault."""
    _copy_docs(tmp_path)
    before = audit_numbers.audit(tmp_path)
    assert before.faults == audit_numbers.audit(ROOT).faults
    doc, line, claim = next(m for m in before.matched
                            if m[0] == "docs/RESULTS.md" and "." in m[2] and "%" not in m[2])
    decimals = len(claim.split(".")[1].split()[0])
    broken = f"{float(claim.split()[0]) + 3 * 10 ** -decimals:.{decimals}f}"
    path = tmp_path / doc
    lines = path.read_text(encoding="utf-8").split("\n")
    assert claim in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(claim.split()[0], broken, 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    new = sorted(set(audit_numbers.audit(tmp_path).faults) - set(before.faults))
    assert len(new) == 1 and new[0].startswith(f"{doc}:{line}: '{broken}"), new
