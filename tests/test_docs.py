"""The project is self-contained: its code and docs cite its own docs, and every docs link resolves.

- No file cites a document that lives outside the repository (the planning notes SPEC.md, CORPUS.md,
  STYLE.md, PEERS.md, or "SPEC section N") or an absolute path on a developer's machine.
- Every `docs/....md` named in README.md or docs/*.md exists, and every relative Markdown link there
  (images included) points to a file inside the repository; `#anchors` name a heading of their file.

Each checker takes the repository root, so the tests at the end run it on a small made-up tree and
check that it catches what it must.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SELF = Path(__file__).resolve()

SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "data", "runs",
             "build", "out", "node_modules"}
TEXT_EXTS = {".py", ".md", ".toml", ".sh", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".json", ".jsonl", ".csv"}
TEXT_NAMES = {"Makefile", "run"}
# data artefacts may record where a run wrote its files; they are checked for the named documents only
DATA_EXTS = {".json", ".jsonl", ".csv"}

# Split so that this file does not match its own patterns.
_NAMES = "|".join(n + r"\.md" for n in ("SP" + "EC", "COR" + "PUS", "STY" + "LE", "PEE" + "RS"))
OUTSIDE_DOC = re.compile(rf"\b(?:{_NAMES})\b", re.IGNORECASE)
SPEC_WORD = re.compile(r"\b" + "SP" + r"EC\b")  # "SPEC 1", "SPEC section 5", "SPEC's": a citation of that file
OUTSIDE_PATH = re.compile(r"(?<![\w.~-])/(?:work|home|Users|root)/[\w.-]|(?<![\w.])\.\./+shared\b|\bshared/+(?:"
                          + _NAMES + ")")

DOC_NAME = re.compile(r"(?<![\w/.-])docs/[\w./-]+?\.md\b")
MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def repo_files(root: Path) -> list[Path]:
    """Tracked and untracked, not ignored files (git), or a walk that skips virtual envs, data and caches."""
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, capture_output=True,
                             check=True, timeout=60).stdout.decode()
        files = [root / p for p in out.split("\0") if p]
        if files:
            return [p for p in files if p.is_file()]
    except (OSError, subprocess.SubprocessError):
        pass
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        found += [Path(dirpath) / f for f in filenames]
    return found


def text_files(root: Path) -> list[Path]:
    return sorted(p for p in repo_files(root)
                  if (p.suffix in TEXT_EXTS or p.name in TEXT_NAMES) and p.resolve() != SELF)


def outside_citations(root: Path) -> list[str]:
    """'path:line: text' for every citation of a document or path outside the repository."""
    bad = []
    for path in text_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        data = path.suffix in DATA_EXTS
        for n, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_DOC.search(line) or (not data and (SPEC_WORD.search(line) or OUTSIDE_PATH.search(line))):
                bad.append(f"{path.relative_to(root)}:{n}: {line.strip()[:120]}")
    return bad


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[`*_]{2,}|`", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(md: Path) -> set[str]:
    text = FENCE.sub("", md.read_text(encoding="utf-8"))
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)}


def markdown_docs(root: Path) -> list[Path]:
    return [p for p in [root / "README.md", *sorted((root / "docs").glob("**/*.md"))] if p.is_file()]


def broken_doc_links(root: Path) -> list[str]:
    """'file: target (why)' for every docs/*.md name or relative Markdown link that does not resolve."""
    bad = []
    real_root = root.resolve()
    for md in markdown_docs(root):
        text = FENCE.sub("", md.read_text(encoding="utf-8"))
        name = md.relative_to(root)
        for m in DOC_NAME.finditer(text):
            if not (root / m.group(0)).is_file():
                bad.append(f"{name}: {m.group(0)} (no such file)")
        for m in MD_LINK.finditer(text):
            target = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            dest = (md.parent / file_part).resolve() if file_part else md.resolve()
            if file_part and not dest.is_relative_to(real_root):
                bad.append(f"{name}: {target} (outside the repository)")
            elif not dest.exists():
                bad.append(f"{name}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                bad.append(f"{name}: {target} (no such heading)")
    return list(dict.fromkeys(bad))


def test_no_citation_outside_the_repository() -> None:
    bad = outside_citations(ROOT)
    assert not bad, "cite the project's own docs (e.g. docs/DESIGN.md) instead of:\n" + "\n".join(bad)


def test_docs_links_resolve() -> None:
    bad = broken_doc_links(ROOT)
    assert not bad, "broken links in README.md / docs:\n" + "\n".join(bad)


def test_design_doc_is_linked_from_readme() -> None:
    assert (ROOT / "docs" / "DESIGN.md").is_file()
    assert "docs/DESIGN.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_checkers_catch_what_they_must(tmp_path: Path) -> None:
    """The checkers on a made-up tree: each planted fault is reported, the clean files are not."""
    spec = "SP" + "EC"
    (tmp_path / "docs").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "docs" / "A.md").write_text("# Title\n\n## Losses and weights\n\nSee [B](B.md#title).\n")
    (tmp_path / "docs" / "B.md").write_text("# Title\n\n```\n# not a heading\n```\n")
    (tmp_path / "pkg" / "ok.py").write_text('"""Losses (docs/A.md, Losses and weights); importlib.util.find_spec."""\n')
    (tmp_path / "pkg" / "a.py").write_text(f'"""The crop rule of {spec} section 3."""\n')
    (tmp_path / "pkg" / "b.py").write_text(f"# see {spec.lower()}.md\n")
    (tmp_path / "pkg" / "c.py").write_text("# see /work/" + "shared/notes\n")
    (tmp_path / "pkg" / "d.toml").write_text("# details in ../" + "shared/x\n")
    (tmp_path / "run.json").write_text('{"weights": "/work/main/runs/x", "note": "CORP' + 'US.md"}\n')
    (tmp_path / "README.md").write_text(
        "[design](docs/A.md#losses-and-weights) and docs/A.md; docs/GONE.md; [x](docs/MISSING.md); "
        "[y](docs/A.md#nowhere); [z](../outside.md); [w](https://example.org/docs/x.md); ![p](docs/p.png)\n")
    bad = outside_citations(tmp_path)
    assert sorted(b.split(":")[0] for b in bad) == ["pkg/a.py", "pkg/b.py", "pkg/c.py", "pkg/d.toml", "run.json"]
    links = broken_doc_links(tmp_path)
    assert any("docs/GONE.md (no such file)" in b for b in links)
    assert any("docs/MISSING.md (no such file)" in b for b in links)
    assert any("docs/A.md#nowhere (no such heading)" in b for b in links)
    assert any("../outside.md (outside the repository)" in b for b in links)
    assert any("docs/p.png (no such file)" in b for b in links)
    assert not any("losses-and-weights" in b or "B.md#title" in b or "example.org" in b for b in links)
    assert len(links) == 5, links
