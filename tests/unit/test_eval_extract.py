"""The deterministic fault extraction, on hand-written answers."""

from __future__ import annotations

import json

import pytest

from sportsgpt.api import movements
from sportsgpt.evals.scorers.extract import LEXICON_PATH, extract_faults


def test_lexicon_covers_exactly_the_registry_faults() -> None:
    keys = {k for k in json.loads(LEXICON_PATH.read_text()) if not k.startswith("_")}
    assert keys == {f for m in movements() for f in m.faults}


@pytest.mark.parametrize(("text", "movement", "expected"), [
    ("Your knees were still bent at take-off, and you landed stiffly.",
     "countermovement_jump", ["insufficient_knee_extension_at_takeoff", "stiff_landing"]),
    ("Main issue: a stiff landing. There is no sign of knee valgus and you did not lean "
     "too far forward.", "countermovement_jump", ["stiff_landing"]),
    ("Your knees cave in at the bottom.", "deep_squat", ["knee_valgus_in_squat"]),
    ("Your knees cave in on landing.", "countermovement_jump", ["knee_valgus_on_landing"]),
    ("Great jump, keep training.", "countermovement_jump", []),
    ("Heels lift and the squat is too shallow.", "deep_squat",
     ["heel_rise", "insufficient_squat_depth"]),
    ("Work on preventing knee valgus.", "countermovement_jump", []),
], ids=["two-faults", "negations", "squat-valgus", "jump-valgus", "none", "order", "warning"])
def test_extracts_named_faults(text: str, movement: str, expected: list[str]) -> None:
    assert extract_faults(text, movement) == expected
