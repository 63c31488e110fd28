"""The one entry point the CLI, the web app and the evals go through."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from sportsgpt.graph_kb.catalog import MovementCatalog
from sportsgpt.tools.io import Motion, detect_format, read_motion
from sportsgpt.tools.kismam.assess import Prepared, assess, choose_movement, prepare
from sportsgpt.tools.kismam.baseline import baseline_catalog, baseline_values
from sportsgpt.tools.kismam.models import AssessmentReport
from sportsgpt.tools.kismam.render import render_html, render_json, render_markdown
from sportsgpt.tools.motion import AngleSequence, MotionSequence
from sportsgpt.tools.motiondtw.align import DEFAULT_THRESHOLD, Alignment, align
from sportsgpt.tools.motiondtw.templates import Template, build_template, load_template
from sportsgpt.tools.preprocess import QualityReport, quality_summary


class ChannelQuality(BaseModel):
    """Quality of an angles-only recording: how much of each channel is missing."""

    n_frames: int
    fps: float
    duration_s: float
    missing_pct: float
    missing_pct_by_channel: dict[str, float]


class InspectionReport(BaseModel):
    """What ``sportsgpt inspect`` prints about one recording."""

    path: str
    format: str
    kind: str
    fps: float
    n_frames: int
    duration_s: float
    dim: int | None
    units: str
    up_axis: str
    facing: str | None
    view: str | None
    joints: list[str]
    channels: list[str]
    original_units: str | None
    notes: list[str]
    quality: QualityReport | ChannelQuality


def _channel_quality(seq: AngleSequence) -> ChannelQuality:
    nan = np.isnan(seq.values)
    by = {c: round(100.0 * float(nan[:, i].mean()), 3) for i, c in enumerate(seq.channels)}
    total = 100.0 * float(nan.mean()) if nan.size else 0.0
    return ChannelQuality(n_frames=seq.n_frames, fps=seq.fps, duration_s=seq.duration_s,
                          missing_pct=round(total, 3), missing_pct_by_channel=by)


def inspect_file(path: str | Path, format: str | None = None, **options: Any) -> InspectionReport:
    """Read a recording and summarise it (format, timing, joints, units, quality)."""
    path = Path(path)
    fmt = format or detect_format(path).name
    motion = read_motion(path, format=fmt, **options)
    common: dict[str, Any] = {"path": str(path), "format": fmt, "fps": motion.fps,
                              "n_frames": motion.n_frames, "duration_s": motion.duration_s,
                              "original_units": motion.source.original_units,
                              "notes": list(motion.source.notes), "up_axis": "y"}
    if isinstance(motion, MotionSequence):
        return InspectionReport(
            **common, kind="positions", dim=motion.dim, units=motion.units,
            facing=motion.facing, view=motion.view, joints=list(motion.joints), channels=[],
            quality=quality_summary(motion))
    units = sorted(set(motion.units))
    return InspectionReport(
        **common, kind="angles", dim=None, units=",".join(units), facing=None, view=None,
        joints=[], channels=list(motion.channels), quality=_channel_quality(motion))


def load_motion(path: str | Path, format: str | None = None, **options: Any) -> Motion:
    """Read any supported recording (see :func:`sportsgpt.tools.io.read_motion`)."""
    return read_motion(path, format=format, **options)


def get_template(movement: str, template_path: str | Path | None = None) -> Template:
    """A template from a file, or the one shipped for the movement."""
    return Template.load(template_path) if template_path else load_template(movement)


def align_file(path: str | Path, movement: str, *, template_path: str | Path | None = None,
               threshold: float | None = DEFAULT_THRESHOLD, refine: bool = True,
               format: str | None = None, **options: Any) -> Alignment:
    """MotionDTW on one recording: every occurrence of the movement, with keyframes."""
    template = get_template(movement, template_path)
    return align(load_motion(path, format=format, **options), template,
                 threshold=threshold, refine=refine)


def build_template_from_files(paths: list[str | Path], movement: str, *, version: str = "1",
                              command: str | None = None, format: str | None = None,
                              **options: Any) -> Template:
    """Build an expert template from recordings (keyframes by the event rules)."""
    motions = [load_motion(p, format=format, **options) for p in paths]
    return build_template(motions, movement, version=version, command=command)


class Analysis(BaseModel):
    """Everything ``sportsgpt analyze`` produced for one file."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    reports: list[AssessmentReport]
    prepared: Prepared
    template: Template


def baseline_for(movement: str, paths: Sequence[str | Path], format: str | None = None,
                 **options: Any) -> tuple[MovementCatalog, str]:
    """The movement's catalog with template targets from the athlete's own recordings.

    Returns the catalog and the note the reports carry about it.
    """
    motions = {}
    for i, p in enumerate(paths, 1):
        name = Path(p).name
        motions[name if name not in motions else f"{name} (#{i})"] = load_motion(
            p, format=format, **options)
    catalog, kept = baseline_catalog(movement, baseline_values(movement, motions))
    note = (f"template targets from the athlete's own baseline ({len(motions)} recording"
            f"{'s' if len(motions) != 1 else ''}: {', '.join(motions)}); literature targets "
            "unchanged")
    if kept:
        note += f"; shipped targets kept for {', '.join(kept)} (not measurable on the baseline)"
    return catalog, note


def analyze_file(path: str | Path, movement: str = "auto", *,
                 template_path: str | Path | None = None, arm_swing: bool | None = None,
                 fallback_events: bool | None = None, format: str | None = None,
                 baseline: Sequence[str | Path] = (), **options: Any) -> Analysis:
    """KISMAM on one recording: one assessment per repetition found.

    ``fallback_events=None`` (default) takes keyframes from the event rules when MotionDTW
    finds no match only if ``movement`` was named: the caller vouches for the movement,
    and an execution far from the template (a squat to 50°) is exactly what needs
    assessing. With ``auto`` a recording no template matches is not assessed as
    anything (``MovementNotFoundError``). ``baseline``: recordings of the same athlete whose
    spread replaces the experts' in every template target (:func:`baseline_for`).
    """
    motion = load_motion(path, format=format, **options)
    prep = prepare(motion)
    if fallback_events is None:
        fallback_events = movement != "auto"
    if movement == "auto":
        movement, confidence, _ = choose_movement(prep)
    else:
        confidence = None
    template = get_template(movement, template_path)
    catalog, note = baseline_for(movement, baseline, format, **options) if baseline \
        else (None, None)
    reports = assess(motion, movement, template=template, arm_swing=arm_swing,
                     fallback_events=fallback_events, catalog=catalog)
    if note is not None:
        reports = [r.model_copy(update={
            "notes": [*r.notes, note],
            "quality": r.quality.model_copy(update={"notes": [*r.quality.notes, note]})})
            for r in reports]
    if confidence is not None:
        reports = [r.model_copy(update={"movement_confidence": confidence}) for r in reports]
    return Analysis(reports=reports, prepared=prep, template=template)


def render_analysis(analysis: Analysis, fmt: str, *, plots_dir: Path | None = None) -> str:
    """The analysis as ``json``, ``md`` or ``html`` text."""
    if fmt == "json":
        return render_json(analysis.reports)
    kin, motion = analysis.prepared.kin, analysis.prepared.motion
    if fmt == "md":
        return render_markdown(analysis.reports, plots_dir=plots_dir, kinematics=kin,
                               template=analysis.template, motion=motion)
    if fmt == "html":
        return render_html(analysis.reports, kinematics=kin, template=analysis.template,
                           motion=motion)
    raise ValueError(f"unknown report format {fmt!r}")
