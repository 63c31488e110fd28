"""Per-frame MotionDTW features and the movements they describe.

For a movement with channels ``θ_1 .. θ_C`` (joint angles plus a relative
pelvis height), the feature of frame ``t`` is::

    F_t = [θ_t, α·θ'_t, β·θ''_t]          (3C values)

with derivatives per second (Savitzky–Golay,
:func:`~sportsgpt.tools.derivatives.savgol_derivative`).
Each of the 3C columns is then z-normalised with the *template's* mean and
standard deviation, so a degree of knee flexion and a metre of pelvis height
weigh the same, and every column is multiplied (inside the DTW cost) by the
weight of its channel. ``α`` and ``β`` scale the derivative columns after
normalisation, and the two stages use different values:

* stage 2 (fine alignment, keyframe timing) and template building (DBA):
  ``α = 2``, ``β = 0.5``. Chosen on leave-one-out keyframe errors of 14 of the
  29 CMU jumps among (α, β) ∈ {(0.5, 0.25), (1, 0.5), (1.5, 0.5), (1, 1),
  (2, 0.5), (3, 0.5), (2, 0.25), (2, 1)}: velocity carries the timing of the
  countermovement bottom and the apex better than the flat angle curves (mean
  bottom error 6.8 frames at (0.5, 0.25), 3.8 at (2, 0.5));
  ``benchmarks/results/keyframes.md`` says so next to its numbers.
* stage 1 (is this the movement, and where): ``α = 0.5``, ``β = 0.25``. With
  heavy derivative weights, jumps, squats and lunges look alike (their
  velocities are of similar size); the angle shapes tell them apart (on the
  shared data, squats cost 14-18 against the squat template and jumps 28+ with
  (2, 0.5), against 1-3 and 6+ with (0.5, 0.25)).

The relative pelvis height ``pelvis_rel_height`` is
``(h - h_still) / h_still`` with ``h_still`` the standing pelvis height: the
median over the still frames (``|v| < 0.1 m/s``) that lie within
:data:`STANDING_BAND` (20 %) below the highest still level (their 95th
percentile), so a long hold at the bottom of a squat (UI-PRMD incorrect
s03 e09 holds it for 1.5 s) is not taken for standing. It compares athletes of
different sizes.

Stage 1 (finding) has its own weights (``find_weights``): for jumps the
knees, ankles and pelvis (hips half; trunk and arms not at all: OpenCap
``jump2`` leans its trunk to 70 deg and swings its arms overhead, CMU subject
16 does neither, and both are jumps); for the deep squat the trunk is left
out (UI-PRMD's incorrect squats lean forward, and a coach wants them found).
Stage 1 also searches over ``amplitude_scales``: jumps from 0.64 to 2 times the
experts' countermovement and rise (CMU SOURCE.md: dips of 0.09-0.38 m), squats
from 0.4 to 1 times the experts' depth (shallow attempts; the experts are
already near full depth). ``match_threshold`` is calibrated by
:mod:`sportsgpt.tools.motiondtw.calibrate` (``graph_kb/movements/CALIBRATION.md``).

All of these numbers are data: each movement's ``movement.json`` in
``graph_kb/movements/<id>/`` (:class:`~sportsgpt.graph_kb.movements.MovementSpec`).
Weights say what matters for each movement: for jumps
the knees, hips and the pelvis carry the timing; ankles and trunk count half;
the arms a quarter, because arm swing varies between good jumpers
(``shared/data/cmu-mocap-jumps`` has experts with and without it).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import numpy as np

from sportsgpt.core.errors import MissingJointError, MotionDataError
from sportsgpt.graph_kb.movements import MovementSpec, movement_ids, movement_spec
from sportsgpt.tools.derivatives import savgol_derivative, savgol_derivative_columns
from sportsgpt.tools.kinematics import compute_kinematics
from sportsgpt.tools.motion import AngleSequence, FloatArray, MotionSequence
from sportsgpt.tools.preprocess import PreprocessConfig, preprocess

STILL_SPEED_MPS: Final = 0.1
"""Pelvis vertical speed below which a frame counts as still (for h_still)."""
STANDING_BAND: Final = 0.2
"""Still frames within this fraction below the highest still level (95th
percentile of the still heights) count as standing; a long hold at the bottom of
a squat is still too, but 30-55 % lower, and must not become the reference. 20 %
keeps every near-standing still frame of the CMU jumps (a 5 % band moved the
keyframe benchmark's countermovement bottoms of 118_02/118_05 by 12-17 frames)."""


MOVEMENTS: Final[Mapping[str, MovementSpec]] = MappingProxyType(
    {m: movement_spec(m) for m in movement_ids()})
"""Read-only view of the registry's specs by id (derived from
``graph_kb/movements/*/movement.json``; new code calls
:func:`~sportsgpt.graph_kb.movements.movement_ids` and
:func:`~sportsgpt.graph_kb.movements.movement_spec`)."""


def _relative_pelvis_height(kin: AngleSequence) -> FloatArray | None:
    if not kin.has("pelvis_height"):
        return None
    h = kin.channel("pelvis_height")
    v = (kin.channel("pelvis_velocity_y") if kin.has("pelvis_velocity_y")
         else savgol_derivative(h, kin.fps, 1))
    still = np.isfinite(h) & np.isfinite(v) & (np.abs(v) < STILL_SPEED_MPS)
    ref = h[still] if still.any() else h[np.isfinite(h)]
    if ref.size == 0:
        return None
    top = float(np.percentile(ref, 95))
    h_still = float(np.median(ref[ref >= top * (1.0 - STANDING_BAND)]))
    if h_still <= 0:
        return None
    return np.asarray((h - h_still) / h_still, dtype=np.float64)


def motion_channels(motion: MotionSequence | AngleSequence,
                    config: PreprocessConfig | None = None) -> AngleSequence:
    """Angles and signals for MotionDTW, plus ``pelvis_rel_height``.

    A :class:`MotionSequence` is preprocessed (gap filling, zero-lag low-pass,
    ground and facing normalisation) and its kinematics computed; an
    :class:`AngleSequence` (e.g. an OpenSim ``.mot``) is used as it is, with
    ``pelvis_velocity_y`` derived from ``pelvis_height`` when it lacks one.
    """
    if isinstance(motion, MotionSequence):
        clean, _ = preprocess(motion, config)
        kin = compute_kinematics(clean)
    else:
        kin = motion
    if kin.has("pelvis_rel_height"):
        return kin
    if kin.has("pelvis_height") and not kin.has("pelvis_velocity_y"):
        v = savgol_derivative(kin.channel("pelvis_height"), kin.fps, 1)
        kin = kin.model_copy(update={"values": np.column_stack([kin.values, v]),
                                     "channels": (*kin.channels, "pelvis_velocity_y"),
                                     "units": (*kin.units, "m/s")})
    rel = _relative_pelvis_height(kin)
    if rel is None:
        return kin
    return kin.model_copy(update={
        "values": np.column_stack([kin.values, rel]),
        "channels": (*kin.channels, "pelvis_rel_height"),
        "units": (*kin.units, "1")})


def _fill(x: FloatArray) -> FloatArray:
    """Linear interpolation over NaN (edges held); all-NaN stays all-NaN."""
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return x
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])


def channel_matrix(kin: AngleSequence, channels: tuple[str, ...]) -> FloatArray:
    """Values of the named channels as a gap-filled ``(T, C)`` array."""
    missing = [c for c in channels if not kin.has(c)]
    if missing:
        raise MissingJointError(missing, kin.channels, "MotionDTW features")
    cols = [_fill(kin.channel(c)) for c in channels]
    out = np.column_stack(cols) if cols else np.zeros((kin.n_frames, 0))
    bad = [c for c, col in zip(channels, cols, strict=True) if not np.isfinite(col).all()]
    if bad:
        raise MotionDataError(f"channel(s) {bad} have no usable samples")
    return np.ascontiguousarray(out, dtype=np.float64)


def usable_channels(kin: AngleSequence, spec: MovementSpec,
                    wanted: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The movement's weighted channels this recording has (at least ``min_channels``)."""
    names = wanted if wanted is not None else tuple(spec.weights)
    have = tuple(c for c in names if kin.has(c) and np.isfinite(kin.channel(c)).any())
    if len(have) < spec.min_channels:
        raise MissingJointError([c for c in names if c not in have], kin.channels,
                                f"aligning a {spec.label} (needs {spec.min_channels} channels)")
    return have


def raw_features(values: FloatArray, fps: float) -> FloatArray:
    """``[θ, θ', θ'']`` per frame, ``(T, 3C)``; α and β apply after normalisation."""
    d1 = savgol_derivative_columns(values, fps, 1)
    d2 = savgol_derivative_columns(values, fps, 2)
    return np.ascontiguousarray(np.column_stack([values, d1, d2]))


STD_FLOOR: Final[dict[str, tuple[float, float, float]]] = {
    "deg": (10.0, 100.0, 1000.0),
    "1": (0.05, 0.5, 5.0),
}
"""Smallest standard deviation used to z-normalise a channel and its two
derivatives (per second, per second squared), by unit: a joint that barely
moves in the experts (arms held still in a jump) must not turn an athlete's
ordinary arm swing into a huge z-score."""


def std_floor(channels: tuple[str, ...]) -> FloatArray:
    """Per feature column (3C) the floor of its normalising standard deviation."""
    units = ["1" if c == "pelvis_rel_height" else "deg" for c in channels]
    return np.array([STD_FLOOR[u][block] for block in range(3) for u in units])


def feature_stats(features: list[FloatArray],
                  channels: tuple[str, ...]) -> tuple[FloatArray, FloatArray]:
    """Per-column mean and (floored) standard deviation over feature sequences."""
    stacked = np.concatenate(features, axis=0)
    mean = stacked.mean(axis=0)
    std = np.maximum(stacked.std(axis=0), std_floor(channels))
    return mean, std


def normalise_features(raw: FloatArray, mean: FloatArray, std: FloatArray,
                       alpha: float, beta: float) -> FloatArray:
    """Z-normalise with template statistics and scale the derivative blocks."""
    c = raw.shape[1] // 3
    scale = np.concatenate([np.ones(c), np.full(c, alpha), np.full(c, beta)])
    return np.ascontiguousarray((raw - mean) / std * scale)


def column_weights(spec: MovementSpec, channels: tuple[str, ...],
                   stage: int = 2) -> FloatArray:
    """DTW weights of the 3C feature columns (channel weight repeated per block).

    ``stage=1`` gives the finding weights (:meth:`MovementSpec.stage1_weights`).
    """
    table = spec.stage1_weights() if stage == 1 else spec.weights
    w = np.array([table.get(c, 1.0) for c in channels], dtype=np.float64)
    return np.ascontiguousarray(np.tile(w, 3))


def scale_amplitude(values: FloatArray, scale: float) -> FloatArray:
    """Channel values with every excursion from the first frame scaled by ``scale``.

    Templates start standing (``CROP_PAD_S`` before the first keyframe), so this
    is the same movement made ``scale`` times as deep or as high.
    """
    return np.ascontiguousarray(values[:1] + scale * (values - values[:1]))
