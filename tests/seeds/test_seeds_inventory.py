"""Every code block of the seeds is accounted for: run by a named test, or not run for a
stated reason; and the blocks the tests run are the seeds' own (whitespace aside)."""

from __future__ import annotations

import ast
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from seeds_reference_004 import BLOCKS
from seeds_snippets import OUTCOMES, SNIPPETS, digest

HERE = Path(__file__).resolve().parent
# The seeds sit beside the repository (../shared/seeds), outside it.
SEEDS = Path(os.environ.get("MLAGENTS_SEEDS_DIR", HERE.parents[2] / "shared" / "seeds"))
_FENCE = re.compile(r"```(\w*)[ \n](.*?)```", re.S)


def _outcome_digest(block: str) -> str:
    return digest(SNIPPETS[block]) if block in SNIPPETS else block


def test_every_snippet_has_an_outcome_and_every_run_names_a_test() -> None:
    assert {o.block for o in OUTCOMES} >= set(SNIPPETS)
    for outcome in OUTCOMES:
        kind, _, detail = outcome.outcome.partition(": ")
        assert kind in ("runs", "not run"), outcome
        assert detail, outcome
        if kind == "runs":
            assert outcome.block in SNIPPETS, f"{outcome}: the tests must hold what they run"
            for target in detail.split(" and "):
                module_file, _, function = target.partition("::")
                assert function in _test_functions(HERE / module_file), f"no test {target}"


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def _seed_blocks() -> Counter[tuple[str, str, str]]:
    found: Counter[tuple[str, str, str]] = Counter()
    for path in sorted(SEEDS.glob("00[0-4]_*.txt")):
        for language, text in _FENCE.findall(path.read_text(encoding="utf-8")):
            found[(path.name[:3], language, digest(text))] += 1
    return found


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seeds folder at {SEEDS}")
def test_the_inventory_matches_the_seeds() -> None:
    ours: Counter[tuple[str, str, str]] = Counter(
        (o.seed, o.language, _outcome_digest(o.block)) for o in OUTCOMES
    )
    ours.update(("004", b.language, digest(b.text)) for b in BLOCKS)
    assert ours == _seed_blocks()
