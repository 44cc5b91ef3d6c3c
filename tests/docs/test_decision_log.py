"""DECISIONLOG.md stays a decision log: short entries (context, choice, consequence), no
measured figures (they belong in bench/README.md, dated), no diary of sessions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DECISION_LOG = REPO_ROOT / "DECISIONLOG.md"
BENCH_README = REPO_ROOT / "bench" / "README.md"

MAX_LOG_LINES = 300
MAX_ENTRY_LINES = 12  # the heading and its text, blank lines not counted

# What a benchmark result or a dated history looks like; a decision needs none of them.
FIGURE_PATTERNS = {
    "a timing": re.compile(r"\b\d+(\.\d+)? ?(s|ms|min)\b"),
    "a ratio": re.compile(r"\b\d+(\.\d+)?x\b"),
    "a throughput": re.compile(r"\brows/s\b"),
    "a dated entry": re.compile(r"\b20\d\d-\d\d-\d\d\b"),
    "a session number": re.compile(r"\bsession \d+\b", re.IGNORECASE),
    "before/after narrative": re.compile(r"\bbefore this change\b", re.IGNORECASE),
}


def decision_entries(text: str) -> dict[str, list[str]]:
    """Each `###` heading with its non-blank lines up to the next heading of any level."""
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("### "):
            heading = line.removeprefix("### ").strip()
            assert heading not in entries, f"DECISIONLOG.md has two entries headed {heading!r}: merge them"
            current = entries[heading] = []
        elif line.startswith("#"):
            current = None
        elif current is not None and line.strip():
            current.append(line)
    return entries


@pytest.fixture(scope="module")
def log_text() -> str:
    return DECISION_LOG.read_text(encoding="utf-8")


def test_the_log_stays_short(log_text):
    lines = log_text.count("\n")
    assert lines <= MAX_LOG_LINES, (
        f"DECISIONLOG.md has {lines} lines (at most {MAX_LOG_LINES}): merge decisions that say the same "
        "thing, and move descriptions of what the code does to docs/"
    )


def test_every_entry_is_a_few_lines_of_text(log_text):
    entries = decision_entries(log_text)
    assert len(entries) >= 20, (
        f"DECISIONLOG.md: only {len(entries)} `###` entries found; keep one `###` heading per decision"
    )
    empty = [heading for heading, body in entries.items() if not body]
    assert not empty, f"DECISIONLOG.md entries without text (say why and what follows): {empty}"
    too_long = {heading: 1 + len(body) for heading, body in entries.items() if 1 + len(body) > MAX_ENTRY_LINES}
    assert not too_long, (
        f"DECISIONLOG.md entries over {MAX_ENTRY_LINES} lines (keep context, decision and consequence; "
        f"details belong in docs/): {too_long}"
    )


def test_the_log_holds_no_figures_or_history(log_text):
    found = [
        f"line {number}, {kind} {match.group(0)!r}: {line.strip()}"
        for number, line in enumerate(log_text.splitlines(), start=1)
        for kind, pattern in FIGURE_PATTERNS.items()
        if (match := pattern.search(line))
    ]
    assert not found, (
        "DECISIONLOG.md quotes figures or history; move measurements to bench/README.md (a dated table with "
        "machine and command) and leave history to git log:\n" + "\n".join(found)
    )


def test_figures_in_bench_readme_name_existing_decisions(log_text):
    headings = set(decision_entries(log_text))
    section = BENCH_README.read_text(encoding="utf-8").split("## Figures behind design decisions", 1)
    assert len(section) == 2, "bench/README.md lost its section 'Figures behind design decisions'"
    rows = [line.split("|") for line in section[1].splitlines() if re.match(r"\| 20\d\d-\d\d-\d\d \|", line)]
    assert rows, "bench/README.md 'Figures behind design decisions' has no dated rows"
    dangling = sorted({row[2].strip() for row in rows} - headings)
    assert not dangling, (
        f"bench/README.md names decisions DECISIONLOG.md no longer has (rename the row or the heading): {dangling}"
    )
