"""The threshold rule of MotionDTW's calibration and the committed report's consistency."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from sportsgpt.graph_kb.movements import movement_ids, movement_spec
from sportsgpt.tools.motiondtw.calibrate import Costs, report
from sportsgpt.tools.motiondtw.templates import load_template

CALIBRATION = Path(__file__).resolve().parents[2] / "graph_kb" / "movements" / "CALIBRATION.md"


def test_threshold_is_the_geometric_mean_of_the_gap() -> None:
    c = Costs()
    for v in (1.0, 2.0):
        c.add(True, "experts", v)
    c.add(True, "others", 4.0)
    c.add(False, "lunges", 9.0)
    c.add(False, "lunges", 16.0)
    assert c.threshold() == (4.0, 9.0, pytest.approx(math.sqrt(36.0)))


def test_report_counts_misses_and_false_matches_at_the_shipped_threshold() -> None:
    shipped = load_template("countermovement_jump").match_threshold
    c = Costs()
    c.add(True, "jumps", shipped - 1.0)
    c.add(True, "jumps", shipped + 0.5)      # a missed jump
    c.add(False, "squats", shipped - 0.1)    # a false match
    c.add(False, "squats", shipped + 3.0)
    text = report({"countermovement_jump": c})
    assert "**overlap**" in text
    assert "| positive | jumps | 2 |" in text and "| 1 missed |" in text
    assert "| negative | squats | 2 |" in text and "| 1 false matches |" in text


@pytest.mark.parametrize("movement", movement_ids())
def test_committed_report_states_the_shipped_thresholds(movement: str) -> None:
    """CALIBRATION.md, MovementSpec.match_threshold and the shipped template agree."""
    text = CALIBRATION.read_text(encoding="utf-8")
    section = text.split(f"## {movement}\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"shipped threshold ([0-9]+\.[0-9]+)", section)
    assert found is not None, section[:200]
    stated = float(found.group(1))
    assert stated == pytest.approx(load_template(movement).match_threshold, abs=0.005)
    assert movement_spec(movement).match_threshold == pytest.approx(stated, abs=0.005)
