"""MotionDTW's two stages: find the action, then align finely and place keyframes.

Stage 1 (**find**): subsequence DTW (open begin and end) of the template's
features over the athlete's whole recording gives, for every end frame, the
best-matching span and its cost per template frame. It uses the movement's
*finding* weights (:attr:`MovementSpec.find_weights
<sportsgpt.graph_kb.movements.MovementSpec.find_weights>`: no arms and no
trunk, which vary with technique) and searches over amplitudes
(:func:`~sportsgpt.tools.motiondtw.templates.stage1_profile`: the template
made shallower or deeper, the cost measured in the athlete's own amplitude), so
a shallow squat or a high jump is found and then judged (every second frame
is compared: :data:`~sportsgpt.tools.motiondtw.templates.STAGE1_STEP`). Non-maximum
suppression keeps non-overlapping spans whose normalised cost is at most the
threshold (by default the template's ``match_threshold``, calibrated between
the costs of recordings of the movement and of other movements:
:mod:`~sportsgpt.tools.motiondtw.calibrate`, ``graph_kb/movements/CALIBRATION.md``).
No span under it means an explicit "no <movement> found" result, never a
forced alignment. Match quality is ``1 - cost / threshold`` in [0, 1]: 1 for a
perfect match, 0 at the threshold; ``Span.amplitude`` is the amplitude that
matched.

Stage 2 (**align**): constrained DTW (Sakoe–Chiba band, ``band="slanted"``,
half-width :data:`BAND_FRACTION` of the longer sequence) between the template
and each span; every template keyframe is carried to the athlete's frames as
the mean of the span frames its template frame is aligned to. Then a
knowledge-informed refinement looks, within :data:`REFINE_WINDOW_S` of the
transferred frame, for the event the keyframe stands for (see
:func:`refine_keyframe`): foot contact changes for takeoff and landing, the
pelvis minimum for the countermovement and landing bottoms, the pelvis maximum
for the apex, the pelvis starting or stopping to move for onsets and ends.
Where the signal is missing or the window holds no such event, the transferred
frame is kept; each keyframe says which was used.
"""

from __future__ import annotations

import math
from typing import Final, Literal

import numpy as np
from pydantic import BaseModel, model_validator

from sportsgpt.core.errors import MissingJointError, MotionDataError
from sportsgpt.tools.events import (
    MIN_FLIGHT_S,
    ONSET_SPEED_MPS,
    airborne,
    free_fall_contacts,
    walk_to_still,
)
from sportsgpt.tools.motion import AngleSequence, FloatArray, MotionSequence
from sportsgpt.tools.motiondtw.dtw import SubsequenceProfile, dtw, find_matches
from sportsgpt.tools.motiondtw.features import (
    channel_matrix,
    motion_channels,
    normalise_features,
    raw_features,
)
from sportsgpt.tools.motiondtw.templates import Template, check_movement_data, stage1_profile

DEFAULT_THRESHOLD: Final = None
"""``None``: use the template's own ``match_threshold`` (derived from its experts)."""
NORMALIZATION: Final = "query"
"""Stage-1 cost per template frame (see :func:`~sportsgpt.tools.motiondtw.dtw.subsequence_dtw`)."""
MAX_OVERLAP: Final = 0.25
"""Two occurrences may share up to a quarter of the shorter span (the standing
frames between back-to-back repetitions belong to both)."""
BAND_FRACTION: Final = 0.25
REFINE_WINDOW_S: Final = 0.1
ONSET_WINDOW_S: Final = 0.5
"""Onsets and ends sit in flat, slowly changing stretches where the warping path
is loose, so their search reaches further (but never past the neighbouring
keyframes). So does a squat's ``bottom``: a slow turn, often held (UI-PRMD
incorrect s02 e02: the transferred bottom lay 0.41 s after the pelvis minimum)."""
LANDING_BOTTOM_WINDOW_S: Final = 0.5
"""When the warping path squeezes the landing (a jump whose landing differs from the
template's), ``landing`` falls back to the end of the flight that starts at the refined
takeoff and ``landing_bottom`` to the pelvis minimum within this many seconds after it."""
MAX_MATCHES: Final = 20

Method = Literal["refined", "transferred"]


class Keyframe(BaseModel):
    """A keyframe on the athlete's recording (frame: 0-based index into the input)."""

    name: str
    frame: int
    time_s: float
    method: Method
    transferred_frame: int
    rule: str


class Phase(BaseModel):
    """A phase between two keyframes, frames inclusive of the start."""

    name: str
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    duration_s: float


class Span(BaseModel):
    """One occurrence of the movement and its alignment.

    ``start_frame``..``end_frame`` covers stage 1's match *and* every keyframe: a refined
    keyframe sits on a physical event (the pelvis minimum after landing, the first foot
    contact), while the match's ends are where the subsequence search is loosest, so when
    the two disagree the span is widened to the keyframes rather than the keyframes
    clipped off their events.
    """

    start_frame: int
    end_frame: int
    normalized_cost: float
    match_quality: float
    keyframes: list[Keyframe]
    phases: list[Phase]
    amplitude: float = 1.0
    """The template amplitude (relative to the experts') that matched best in stage 1."""

    @model_validator(mode="after")
    def _keyframes_inside(self) -> Span:
        outside = [f"{k.name} (frame {k.frame})" for k in self.keyframes
                   if not self.start_frame <= k.frame <= self.end_frame]
        if outside:
            raise ValueError(f"keyframe(s) {', '.join(outside)} outside the span "
                             f"{self.start_frame}-{self.end_frame}")
        return self


class Alignment(BaseModel):
    """Everything MotionDTW found in one recording."""

    movement: str
    fps: float
    n_frames: int
    template_version: str
    channels: list[str]
    spans: list[Span]
    message: str

    @property
    def found(self) -> bool:
        """Whether at least one occurrence was found."""
        return bool(self.spans)


def athlete_features(kin: AngleSequence, template: Template, channels: tuple[str, ...],
                     stage: int = 2) -> FloatArray:
    """Normalised features of a recording on a subset of the template's channels."""
    return _normalise(_athlete_raw(kin, template, channels), template, channels, stage)


def _athlete_raw(kin: AngleSequence, template: Template, channels: tuple[str, ...]
                 ) -> FloatArray:
    if abs(kin.fps - template.fps) > 1e-6:
        raise MotionDataError(f"recording at {kin.fps:g} Hz, template at {template.fps:g} Hz: "
                              "resample first (resample_channels)")
    return raw_features(channel_matrix(kin, channels), kin.fps)


def _normalise(raw: FloatArray, template: Template, channels: tuple[str, ...],
               stage: int) -> FloatArray:
    cols = template_columns(template, channels)
    a, b = ((template.find_alpha, template.find_beta) if stage == 1
            else (template.alpha, template.beta))
    return normalise_features(raw, np.asarray(template.feature_mean)[cols],
                              np.asarray(template.feature_std)[cols], a, b)


def template_columns(template: Template, channels: tuple[str, ...]) -> np.ndarray:
    """Indices of the 3C feature columns of ``channels`` in the template's layout."""
    c = len(template.channels)
    idx = [template.channels.index(ch) for ch in channels]
    return np.array([block * c + i for block in range(3) for i in idx], dtype=np.int64)


def resample_channels(kin: AngleSequence, fps: float) -> AngleSequence:
    """Channels linearly resampled to ``fps`` (same start time, NaN kept as NaN)."""
    t_old = np.arange(kin.n_frames) / kin.fps
    t_new = np.arange(int(np.floor(t_old[-1] * fps + 1e-9)) + 1) / fps
    cols = []
    for k in range(kin.values.shape[1]):
        x = kin.values[:, k]
        ok = np.isfinite(x)
        col = np.interp(t_new, t_old[ok], x[ok]) if ok.sum() >= 2 else np.full(len(t_new), np.nan)
        gap = np.interp(t_new, t_old, (~ok).astype(float)) > 0
        cols.append(np.where(gap, np.nan, col))
    return kin.model_copy(update={"values": np.column_stack(cols), "fps": float(fps)})


def _transfer(path: np.ndarray, template_frame: int, offset: int, scale: float) -> int:
    """Athlete frame (at the recording's rate) of a template frame via the path."""
    hits = path[path[:, 0] == template_frame, 1]
    return round((offset + float(hits.mean())) * scale)


def _crossings(x: FloatArray, level: float, lo: int, hi: int, rising: bool) -> list[int]:
    seg = x[lo:hi]
    a, b = seg[:-1], seg[1:]
    ok = np.isfinite(a) & np.isfinite(b)
    hit = ok & ((a < level) & (b >= level) if rising else (a >= level) & (b < level))
    return [lo + 1 + int(i) for i in np.flatnonzero(hit)]


def _airborne(kin: AngleSequence) -> FloatArray | None:
    """Both feet off the ground by the event rules' own definition (None without contact)."""
    if not kin.has("foot_contact_left", "foot_contact_right"):
        return None
    return airborne(kin)


def _refine_still(name: str, frame: int, kin: AngleSequence, lo: int, hi: int
                  ) -> tuple[int, Method, str]:
    """Onset/end rules: from the steepest pelvis descent (ascent), walk to stillness."""
    if not kin.has("pelvis_velocity_y"):
        return frame, "transferred", "no pelvis velocity"
    v = kin.channel("pelvis_velocity_y")
    seg = v[lo:hi]
    if hi - lo < 3 or not np.isfinite(seg).any():
        return frame, "transferred", "no pelvis velocity in the search window"
    ending = name == "ascent_end"
    peak = lo + int(np.nanargmax(seg) if ending else np.nanargmin(seg))
    if abs(v[peak]) < ONSET_SPEED_MPS:
        return frame, "transferred", "the pelvis does not move in the search window"
    still = walk_to_still(v, peak, hi - 1 if ending else lo, +1 if ending else -1)
    edge = hi - 1 if ending else lo
    if still == edge and abs(v[still]) >= ONSET_SPEED_MPS:
        return frame, "transferred", "no still frame in the search window"
    what = "rise slows" if ending else "starts to sink"
    return still, "refined", f"pelvis {what} (|v| < {ONSET_SPEED_MPS} m/s)"


def refine_keyframe(name: str, frame: int, kin: AngleSequence,
                    lo_bound: int, hi_bound: int) -> tuple[int, Method, str]:
    """Refine one transferred keyframe by the event it stands for (or keep it).

    ``lo_bound``/``hi_bound`` (exclusive) keep the search between the
    neighbouring keyframes.
    """
    if name in ("movement_onset", "descent_start", "ascent_end"):
        reach = round(ONSET_WINDOW_S * kin.fps)
        return _refine_still(name, frame, kin, max(lo_bound, frame - reach),
                             min(hi_bound, frame + reach + 1))
    reach_s = ONSET_WINDOW_S if name == "bottom" else REFINE_WINDOW_S
    w = max(1, round(reach_s * kin.fps))
    lo, hi = max(lo_bound, frame - w), min(hi_bound, frame + w + 1)
    if hi - lo < 3:
        return frame, "transferred", "window too small"
    h = kin.channel("pelvis_height") if kin.has("pelvis_height") else None
    cands: list[int] = []
    rule = ""
    if name in ("takeoff", "landing"):
        air = _airborne(kin)
        if air is None:
            return frame, "transferred", "no foot-contact signal"
        min_air = max(1, round(MIN_FLIGHT_S * kin.fps))
        rising = name == "takeoff"
        cands = _crossings(air, 0.5, lo, hi, rising)
        if rising:
            cands = [c for c in cands if np.nansum(air[c:c + min_air]) >= min_air]
        rule = "both feet leave the ground" if rising else "first foot contact after flight"
    elif name in ("countermovement_bottom", "landing_bottom", "bottom", "apex"):
        if h is None:
            return frame, "transferred", "no pelvis height"
        seg = h[lo:hi]
        if not np.isfinite(seg).any():
            return frame, "transferred", "pelvis height missing in window"
        k = int(np.nanargmax(seg) if name == "apex" else np.nanargmin(seg))
        if 0 < k < len(seg) - 1:  # a true extremum, not the window's edge
            cands = [lo + k]
        rule = "pelvis maximum" if name == "apex" else "pelvis minimum"
    else:
        return frame, "transferred", "no rule for this keyframe"
    if not cands:
        return frame, "transferred", f"no '{rule}' event within ±{REFINE_WINDOW_S} s"
    best = min(cands, key=lambda c: abs(c - frame))
    return best, "refined", rule


def _flight_end(kin: AngleSequence, takeoff: int) -> int | None:
    """First frame with a foot on the ground after the flight that starts at ``takeoff``."""
    air = _airborne(kin)
    if air is None or air[takeoff] != 1.0:  # NaN counts as not airborne
        return None
    grounded = np.flatnonzero(air[takeoff:] != 1.0)
    if grounded.size == 0 or grounded[0] < max(1, round(MIN_FLIGHT_S * kin.fps)):
        return None
    return takeoff + int(grounded[0])


def _landing_fallback(name: str, done: dict[str, Keyframe], kin: AngleSequence
                      ) -> tuple[int, Method, str] | None:
    """Physical rules for a landing the windowed refinement could not place (or None)."""
    to, land = done.get("takeoff"), done.get("landing")
    if name == "landing" and to is not None and to.method == "refined":
        end = _flight_end(kin, to.frame)
        if end is not None:
            return end, "refined", "end of the flight that starts at takeoff (first foot contact)"
    if name == "landing_bottom" and land is not None and land.method == "refined" \
            and kin.has("pelvis_height"):
        hi = min(kin.n_frames, land.frame + round(LANDING_BOTTOM_WINDOW_S * kin.fps) + 1)
        seg = kin.channel("pelvis_height")[land.frame:hi]
        if np.isfinite(seg).any():
            k = int(np.nanargmin(seg))
            if 0 < k < len(seg) - 1:
                return land.frame + k, "refined", (
                    f"pelvis minimum within {LANDING_BOTTOM_WINDOW_S} s after landing")
    return None


def place_keyframes(names: list[str], moved: list[int], kin: AngleSequence, start: int,
                    refine: bool = True) -> list[Keyframe]:
    """Keyframes from transferred frames, each refined by its event where the data allow.

    ``moved`` holds the transferred frame of each name (in order); every keyframe is
    kept at or after the previous one (and ``start``). Public so that the keyframe
    benchmark can give a baseline alignment exactly the same refinement.
    """
    out: dict[str, Keyframe] = {}
    prev = start
    for i, (name, t) in enumerate(zip(names, moved, strict=True)):
        frame, method, rule = t, "transferred", "template keyframe through the warping path"
        if refine:
            nxt = moved[i + 1] if i + 1 < len(moved) else kin.n_frames
            frame, method, why = refine_keyframe(name, t, kin, prev, max(nxt, prev + 1))
            rule = why if method == "refined" else f"kept the transferred frame: {why}"
            fallback = _landing_fallback(name, out, kin) if method != "refined" else None
            if fallback is not None:
                frame, method, rule = fallback
        frame = max(frame, prev)
        out[name] = Keyframe(name=name, frame=frame, time_s=frame / kin.fps, method=method,
                             transferred_frame=t, rule=rule)
        prev = frame
    return list(out.values())


def _keyframes(template: Template, path: np.ndarray, offset: int, kin: AngleSequence,
               start: int, scale: float, refine: bool) -> list[Keyframe]:
    names = list(template.spec.keyframes)
    moved = [min(kin.n_frames - 1, _transfer(path, template.keyframes[n], offset, scale))
             for n in names]
    return place_keyframes(names, moved, kin, start, refine)


def _phases(template: Template, kfs: list[Keyframe], fps: float) -> list[Phase]:
    by = {k.name: k.frame for k in kfs}
    return [Phase(name=p.name, start_frame=by[p.start], end_frame=by[p.end],
                  start_s=by[p.start] / fps, end_s=by[p.end] / fps,
                  duration_s=(by[p.end] - by[p.start]) / fps) for p in template.phases]


def _find(raw: FloatArray, template: Template, channels: tuple[str, ...], threshold: float
          ) -> tuple[SubsequenceProfile, FloatArray, float]:
    """Stage 1's profile over the amplitude scales, and the threshold for these channels.

    Only channels with a finding weight > 0 take part; with fewer channels than
    the template's the threshold shrinks in proportion to their weight.
    """
    w_all = template.weights(stage=1)
    c = len(template.channels)
    used = tuple(ch for ch in channels if w_all[template.channels.index(ch)] > 0)
    if not used:
        raise MissingJointError(
            [ch for ch, wt in zip(template.channels, w_all[:c], strict=True) if wt > 0],
            channels, f"finding a {template.spec.label}")
    cols = template_columns(template, used)
    w = np.ascontiguousarray(w_all[cols])
    sub = template_columns(template, used)
    in_raw = np.array([channels.index(ch) for ch in used], dtype=np.int64)
    k = len(channels)
    raw_cols = np.concatenate([in_raw + block * k for block in range(3)])
    athlete = normalise_features(raw[:, raw_cols], np.asarray(template.feature_mean)[sub],
                                 np.asarray(template.feature_std)[sub], template.find_alpha,
                                 template.find_beta)
    values = template.array()[:, [template.channels.index(ch) for ch in used]]
    profile, amplitudes = stage1_profile(
        values, athlete, fps=template.fps, mean=np.asarray(template.feature_mean)[sub],
        std=np.asarray(template.feature_std)[sub], spec=template.spec, weights=w,
        scaled_raw=lambda scale: template.scaled_raw(scale)[:, sub])
    return profile, amplitudes, threshold * float(w.sum() / w_all.sum())


def align_channels(kin: AngleSequence, template: Template, *,
                   threshold: float | None = DEFAULT_THRESHOLD, max_matches: int = MAX_MATCHES,
                   refine: bool = True) -> Alignment:
    """Both MotionDTW stages on a recording's channels (see the module docstring).

    A recording at another frame rate than the template is resampled to the
    template's rate for the two DTW stages; keyframes are mapped back to the
    recording's own frames and refined on its own signals.
    """
    if threshold is None:
        threshold = template.match_threshold
    channels = check_movement_data(kin, template)
    cols = template_columns(template, channels)
    w = np.ascontiguousarray(template.weights()[cols])
    work = kin if abs(kin.fps - template.fps) < 1e-6 else resample_channels(kin, template.fps)
    scale = kin.fps / template.fps
    raw = _athlete_raw(work, template, channels)
    feats = _normalise(raw, template, channels, stage=2)
    tf = np.ascontiguousarray(template.features()[:, cols])
    n = len(tf)
    base = {"movement": template.movement, "fps": kin.fps, "n_frames": kin.n_frames,
            "template_version": template.version, "channels": list(channels)}
    if work.n_frames < max(3, n // 3):
        raise MotionDataError(f"recording too short: {kin.duration_s:.2f} s, the "
                              f"{template.spec.label} template lasts {n / template.fps:.2f} s")
    profile, amplitudes, threshold = _find(raw, template, channels, threshold)
    matches = find_matches(profile, max_matches=max_matches, min_separation=n // 3,
                           threshold=threshold, max_overlap=MAX_OVERLAP)
    if not matches:
        best = float(np.min(profile.normalized_cost))
        return Alignment(**base, spans=[], message=(
            f"no {template.spec.label} found (best match cost {best:.2f} > threshold "
            f"{threshold:.2f})"))
    spans: list[Span] = []
    for m in sorted(matches, key=lambda m: m.start):
        band = max(2, math.ceil(BAND_FRACTION * max(n, m.end - m.start + 1)))
        amp = float(amplitudes[m.end])
        # stage 2 keeps the experts' amplitude: aligning to the rescaled template
        # moved the countermovement bottom of CMU 118_04/118_05 by 12-15 frames
        res = dtw(tf, feats[m.start:m.end + 1], weights=w, window=band, band="slanted")
        assert res.path is not None
        start, end = round(m.start * scale), min(kin.n_frames - 1, round(m.end * scale))
        # the onset may lie before the span: stage 1's free start is loosest there
        floor = spans[-1].keyframes[-1].frame + 1 if spans else 0
        kfs = _keyframes(template, np.asarray(res.path), m.start, kin, floor, scale, refine)
        # widen the span to its keyframes (see Span): never clip an event-placed keyframe
        start = min(start, *(k.frame for k in kfs))
        end = max(end, *(k.frame for k in kfs))
        spans.append(Span(start_frame=start, end_frame=end,
                          normalized_cost=m.normalized_cost,
                          match_quality=max(0.0, 1.0 - m.normalized_cost / threshold),
                          keyframes=kfs,
                          phases=_phases(template, kfs, kin.fps),
                          amplitude=amp))
    label = template.spec.label
    return Alignment(**base, spans=spans,
                     message=f"{len(spans)} {label}{'s' if len(spans) > 1 else ''} found")


def align(motion: MotionSequence | AngleSequence, template: Template, *,
          threshold: float | None = DEFAULT_THRESHOLD, refine: bool = True) -> Alignment:
    """Find every occurrence of the template's movement and place its keyframes.

    Joint angles without foot contact (an OpenSim ``.mot``) get flight from pelvis free
    fall (:func:`~sportsgpt.tools.events.free_fall_contacts`) for the keyframe rules.
    """
    kin = motion_channels(motion)
    if isinstance(motion, AngleSequence):
        kin = free_fall_contacts(kin) or kin
    return align_channels(kin, template, threshold=threshold, refine=refine)
