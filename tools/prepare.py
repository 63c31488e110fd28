"""Prepare once: read motion -> preprocessing -> kinematics -> channels, in one stage.

:func:`prepare` is the single place a recording is cleaned and turned into the angles and
signals every later stage uses: MotionDTW alignment, the movement chooser and KISMAM's
metrics all take the :class:`Prepared` result, so one analysis preprocesses a recording
exactly once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sportsgpt.tools.events import FREE_FALL_TOLERANCE, free_fall_contacts
from sportsgpt.tools.kinematics import compute_kinematics
from sportsgpt.tools.motion import AngleSequence, MotionSequence
from sportsgpt.tools.motiondtw.features import motion_channels
from sportsgpt.tools.preprocess import leg_length, preprocess


@dataclass
class Prepared:
    """A recording turned into what the metrics need.

    ``kin`` feeds the metrics; ``kin_events`` (the same channels, plus foot contact
    derived from free fall when the input has none) feeds MotionDTW and the event rules.
    """

    kin: AngleSequence
    kin_events: AngleSequence
    motion: MotionSequence | None
    view: str
    dim: int | None
    missing_pct: float
    notes: list[str] = field(default_factory=list)
    angle_noise_deg: float | None = None
    source: str | None = None
    """Path of the file the recording was read from, when known."""


def prepare(motion: MotionSequence | AngleSequence) -> Prepared:
    """Channels (with ``pelvis_rel_height``), preprocessed positions and data quality."""
    if isinstance(motion, AngleSequence):
        vals = motion.values
        missing = 100.0 * float(np.isnan(vals).mean()) if vals.size else 0.0
        kin = motion if motion.has("pelvis_rel_height") else motion_channels(motion)
        notes = ["angles-only input (no joint positions)"]
        events = free_fall_contacts(kin)
        if events is not None:
            notes.append("no foot contact in the input: flight taken from pelvis free fall "
                         f"(|a + g| < {FREE_FALL_TOLERANCE:g} m/s²) for keyframes only")
        return Prepared(kin=kin, kin_events=events if events is not None else kin,
                        motion=None, view="angles", dim=None, missing_pct=missing,
                        notes=notes, source=motion.source.path)
    clean, report = preprocess(motion)
    kin = motion_channels(compute_kinematics(clean))
    view = "3d" if motion.dim == 3 else motion.view
    q = report.quality
    jit = q.jitter_mm / 1000.0 if q.jitter_mm is not None and motion.units == "m" \
        else q.jitter_px
    cutoff = next((float(s.details["cutoff_hz"]) for s in report.steps
                   if s.name == "lowpass_filter" and s.applied and "cutoff_hz" in s.details),
                  None)
    noise = angle_noise_deg(jit, leg_length(motion), motion.fps, cutoff)
    return Prepared(kin=kin, kin_events=kin, motion=clean, view=view, dim=motion.dim,
                    missing_pct=float(q.missing_pct), notes=list(q.warnings),
                    angle_noise_deg=noise, source=motion.source.path)


def angle_noise_deg(jitter: float | None, leg: float | None, fps: float,
                    cutoff_hz: float | None) -> float | None:
    """Joint-angle noise (deg) that position jitter leaves after the low-pass.

    ``jitter`` (the quality report's white-noise SD, in the data's units) keeps the share
    ``sqrt(cutoff / (fps / 2))`` of its SD below the low-pass cutoff; an angle between two
    points half a leg length apart, each that noisy, varies by about
    ``sqrt(2) · noise / (leg / 2)`` radians. ``None`` when the jitter or the leg length is
    unknown (then the confidence has no noise factor).
    """
    if jitter is None or not leg or leg <= 0 or not math.isfinite(jitter):
        return None
    band = 1.0 if cutoff_hz is None else min(1.0, math.sqrt(cutoff_hz / (fps / 2.0)))
    return math.degrees(math.sqrt(2.0) * jitter * band / (leg / 2.0))
