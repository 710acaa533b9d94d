"""Every number in README.md, docs/RESULTS.md and lipglance/assets/MODEL_CARD.md has its artefact and its command.

    .venv/bin/python scripts/audit_numbers.py [--verbose]

A document is cut into sections at its headings. A *numeric claim* is a number with a decimal point, a
percentage, or a number with a unit (px, dB, ms, s, MB, frames/s, x, ...) in the prose or the tables; numbers in
inline code and fenced blocks (commands, paths, options), dates, versions and ranges' text are not claims.

- **Section rule**: a section with claims names at least one artefact (a .json, .jsonl, .csv or .txt file that
  is in the repository, written as a path from the root or from the document's folder) and a command (a fenced
  block, or inline code starting with lipglance, python, scripts/, benchmarks/, .venv/bin/ or make).
- **Table rule**: every claim in a table cell rounds from a number of the artefacts its table names (in the
  table, the paragraph just above it or, failing both, the section): a json's numeric leaves, a text file's
  numbers; a percentage may be a fraction x 100. When one record (a json object, a text line) holds most (and
  three or more) of a row's numbers, it must hold all of them, so a number copied from the wrong row fails.
- **No lost artefacts**: a number whose artefact is gone is re-measured (and its new artefact named) or removed
  from the documents; labelling it "artefact lost" does not exempt it. Every line that says "artefact lost"
  is a fault, and the numbers around it are checked like any others.
- Sections that state specifications (limits and constants of the code, install steps) rather than
  measurements are listed in SPEC_SECTIONS with the reason; each listed section must exist.

Exit 1 and one line per fault when anything fails; --verbose also lists prose claims that match no number of
the section's artefacts (derived figures, such as "33% below", land there: worth a look, not a fault).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "docs/RESULTS.md", "lipglance/assets/MODEL_CARD.md")

# (document, heading) -> why its numbers are specifications, not measurements
SPEC_SECTIONS: dict[tuple[str, str], str] = {
    ("README.md", "Install with pip"): "install steps; the venv sizes (6 GB, 1.7 GB) are rough guides, not results",
    ("README.md", "Use"): "the API's accepted inputs and defaults (lipglance/inference/model/inputs.py)",
    ("README.md", "Supported formats"): "input limits of lipglance/io/*.py, checked by tests/test_hardening.py",
    ("README.md", "Limits"): "input limits of lipglance/io/*.py (tests/test_hardening.py, tests/test_fuzz.py)",
    ("README.md", "Try it in the browser"): "the demo's upload limits (lipglance/inference/cli/demo.py)",
    ("README.md", "Troubleshooting"): "defaults of lipglance generate",
}

UNITS = (r"%|px|dB|ms|s|min|minutes|h|hours|MB|GB|GiB|kB|KB|M|GMAC|frames/s|steps/s|clips/s|kbit/s|kHz|Hz|x"
         r"|degrees?|megapixels|epochs?")
NUMBER = re.compile(rf"(?<![\w.+/])(?:(?<=[\s(])-)?(\d{{1,3}}(?:,\d{{3}})+|\d+)(\.\d+)?(?:\s?({UNITS}))?(?![\w/])")
# "245 / 228 frames/s", "0.6-2.5 s", "3.9 to 4.2 px": the first number shares the second's unit
SHARED_UNIT = re.compile(rf"\s?(?:-|/|to|and|vs)\s?\d[\d,]*(?:\.\d+)?\s?({UNITS})(?![\w/])")
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
VERSION = re.compile(r"\b\d+\.\d+(?:\.\d+)+\b|\b\d+\.x\b|\b(?:torch|Python|python|ECCV)\s*=*\s*\d+(?:\.\d+)*"
                     r"|\bfrom \d+\.\d+ works\b")
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
ARTEFACT = re.compile(r"(?<![\w.-])((?:[\w.-]+/)*[\w.-]+\.(?:json|jsonl|csv|txt))\b")
LOST = re.compile(r"artefacts? (?:was |were |is |are )?lost", re.IGNORECASE)
COMMAND = re.compile(r"`(?:\.venv/bin/)?(?:lipglance|python3?|scripts/|benchmarks/|make)\b[^`]*`")


@dataclass
class Claim:
    text: str
    value: float
    decimals: int
    percent: bool


@dataclass
class Block:
    kind: str  # "table" or "prose"
    lines: list[str]
    line_no: int

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Section:
    doc: str
    heading: str
    line_no: int
    blocks: list[Block] = field(default_factory=list)
    has_fence: bool = False


def claims(text: str) -> list[Claim]:
    """The numeric claims of a piece of Markdown (inline code, link targets, dates and versions removed)."""
    for pattern in (INLINE_CODE, LINK_TARGET, DATE, VERSION):
        text = pattern.sub(" ", text)
    found = []
    for m in NUMBER.finditer(text):
        whole, frac, unit = m.group(1), m.group(2), m.group(3)
        shared = None if unit else SHARED_UNIT.match(text, m.end())
        unit = unit or (shared.group(1) if shared else None)
        if not frac and not unit:
            continue
        start = m.start()
        sign = -1.0 if text[start] == "-" else 1.0
        value = sign * float(whole.replace(",", "") + (frac or ""))
        found.append(Claim(m.group(0).strip(), value, len(frac) - 1 if frac else 0, unit == "%"))
    return found


def parse(doc: str, text: str) -> list[Section]:
    """Sections of a document, each with its prose and table blocks; fenced blocks only mark a command."""
    fences = {text.count("\n", 0, m.start()) for m in FENCE.finditer(text)}
    masked = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    sections = [Section(doc, "(top)", 1)]
    current: Block | None = None
    for n, line in enumerate(masked.splitlines(), 1):
        if n - 1 in fences:
            sections[-1].has_fence = True
        h = HEADING.match(line)
        if h:
            sections.append(Section(doc, h.group(2), n))
            current = None
            continue
        if not line.strip():
            current = None
            continue
        kind = "table" if line.lstrip().startswith("|") else "prose"
        if current is None or current.kind != kind or (kind == "prose" and re.match(r"\s*(?:[-*]|\d+\.)\s", line)):
            current = Block(kind, [], n)
            sections[-1].blocks.append(current)
        current.lines.append(line)
    return sections


def repo_files(root: Path) -> set[str]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, capture_output=True,
                         check=True, timeout=60).stdout.decode()
    return {p for p in out.split("\0") if p and (root / p).is_file()}


def artefacts_named(text: str, doc: str, files: set[str]) -> list[str]:
    """Repository paths of the artefacts a piece of text names (from the root or from the document's folder)."""
    base = str(Path(doc).parent)
    found = []
    for m in ARTEFACT.finditer(INLINE_CODE.sub(lambda c: c.group(0)[1:-1], text)):
        name = m.group(1)
        for cand in (name, f"{base}/{name}" if base != "." else name, f"docs/{name}"):
            if cand in files:
                found.append(cand)
                break
    return list(dict.fromkeys(found))


def artefact_records(path: Path) -> list[list[float]]:
    """An artefact's numbers in records: a json's objects (each with its own numbers and lists of numbers, not
    its nested objects'), a text file's lines."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".json":
        return [[float(m.group(0).replace(",", "")) for m in re.finditer(r"-?\d+(?:,\d{3})*(?:\.\d+)?", line)]
                for line in text.splitlines()]
    records: list[list[float]] = []

    def own(o: object, record: list[float]) -> None:  # numbers of o that belong to the object holding it
        if isinstance(o, bool):
            return
        if isinstance(o, (int, float)):
            record.append(float(o))
        elif isinstance(o, list):
            for v in o:
                own(v, record)
        elif isinstance(o, dict):
            walk(o)

    def walk(o: dict) -> None:
        record: list[float] = []
        for v in o.values():
            own(v, record)
        records.append(record)
    top: list[float] = []
    own(json.loads(text), top)
    return [*records, top]


def matches(claim: Claim, numbers: list[float]) -> bool:
    """The claim is one of the numbers rounded to the claim's decimals (a percentage: or that number x 100)."""
    tol = 0.5 * 10 ** -claim.decimals + 1e-9
    for v in numbers:
        if not math.isfinite(v):
            continue
        for cand in ((v, v * 100) if claim.percent else (v,)):
            if abs(cand - claim.value) <= tol:
                return True
    return False


def live_claims(sec: Section) -> dict[int, list[tuple[int, Claim]]]:
    """Block index -> (line, claim) of a section's claims."""
    out: dict[int, list[tuple[int, Claim]]] = {}
    for i, block in enumerate(sec.blocks):
        for k, line in enumerate(block.lines):
            cells = line.strip().strip("|").split("|") if block.kind == "table" else [line]
            for c in (c for cell in cells for c in claims(cell)):
                out.setdefault(i, []).append((block.line_no + k, c))
    return out


def lost_labels(doc: str, text: str) -> list[str]:
    """One fault per line (fenced blocks too) that labels a number's artefact as lost instead of giving it one."""
    return [f"{doc}:{n}: says 'artefact lost': re-measure the number and name its artefact, or remove the number"
            for n, line in enumerate(text.splitlines(), 1) if LOST.search(line)]


def row_faults(row: list[Claim], records: list[list[float]], pool: list[float]) -> list[Claim]:
    """A table row's claims that its artefacts do not back. When one record (a json object, a text line) holds
    more than half of the row, and at least three numbers, the rest must be in it too: a number that only
    rounds from another record's is a copy slip. A row put together from several records needs each number
    somewhere."""
    best = max((sum(matches(c, r) for c in row) for r in records), default=0)
    if best >= 3 and 2 * best > len(row):
        home = next(r for r in records if sum(matches(c, r) for c in row) == best)
        return [c for c in row if not matches(c, home)]
    return [c for c in row if not matches(c, pool)]


@dataclass
class Report:
    faults: list[str] = field(default_factory=list)
    unmatched_prose: list[str] = field(default_factory=list)
    matched: list[tuple[str, int, str]] = field(default_factory=list)  # (document, line, claim) a table backs
    checked_cells: int = 0
    claims: int = 0


def audit(root: Path = ROOT, docs: tuple[str, ...] = DOCS,
          spec: dict[tuple[str, str], str] | None = None) -> Report:
    spec = SPEC_SECTIONS if spec is None else spec
    files = repo_files(root)
    report = Report()
    seen: set[tuple[str, str]] = set()
    cache: dict[str, list[list[float]]] = {}

    def records(paths: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for p in paths:
            if p not in cache:
                cache[p] = artefact_records(root / p)
            out += cache[p]
        return out

    def numbers(paths: list[str]) -> list[float]:
        return [v for r in records(paths) for v in r]

    for doc in docs:
        text = (root / doc).read_text(encoding="utf-8")
        report.faults += lost_labels(doc, text)
        for sec in parse(doc, text):
            seen.add((doc, sec.heading))
            where = f"{doc}:{sec.line_no} ({sec.heading})"
            live = live_claims(sec)
            report.claims += sum(len(v) for v in live.values())
            if not live or (doc, sec.heading) in spec:
                continue
            first_block, first = next(iter(live.items()))
            sec_text = "\n".join(b.text for b in sec.blocks)
            sec_artefacts = artefacts_named(sec_text, doc, files)
            count = sum(len(v) for v in live.values())
            if not sec_artefacts:
                report.faults.append(f"{where}: {count} numbers, no artefact named (e.g. {first[0][1].text!r} "
                                     f"at line {first[0][0]})")
            if not (sec.has_fence or COMMAND.search(sec_text)):
                report.faults.append(f"{where}: {count} numbers, no command named")
            for i, block in enumerate(sec.blocks):
                if i not in live:
                    continue
                scope = artefacts_named(block.text, doc, files)
                if block.kind == "table" and not scope and i > 0 and sec.blocks[i - 1].kind == "prose":
                    scope = artefacts_named(sec.blocks[i - 1].text, doc, files)
                scope = scope or sec_artefacts
                pool = numbers(scope)
                prose_pool = numbers(sec_artefacts) if block.kind == "prose" else []
                if block.kind == "prose":
                    report.unmatched_prose += [f"{doc}:{line}: {c.text}" for line, c in live[i]
                                               if not matches(c, pool + prose_pool)]
                    continue
                rows: dict[int, list[Claim]] = {}
                for line, c in live[i]:
                    rows.setdefault(line, []).append(c)
                for line, row in rows.items():
                    report.checked_cells += len(row)
                    if not scope:
                        continue
                    for c in row_faults(row, records(scope), pool):
                        report.faults.append(f"{doc}:{line}: {c.text!r} is in none of {', '.join(scope)}"
                                             if not matches(c, pool) else
                                             f"{doc}:{line}: {c.text!r} is not in the record that holds the rest "
                                             f"of its row ({', '.join(scope)})")
                    report.matched += [(doc, line, c.text) for c in row if matches(c, pool)]
    for doc, heading in spec:
        if doc in docs and (doc, heading) not in seen:
            report.faults.append(f"{doc}: SPEC_SECTIONS names a section that is not there: {heading!r}")
    return report


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--verbose", action="store_true", help="also list prose numbers no named artefact holds")
    args = p.parse_args()
    report = audit()
    for line in report.faults:
        print(line)
    if args.verbose:
        print("\nprose numbers that no named artefact holds (derived or worth a look):")
        for line in report.unmatched_prose:
            print("  " + line)
    print(f"\n{report.claims} numbers, {report.checked_cells} table numbers checked against their artefacts, "
          f"{len(report.faults)} faults", file=sys.stderr)
    return 1 if report.faults else 0


if __name__ == "__main__":
    sys.exit(main())
