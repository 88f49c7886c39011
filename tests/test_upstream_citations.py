"""Every `upstream §N(.M)( step K)` citation in src/ and tests/ names a heading (and step) of upstream.md.

The citations replace the old `spec §N` ones, which pointed at a document outside the repository; none may
come back, and no `§` may stand without `upstream` before its group.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ROOT / "docs" / "upstream.md"
SCANNED = ("src", "tests")

HEADING = re.compile(r"^#{2,3} U(\d+(?:\.\d+)?) ", re.MULTILINE)
ONE = r"§(\d+(?:\.\d+)?)(?: step (\d+))?"
# `upstream §5.1–§5.7`, `upstream §0, §6.7, §8.1`, `Upstream §6.8 step 4`
GROUP = re.compile(rf"\b[Uu]pstream {ONE}(?:(?:, |–| and ){ONE})*")
MEMBER = re.compile(ONE)


def _sections(text: str) -> dict[str, str]:
    """Heading number → the body text up to the next numbered heading."""
    marks = list(HEADING.finditer(text))
    out: dict[str, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out[m.group(1)] = text[m.end() : end]
    return out


def _has_step(body: str, step: str) -> bool:
    return re.search(rf"^{step}\. ", body, re.MULTILINE) is not None


def problems(files: list[tuple[str, str]], upstream_text: str) -> list[str]:
    """What is wrong with the citations in `files` ((name, text) pairs) against `upstream_text`."""
    sections = _sections(upstream_text)
    found: list[str] = []
    for name, text in files:
        for lineno, line in enumerate(text.splitlines(), 1):
            if "§" not in line:
                continue
            where = f"{name}:{lineno}"
            if re.search(r"\bspec §", line, re.IGNORECASE):
                found.append(f"{where}: `spec §` citation left: {line.strip()}")
            covered: set[int] = set()
            for group in GROUP.finditer(line):
                covered.update(range(group.start(), group.end()))
                for member in MEMBER.finditer(group.group(0)):
                    number, step = member.group(1), member.group(2)
                    if number not in sections:
                        found.append(f"{where}: upstream §{number} is not a heading of docs/upstream.md")
                    elif step and not _has_step(sections[number], step):
                        found.append(f"{where}: upstream §{number} has no step {step}")
            for sign in re.finditer("§", line):
                if sign.start() not in covered:
                    found.append(f"{where}: `§` outside an `upstream §` citation: {line.strip()}")
    return found


def _repo_files() -> list[tuple[str, str]]:
    files = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue  # this file's examples are not citations
            files.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    return files


def test_every_citation_resolves() -> None:
    assert problems(_repo_files(), UPSTREAM.read_text(encoding="utf-8")) == []


def test_citations_are_found() -> None:
    cited = sum(len(GROUP.findall(text)) for _, text in _repo_files())
    assert cited >= 40


def test_bad_citations_are_reported() -> None:
    doc = "## U6.8 Enable\n\n1. Render.\n4. Conflicts.\n\n## U7 Disable\n\n1. Find.\n"
    good = [("ok.py", "# upstream §6.8 step 4, §7 step 1; Upstream §6.8–§7\n")]
    assert problems(good, doc) == []
    bad = [
        ("a.py", "# spec §6.8\n"),
        ("b.py", "# upstream §6.9\n"),
        ("c.py", "# upstream §6.8 step 12\n"),
        ("d.py", "# see §7\n"),
        ("e.py", "# upstream §7, §99\n"),
    ]
    reported = problems(bad, doc)
    assert sorted({p.split(":")[0] for p in reported}) == ["a.py", "b.py", "c.py", "d.py", "e.py"]
