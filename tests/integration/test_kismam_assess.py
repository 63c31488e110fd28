"""KISMAM assessment of real recordings (CMU, UI-PRMD, OpenCap); pure parts: tests/unit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportsgpt.graph_kb.catalog import load_catalog
from sportsgpt.graph_kb.movements import movement_ids
from sportsgpt.tools.datasets import load_cmu_trial, load_opencap_sample, load_ui_prmd
from sportsgpt.tools.events import jump_events
from sportsgpt.tools.kismam.assess import (
    MovementNotFoundError,
    assess,
    choose_movement,
    evaluate_metric,
)
from sportsgpt.tools.kismam.models import AssessmentReport
from sportsgpt.tools.kismam.render import render_markdown
from sportsgpt.tools.kismam.targets import derive_catalog, expert_values, recording_movement
from sportsgpt.tools.motion import AngleSequence, MotionSequence
from sportsgpt.tools.prepare import prepare
from sportsgpt.tools.preprocess import preprocess

MODERATE_PLUS = ("moderate", "severe")
RANK = {"none": 0, "mild": 1, "moderate": 2, "severe": 3}


@pytest.mark.integration
def test_noisy_input_lowers_confidence(cmu_dir: Path) -> None:
    clean_m = load_cmu_trial("16_01")
    rng = np.random.default_rng(7)
    noisy_m = clean_m.model_copy(update={
        "positions": clean_m.positions + rng.normal(0.0, 0.03, clean_m.positions.shape)})
    clean_r = assess(clean_m, "countermovement_jump")[0]
    noisy_r = assess(noisy_m, "countermovement_jump")[0]
    assert clean_r.quality.angle_noise_deg is not None
    assert noisy_r.quality.angle_noise_deg is not None
    assert noisy_r.quality.angle_noise_deg > 10 * clean_r.quality.angle_noise_deg
    before = {f.fault_id: f.confidence for f in clean_r.findings}
    after = {f.fault_id: f.confidence for f in noisy_r.findings}
    common = set(before) & set(after)
    assert common  # the arms-held jump's limited arm swing is found either way
    assert all(after[k] < before[k] for k in common)


def _moderate_plus(reports: list[AssessmentReport]) -> list[str]:
    return [f.fault_id for r in reports for f in r.findings if f.severity in MODERATE_PLUS]


@pytest.mark.integration
@pytest.mark.parametrize("trial", ["16_01", "16_02"])
def test_in_sample_cmj_experts_have_no_moderate_findings(cmu_dir: Path, trial: str) -> None:
    """In-sample: 16_01 and 16_02 are the recordings the CMJ targets and template come from.

    16_xx jump with the arms held by design: the caller says so (arm_swing=False). The
    held-out counterpart is :func:`test_held_out_experts_are_not_flagged_severe`.
    """
    reports = assess(load_cmu_trial(trial), "countermovement_jump", arm_swing=False)
    assert len(reports) == 1
    r = reports[0]
    assert _moderate_plus(reports) == []
    assert [k.name for k in r.keyframes][:3] == ["movement_onset", "countermovement_bottom",
                                                 "takeoff"]
    assert any("arm-swing faults not scored" in n for n in r.notes)


@pytest.mark.integration
def test_default_scores_arm_swing_even_when_arms_are_still(cmu_dir: Path) -> None:
    # A still arm cannot be told from a limited swing by the data: by default it is scored
    # (with a note); 16_01's ~11° range is far below the arm-swing target.
    r = assess(load_cmu_trial("16_01"), "countermovement_jump")[0]
    assert "limited_arm_swing" in _moderate_plus([r])
    assert any("no-arm-swing option" in n for n in r.notes)
    AssessmentReport.model_validate_json(r.model_dump_json())


@pytest.mark.integration
def test_in_sample_slj_experts_rarely_flagged(cmu_dir: Path) -> None:
    """In-sample: these trials are among the experts the SLJ targets and template come from.

    The held-out counterpart is :func:`test_held_out_experts_rarely_flagged`.
    """
    trials = [f"118_{i:02d}" for i in (1, 2, 4, 5, 7, 8, 10, 11, 13, 14)]
    flagged = [t for t in trials if _moderate_plus(assess(load_cmu_trial(t),
                                                          "standing_long_jump"))]
    assert len(flagged) <= 1, flagged  # issue target: <= 10 % of clean recordings


# --- held out: targets derived without the recording under test ------------------------------
def _own_experts(movement: str) -> list[str]:
    """Expert recordings of ``movement`` that its catalog's template targets come from."""
    catalog = load_catalog(movement)
    names = {r for m in catalog.metrics if m.target is not None and m.target.experts is not None
             for r in m.target.experts.recordings}
    return sorted(n for n in names if recording_movement(n) == movement)


HELD_OUT = [(movement, trial) for movement in ("countermovement_jump", "standing_long_jump")
            for trial in _own_experts(movement)]


@pytest.fixture(scope="module")
def held_out_reports(cmu_dir: Path) -> dict[str, list[AssessmentReport]]:
    """Each jump expert assessed with targets derived without it (leave-one-out).

    The template stays the packaged one (built from the same experts): with a leave-one-out
    template too the findings were the same on all 22 recordings (measured 2026-12-03).
    """
    values = expert_values([load_catalog(m) for m in ("countermovement_jump",
                                                      "standing_long_jump")])
    out: dict[str, list[AssessmentReport]] = {}
    for movement, trial in HELD_OUT:
        catalog = derive_catalog(movement, values, exclude=[trial])
        arm_swing = False if movement == "countermovement_jump" else None  # 16_xx: arms held
        out[trial] = assess(load_cmu_trial(trial), movement, catalog=catalog,
                            arm_swing=arm_swing)
    return out


@pytest.mark.integration
@pytest.mark.slow
def test_held_out_experts_are_rarely_flagged_severe(
        held_out_reports: dict[str, list[AssessmentReport]]) -> None:
    """Clean experts judged against targets they did not help set: at most 1 of 22 severe.

    Measured 2026-12-03 with contact timed as the force plates time it: 118_04 (standing long
    jump) has a severe insufficient hip extension at takeoff; no other expert has a severe
    finding. The bound is the measured count, within the issue's 10 %.
    """
    for trial, reports in held_out_reports.items():
        movement = next(m for m, t in HELD_OUT if t == trial)
        assert [r.movement for r in reports] == [movement]
    severe = {t: [f.fault_id for r in reports for f in r.findings if f.severity == "severe"]
              for t, reports in held_out_reports.items()}
    flagged = sorted(t for t, faults in severe.items() if faults)
    assert len(flagged) <= 1, severe
    assert len(flagged) <= 0.1 * len(held_out_reports)


@pytest.mark.integration
@pytest.mark.slow
def test_held_out_experts_rarely_flagged(
        held_out_reports: dict[str, list[AssessmentReport]]) -> None:
    """Held out, 3 of the 22 jump experts have a moderate or severe finding (as measured).

    Measured 2026-12-03 with contact timed as the force plates time it (toe tips in the foot
    height): 118_04 at takeoff (hip extension, trunk lean), 118_02 an asymmetric landing
    (its left foot stops 6 cm above the floor and lands 67 ms after the right), 118_08 a
    stiff landing (knee flexion displacement 18 deg, the smallest of the 20). Before, with
    contact 2-5 frames late, only 118_04. The bound is the measured count, not a threshold
    tuned to pass; it is above the issue's target of at most 10 % of clean recordings (2 of
    22), which is reported as not met. No CMJ expert is flagged.
    """
    flagged = [t for t, reports in held_out_reports.items() if _moderate_plus(reports)]
    assert len(flagged) <= 3, flagged
    assert not [t for t in flagged if t.startswith("16_")], flagged


@pytest.mark.integration
def test_trunk_lean_target_follows_the_knee_flexion_at_the_bottom(cmu_dir: Path) -> None:
    # The band of trunk lean at the bottom is conditioned on knee flexion there: it moves
    # by slope x (knee - experts' mean knee) and the report says for which knee flexion.
    catalog = load_catalog("standing_long_jump")
    spec = catalog.metric("trunk_lean_at_bottom")
    assert spec.target is not None and spec.target.given is not None
    r = assess(load_cmu_trial("118_04"), "standing_long_jump")[0]
    got = {m.id: m for m in r.metrics}
    knee, lean = got["knee_flexion_at_bottom"], got["trunk_lean_at_bottom"]
    assert knee.value is not None and lean.value is not None and lean.target_high is not None
    moved = spec.target.given_at(knee.value)
    assert lean.target_high == pytest.approx(moved.high)
    assert lean.z == pytest.approx((lean.value - moved.centre) / moved.scale, abs=1e-3)
    assert lean.target_given == f"for knee flexion at the bottom {knee.value:.0f}°"
    assert lean.target_given in render_markdown([r])  # the reader sees why the band moved
    prep = prepare(load_cmu_trial("118_04"))
    frames = {k.name: k.frame for k in r.keyframes}
    alone = evaluate_metric(spec, prep, frames)  # no covariate given: not guessed
    assert alone.status == "not_assessable" and "knee_flexion_at_bottom" in (alone.reason or "")


@pytest.mark.integration
@pytest.mark.slow
def test_incorrect_squats_are_found_too_shallow(uiprmd_dir: Path) -> None:
    def depth_flag(correct: bool) -> float:
        hits = []
        for subject in range(1, 6):
            for episode in range(1, 5):
                # shallow squats often miss the template's gate: use the event rules then
                r = assess(load_ui_prmd("deep_squat", subject, episode, correct=correct),
                           "deep_squat", fallback_events=True)[0]
                hits.append(any(f.fault_id == "insufficient_squat_depth" for f in r.findings))
        return float(np.mean(hits))
    correct, incorrect = depth_flag(True), depth_flag(False)
    assert correct <= 0.1
    assert incorrect >= 0.35 and incorrect - correct >= 0.3


@pytest.mark.integration
def test_2d_side_view_marks_fppa_not_assessable(cmu_dir: Path) -> None:
    clean, _ = preprocess(load_cmu_trial("16_01"))  # facing +x: x-y is the sagittal plane
    side = MotionSequence(positions=clean.positions[:, :, :2], joints=clean.joints,
                          fps=clean.fps, view="sagittal")
    r = assess(side, "countermovement_jump")[0]
    fppa = next(m for m in r.metrics if m.id == "knee_fppa_landing")
    assert (fppa.status, fppa.value) == ("not_assessable", None)
    assert (fppa.reason or "").startswith("not assessable from a 2D side view")
    knee = next(m for m in r.metrics if m.id == "knee_angle_at_takeoff")
    assert knee.status != "not_assessable"
    assert r.quality.dim == 2 and r.quality.view == "sagittal"


@pytest.mark.integration
def test_opensim_mot_gives_angle_metrics(opencap_dir: Path) -> None:
    reports = assess(load_opencap_sample("jump2"), "countermovement_jump")
    assert len(reports) == 1
    r = reports[0]
    by = {m.id: m for m in r.metrics}
    for mid in ("knee_angle_at_takeoff", "hip_angle_at_takeoff", "knee_flexion_at_bottom",
                "knee_flexion_at_initial_contact", "peak_knee_flexion_landing"):
        assert by[mid].value is not None, mid
    assert by["knee_fppa_landing"].status == "not_assessable"
    assert r.quality.view == "angles"
    # MotionDTW finds the jump; every keyframe is placed by its event (flight from pelvis
    # free fall, as a .mot has no feet): the same frames as the event rules give
    kf = {k.name: k for k in r.keyframes}
    assert all(k.method == "refined" for k in r.keyframes)
    prep = prepare(load_opencap_sample("jump2"))
    events = jump_events(prep.kin_events)[0].frames
    assert {n: k.frame for n, k in kf.items()} == events
    landing = next(p for p in r.phases if p.name == "landing")
    assert landing.duration_s > 0.2


def _bent_knees(kin: AngleSequence, takeoff: int, degrees: float) -> AngleSequence:
    """Keep the knees ``degrees`` more flexed around takeoff (smooth bump of 0.3 s)."""
    half = round(0.15 * kin.fps)
    bump = np.zeros(kin.n_frames)
    bump[takeoff - half:takeoff + half + 1] = degrees * np.hanning(2 * half + 1)
    values = kin.values.copy()
    for side in ("left", "right"):
        values[:, kin.channels.index(f"knee_flexion_{side}")] += bump
    return kin.model_copy(update={"values": values})


@pytest.mark.integration
def test_artificial_knee_fault_grows_in_severity(cmu_dir: Path) -> None:
    kin = prepare(load_cmu_trial("16_01")).kin
    takeoff = assess(kin, "countermovement_jump")[0].keyframes[2].frame
    severities = []
    for degrees in (0.0, 10.0, 14.0, 19.0):
        r = assess(_bent_knees(kin, takeoff, degrees), "countermovement_jump")[0]
        hit = [f for f in r.findings if f.fault_id == "insufficient_knee_extension_at_takeoff"]
        severities.append(hit[0].severity if hit else "none")
        if hit:
            assert hit[0].rationale.startswith("insufficient knee extension at takeoff: knee")
            assert hit[0].evidence[0].metric_id == "knee_angle_at_takeoff"
    assert severities == ["none", "mild", "moderate", "severe"]


@pytest.mark.integration
def test_findings_are_ranked(cmu_dir: Path) -> None:
    kin = prepare(load_cmu_trial("16_02")).kin
    takeoff = assess(kin, "countermovement_jump")[0].keyframes[2].frame
    r = assess(_bent_knees(kin, takeoff, 25.0), "countermovement_jump")[0]
    keys = [(-RANK[f.severity], -f.score) for f in r.findings]
    assert keys == sorted(keys) and r.findings


@pytest.mark.integration
@pytest.mark.parametrize(("trial", "expected"), [
    ("16_01", "countermovement_jump"), ("118_05", "standing_long_jump")])
def test_choose_movement_on_jumps(cmu_dir: Path, trial: str, expected: str) -> None:
    movement, confidence, ratios = choose_movement(load_cmu_trial(trial))
    assert movement == expected and 0 < confidence <= 1
    # every registered movement whose template could be aligned (all of them here)
    assert set(ratios) == set(movement_ids())


@pytest.mark.integration
def test_choose_movement_on_a_squat(uiprmd_dir: Path) -> None:
    movement, confidence, _ = choose_movement(load_ui_prmd("deep_squat", 2, 3))
    assert movement == "deep_squat" and confidence > 0.5
    r = assess(load_ui_prmd("deep_squat", 2, 3), "auto")[0]
    assert r.movement == "deep_squat" and r.movement_confidence == confidence


@pytest.mark.integration
def test_no_jump_in_a_squat_is_a_typed_error(uiprmd_dir: Path) -> None:
    with pytest.raises(MovementNotFoundError, match="no countermovement jump was found"):
        assess(load_ui_prmd("deep_squat", 1, 1), "countermovement_jump")
