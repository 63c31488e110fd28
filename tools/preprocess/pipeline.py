"""The pipeline: :class:`PreprocessConfig`, the table of switchable steps, :func:`preprocess`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sportsgpt.core.errors import PreprocessingError
from sportsgpt.tools.motion import MAX_FPS, MotionSequence
from sportsgpt.tools.preprocess.common import StepReport, not_applied, tracked_mask
from sportsgpt.tools.preprocess.filtering import lowpass_filter
from sportsgpt.tools.preprocess.gaps import fill_gaps
from sportsgpt.tools.preprocess.normalise import normalise_facing, normalise_ground, scale_body
from sportsgpt.tools.preprocess.quality import QualityReport, quality_summary
from sportsgpt.tools.preprocess.resampling import resample
from sportsgpt.tools.preprocess.swaps import repair_left_right_swaps

MARKERLESS_FORMATS = frozenset({"mediapipe", "openpose", "mmpose", "video"})
"""Source formats whose labels may swap left/right between frames."""


class PreprocessConfig(BaseModel):
    """Which preprocessing steps run, and with what settings.

    Invalid values raise :class:`~sportsgpt.core.errors.PreprocessingError`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    fill_gaps: bool = True
    max_gap_s: float = Field(0.1, ge=0.0, description="longer gaps are flagged and left NaN")
    lowpass: bool = True
    cutoff_hz: float | None = Field(None, gt=0.0, description="None: residual analysis")
    filter_order: int = Field(4, ge=1, le=8, description="Butterworth order per pass")
    resample_fps: float | None = Field(None, gt=0.0, le=MAX_FPS)
    normalise_ground: bool = True
    ground_percentile: float = Field(5.0, ge=0.0, le=50.0)
    normalise_facing: bool = True
    scale_body: bool = False
    reference_leg_length_m: float = Field(0.9, gt=0.0)
    repair_swaps: bool | None = Field(None, description="None: only for markerless sources")
    min_frames: int = Field(10, ge=2)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            msg = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"
                            for e in exc.errors())
            raise PreprocessingError(f"invalid preprocessing option: {msg}") from None


class PreprocessReport(BaseModel):
    """Every step's report and the input's quality summary."""

    steps: list[StepReport]
    quality: QualityReport
    config: PreprocessConfig


def _markerless(motion: MotionSequence) -> bool:
    return (motion.dim == 2 or motion.confidence is not None
            or motion.source.format in MARKERLESS_FORMATS)


def preprocess(motion: MotionSequence,
               config: PreprocessConfig | None = None) -> tuple[MotionSequence, PreprocessReport]:
    """Run the configured steps in order; never mutates ``motion``.

    Raises:
        PreprocessingError: fewer than ``config.min_frames`` frames, no tracked
            sample at all, or a step that cannot run with the given settings.
    """
    cfg = config or PreprocessConfig()
    if motion.n_frames < cfg.min_frames:
        raise PreprocessingError(f"the motion has {motion.n_frames} frames; preprocessing "
                                 f"needs at least {cfg.min_frames}")
    if not tracked_mask(motion.positions).any():
        raise PreprocessingError("the motion has no tracked sample (all positions are NaN)")
    steps: list[StepReport] = []
    m = motion
    do_swaps = _markerless(motion) if cfg.repair_swaps is None else cfg.repair_swaps
    swaps = 0
    if do_swaps:
        m, rep = repair_left_right_swaps(m)
        swaps = int(rep.details["swaps_repaired"])
    else:
        why = "switched off" if cfg.repair_swaps is False else "not a markerless source"
        rep = not_applied("repair_left_right_swaps", why)
    steps.append(rep)
    switchable: list[tuple[str, bool, Callable[[MotionSequence], tuple[MotionSequence,
                                                                         StepReport]]]] = [
        ("fill_gaps", cfg.fill_gaps, lambda x: fill_gaps(x, cfg.max_gap_s)),
        ("lowpass_filter", cfg.lowpass,
         lambda x: lowpass_filter(x, cfg.cutoff_hz, cfg.filter_order,
                                  target_fps=cfg.resample_fps)),
        ("resample", cfg.resample_fps is not None,
         lambda x: resample(x, cfg.resample_fps or x.fps)),
        ("normalise_ground", cfg.normalise_ground,
         lambda x: normalise_ground(x, cfg.ground_percentile)),
        ("normalise_facing", cfg.normalise_facing, normalise_facing),
        ("scale_body", cfg.scale_body, lambda x: scale_body(x, cfg.reference_leg_length_m)),
    ]
    for name, enabled, step in switchable:
        if enabled:
            m, rep = step(m)
        else:
            rep = not_applied(name, "switched off")
        steps.append(rep)
    quality = quality_summary(motion, swaps_repaired=swaps, max_gap_s=cfg.max_gap_s)
    return m, PreprocessReport(steps=steps, quality=quality, config=cfg)
