from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.cli import main
from sportsgpt.core.errors import DatasetNotFoundError, MotionDataError, SportsGPTError
from sportsgpt.graph_kb.movements import movement_ids, movement_spec
from sportsgpt.tools.datasets import list_cmu_trials, load_cmu_trial, load_ui_prmd
from sportsgpt.tools.events import free_fall_contacts, jump_events
from sportsgpt.tools.motion import AngleSequence, MotionSequence
from sportsgpt.tools.motiondtw.align import Alignment, align, align_channels, resample_channels
from sportsgpt.tools.motiondtw.features import motion_channels
from sportsgpt.tools.motiondtw.templates import (
    Template,
    build_template,
    load_template,
    packaged_template_path,
)

pytestmark = pytest.mark.usefixtures("cmu_dir")


def _has_cmu() -> bool:
    try:
        list_cmu_trials()
    except DatasetNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def loo_cmj() -> Template:
    """A CMJ template that does not contain 16_02 (built from 16_01 only)."""
    return build_template([load_cmu_trial("16_01")], "countermovement_jump")


@pytest.fixture(scope="module")
def jump_1602() -> MotionSequence:
    return load_cmu_trial("16_02")


@pytest.mark.parametrize("movement", movement_ids())
def test_shipped_templates_are_complete(movement: str) -> None:
    tpl = load_template(movement)
    spec = movement_spec(movement)
    frames = [tpl.keyframes[k] for k in spec.keyframes]
    assert frames == sorted(frames) and frames[0] >= 0 and frames[-1] < tpl.n_frames
    assert np.asarray(tpl.envelope_mean).shape == (tpl.n_frames, len(tpl.channels))
    assert all(len(e.sha256) == 64 for e in tpl.provenance.experts)
    assert tpl.provenance.command and tpl.provenance.command.startswith("sportsgpt template")
    assert tpl.match_threshold >= 2.0
    path = packaged_template_path(movement)
    assert (path.parent.name, path.name) == (movement, "template.json")


def test_leave_one_out_keyframes_match_the_events(loo_cmj: Template,
                                                  jump_1602: MotionSequence) -> None:
    al = align(jump_1602, loo_cmj)
    assert al.found and len(al.spans) == 1
    (ref,) = jump_events(motion_channels(jump_1602))
    got = {k.name: k.frame for k in al.spans[0].keyframes}
    for name in ("countermovement_bottom", "takeoff", "apex", "landing"):
        assert abs(got[name] - ref.frames[name]) <= 2, name
    moved = {k.name: k.transferred_frame for k in al.spans[0].keyframes}
    assert all(abs(moved[n] - ref.frames[n]) <= 6 for n in ("takeoff", "landing"))
    phases = {p.name: p for p in al.spans[0].phases}
    assert phases["flight"].duration_s == pytest.approx(
        (got["landing"] - got["takeoff"]) / 120.0)


def test_idle_padding_shifts_keyframes_exactly(loo_cmj: Template,
                                               jump_1602: MotionSequence) -> None:
    pad = 120
    pos = np.concatenate([np.repeat(jump_1602.positions[:1], pad, 0), jump_1602.positions])
    base = align(jump_1602, loo_cmj).spans[0].keyframes
    padded = align(jump_1602.replace(positions=pos), loo_cmj).spans[0].keyframes
    for a, b in zip(base, padded, strict=True):
        if a.name != "movement_onset":
            assert abs(b.frame - (a.frame + pad)) <= 1, a.name


def test_two_jumps_in_one_file_are_both_found(loo_cmj: Template,
                                              jump_1602: MotionSequence) -> None:
    p = jump_1602.positions
    pos = np.concatenate([p, np.repeat(p[-1:], 60, 0), p - p[:1] + p[-1:]])
    al = align(jump_1602.replace(positions=pos), loo_cmj)
    assert len(al.spans) == 2
    takeoffs = [next(k.frame for k in s.keyframes if k.name == "takeoff") for s in al.spans]
    assert takeoffs[1] - takeoffs[0] == pytest.approx(len(p) + 60, abs=2)


def test_lower_frame_rate_reports_frames_of_the_input(loo_cmj: Template,
                                                      jump_1602: MotionSequence) -> None:
    slow = jump_1602.replace(positions=jump_1602.positions[::4], fps=30.0)
    al = align(slow, loo_cmj)
    assert al.fps == 30.0 and len(al.spans) == 1
    full = {k.name: k.frame for k in align(jump_1602, loo_cmj).spans[0].keyframes}
    for k in al.spans[0].keyframes:
        if k.name in ("takeoff", "landing", "apex"):
            assert abs(k.frame * 4 - full[k.name]) <= 6, k.name


def test_a_squat_is_not_a_countermovement_jump(uiprmd_dir: Path) -> None:
    squat = load_ui_prmd("deep_squat", subject=1, episode=1)
    al = align(squat, load_template("countermovement_jump"))
    assert not al.found
    assert al.message.startswith("no countermovement jump found")


def test_squat_template_finds_a_squat(uiprmd_dir: Path) -> None:
    squat = load_ui_prmd("deep_squat", subject=2, episode=3)
    al = align(squat, load_template("deep_squat"))
    assert len(al.spans) == 1
    names = [k.name for k in al.spans[0].keyframes]
    assert names == ["descent_start", "bottom", "ascent_end"]


def test_angles_only_file_with_five_squats(opencap_dir: Path) -> None:
    from sportsgpt.tools.io import read_motion

    mot = read_motion(opencap_dir / "squats1_videoAndMocap.mot")
    al = align(mot, load_template("deep_squat"))
    assert len(al.spans) == 5
    assert "trunk_inclination" in al.channels  # derived from pelvis_tilt + lumbar_extension


def test_too_short_clip_is_a_typed_error(loo_cmj: Template,
                                         jump_1602: MotionSequence) -> None:
    with pytest.raises(SportsGPTError):
        align(jump_1602.slice_frames(0, 20), loo_cmj)


def test_resample_channels_keeps_gaps(jump_1602: MotionSequence) -> None:
    kin = motion_channels(jump_1602)
    vals = kin.values.copy()
    vals[50:60, 0] = np.nan
    out = resample_channels(kin.model_copy(update={"values": vals}), 60.0)
    assert out.fps == 60.0 and np.isnan(out.values[26:29, 0]).all()
    assert np.isfinite(out.values[:20, 0]).all()


def test_missing_channels_are_reported(loo_cmj: Template, jump_1602: MotionSequence) -> None:
    kin = motion_channels(jump_1602.select(["pelvis", "head"]))
    with pytest.raises(MotionDataError, match="needs 3 channels"):
        align_channels(kin, loo_cmj)


def test_cli_align_json_and_template_build(cmu_dir: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmj.json"
    assert main(["template", "build", "--movement", "countermovement_jump",
                 str(cmu_dir / "16_01.amc"), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["align", str(cmu_dir / "16_02.amc"), "--movement", "countermovement_jump",
                 "--template", str(out), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["found"] and data["movement"] == "countermovement_jump"
    kf = data["spans"][0]["keyframes"]
    assert [k["name"] for k in kf] == list(movement_spec("countermovement_jump").keyframes)
    assert all({"name", "frame", "time_s"} <= set(k) for k in kf)
    assert {p["name"] for p in data["spans"][0]["phases"]} == {
        "unweighting_and_braking", "propulsion", "flight", "landing"}


# --- every shared jump and squat (issue 3, "Done when") -------------------------------------
_SQUAT_MISSED = {(1, 10)}
"""UI-PRMD incorrect s01 e10: knee flexion only about 50 deg; its stage-1 cost (6.6)
is above the cheapest lunge's, so no threshold takes it without taking lunges
(graph_kb/movements/CALIBRATION.md)."""


def _in_order(al: Alignment) -> bool:
    for span in al.spans:
        frames = [k.frame for k in span.keyframes]
        if frames != sorted(frames) or not 0 <= frames[0] <= frames[-1] < al.n_frames:
            return False
    return True


def _cmu_movement(trial: str) -> str:
    return ("countermovement_jump" if trial in ("16_01", "16_02", "16_03", "16_04")
            else "standing_long_jump")


@pytest.mark.slow
@pytest.mark.parametrize("trial", list_cmu_trials() if _has_cmu() else [], ids=str)
def test_every_cmu_jump_is_found_once(trial: str) -> None:
    al = align(load_cmu_trial(trial), load_template(_cmu_movement(trial)))
    assert len(al.spans) == 1, al.message
    assert _in_order(al)
    (ref,) = jump_events(motion_channels(load_cmu_trial(trial)))
    kf = {k.name: k.frame for k in al.spans[0].keyframes}
    assert abs(kf["takeoff"] - ref.frames["takeoff"]) <= 2


@pytest.mark.slow
@pytest.mark.parametrize("correct", [True, False], ids=["correct", "incorrect"])
@pytest.mark.parametrize("subject", [1, 2, 3, 4, 5], ids=lambda s: f"s{s:02d}")
def test_every_ui_prmd_squat_is_found(uiprmd_dir: Path, subject: int, correct: bool) -> None:
    tpl = load_template("deep_squat")
    for episode in range(1, 11):
        motion = load_ui_prmd("deep_squat", subject=subject, episode=episode, correct=correct)
        al = align(motion, tpl)
        expected = 0 if not correct and (subject, episode) in _SQUAT_MISSED else 1
        assert len(al.spans) == expected, (episode, al.message)
        assert _in_order(al)
        if expected:
            kin = motion_channels(motion)
            knee = np.nanmean([kin.channel("knee_flexion_left"),
                               kin.channel("knee_flexion_right")], axis=0)
            bottom = next(k.frame for k in al.spans[0].keyframes if k.name == "bottom")
            # the bottom is as deep as the squat gets (shallow squats and holds too)
            assert knee[bottom] >= np.nanmax(knee) - 5.0, episode


def test_opencap_jump_is_found(opencap_dir: Path) -> None:
    from sportsgpt.tools.io import read_motion

    mot = read_motion(opencap_dir / "jump2.mot")
    al = align(mot, load_template("countermovement_jump"))
    assert len(al.spans) == 1, al.message
    assert _in_order(al)
    kf = {k.name: k.frame for k in al.spans[0].keyframes}
    h = mot.channel("pelvis_height")
    apex = int(np.argmax(h))
    assert abs(kf["apex"] - apex) <= 0.1 * mot.fps  # the flight's highest pelvis frame
    assert kf["takeoff"] < apex < kf["landing"]
    # a .mot has no feet: flight comes from pelvis free fall, and every jump keyframe is
    # placed by its event, the same frames as the rule-based events on those contacts
    assert all(k.method == "refined" for k in al.spans[0].keyframes)
    contacts = free_fall_contacts(motion_channels(mot))
    assert contacts is not None
    assert kf == jump_events(contacts)[0].frames
    landing = next(p for p in al.spans[0].phases if p.name == "landing")
    assert landing.duration_s > 0.2
    # the refined landing bottom (frame 915) lies past stage 1's match end (868): the span
    # is widened to it, the event-placed keyframe is not clipped
    span = al.spans[0]
    assert all(span.start_frame <= k.frame <= span.end_frame for k in span.keyframes)
    assert span.end_frame == kf["landing_bottom"]


def test_span_refuses_keyframes_outside_it() -> None:
    from sportsgpt.tools.motiondtw.align import Keyframe, Span

    kf = Keyframe(name="landing_bottom", frame=915, time_s=3.8, method="refined",
                  transferred_frame=860, rule="pelvis minimum")
    with pytest.raises(ValueError, match=r"landing_bottom \(frame 915\) outside the span"):
        Span(start_frame=500, end_frame=868, normalized_cost=0.1, match_quality=0.5,
             keyframes=[kf], phases=[])


def test_two_copies_of_a_high_jump_are_both_found(cmu_dir: Path) -> None:
    m = load_cmu_trial("16_03")
    p = m.positions
    shift = p[-1:] - p[:1]
    shift[..., 1] = 0.0
    second = p + shift
    w = np.linspace(0.0, 1.0, 62)[1:-1, None, None]
    pos = np.concatenate([p, (1 - w) * p[-1:] + w * second[:1], second])
    al = align(m.replace(positions=pos), load_template("countermovement_jump"))
    assert len(al.spans) == 2, al.message
    assert _in_order(al)


@pytest.mark.slow
@pytest.mark.parametrize("correct", [True, False], ids=["correct", "incorrect"])
def test_lunges_are_not_deep_squats(uiprmd_dir: Path, correct: bool) -> None:
    tpl = load_template("deep_squat")
    found = []
    for subject in (1, 2, 4, 5):  # subject 3 has no lunges in the source
        for episode in range(1, 11):
            lunge = load_ui_prmd("inline_lunge", subject=subject, episode=episode,
                                 correct=correct)
            if align(lunge, tpl).found:
                found.append((subject, episode))
    assert found == []


@pytest.mark.parametrize("trial", ["16_01", "16_05", "118_10"], ids=str)
def test_jumps_are_not_deep_squats(trial: str) -> None:
    assert not align(load_cmu_trial(trial), load_template("deep_squat")).found


@pytest.mark.parametrize("movement", ["countermovement_jump", "standing_long_jump"])
@pytest.mark.parametrize(("subject", "episode", "correct"),
                         [(2, 3, True), (3, 9, False), (1, 10, False)],
                         ids=["s02e03", "s03e09-inc", "s01e10-inc"])
def test_squats_are_not_jumps(uiprmd_dir: Path, movement: str, subject: int, episode: int,
                              correct: bool) -> None:
    squat = load_ui_prmd("deep_squat", subject=subject, episode=episode, correct=correct)
    assert not align(squat, load_template(movement)).found


@pytest.mark.parametrize("movement", movement_ids())
def test_standing_still_matches_nothing(movement: str, jump_1602: MotionSequence,
                                        rng: np.random.Generator) -> None:
    still = np.repeat(jump_1602.positions[:1], 480, 0)
    still = still + rng.normal(0.0, 0.002, still.shape)
    assert not align(jump_1602.replace(positions=still), load_template(movement)).found


def test_opencap_hip_and_trunk_follow_the_project_conventions(opencap_dir: Path) -> None:
    from sportsgpt.tools.io import read_motion

    mot = read_motion(opencap_dir / "squats1_videoAndMocap.mot")
    assert isinstance(mot, AngleSequence)
    lumbar = mot.channel("lumbar_extension")
    np.testing.assert_allclose(mot.channel("hip_flexion_right"),
                               mot.channel("hip_flexion_r") - lumbar)
    np.testing.assert_allclose(mot.channel("trunk_inclination"),
                               -(mot.channel("pelvis_tilt") + lumbar))
