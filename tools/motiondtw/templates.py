"""Expert templates: what MotionDTW aligns an athlete's recording to.

A :class:`Template` holds, for one movement, the channel values of an
expert barycenter (DTW barycenter averaging, DBA: Petitjean, Ketterlin and
Gançarski, "A global averaging method for dynamic time warping, with
applications to clustering", *Pattern Recognition* 44(3):678–693, 2011,
doi:10.1016/j.patcog.2010.09.013), its named keyframes and phases, per-frame
envelopes (mean ± standard deviation of the experts aligned to it), the
feature normalisation statistics, and provenance (source files and their
SHA-256, the event rule that labelled them, the command that built it).

Building (:func:`build_template`): every expert recording is read,
preprocessed and turned into channels; its events come from
:mod:`sportsgpt.tools.events` (or from the caller); it is cropped to
``[first keyframe - pad, last keyframe + pad]``; the medoid expert starts the
barycenter, refined by :data:`DBA_ITERATIONS` DBA passes on the normalised
features; each expert's keyframes are carried onto the barycenter through its
warping path (mean of the aligned barycenter frames) and the template keyframe
is the median over experts.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.core.version import __version__
from sportsgpt.graph_kb.movements import MovementSpec, PhaseSpec, movement_spec, template_path
from sportsgpt.tools.events import drop_jump_events, jump_events, squat_events
from sportsgpt.tools.motion import AngleSequence, FloatArray, MotionSequence
from sportsgpt.tools.motiondtw.dtw import SubsequenceProfile, dtw, subsequence_dtw
from sportsgpt.tools.motiondtw.features import (
    channel_matrix,
    column_weights,
    feature_stats,
    motion_channels,
    normalise_features,
    raw_features,
    scale_amplitude,
    usable_channels,
)

DBA_ITERATIONS: Final = 10
THRESHOLD_FACTOR: Final = 1.5
THRESHOLD_FLOOR: Final = 3.0
"""For a movement without a calibrated ``MovementSpec.match_threshold`` (all
shipped movements have one: :mod:`~sportsgpt.tools.motiondtw.calibrate`), a
template's match threshold is ``max(THRESHOLD_FLOOR, THRESHOLD_FACTOR x p90)`` of
its own experts' stage-1 match costs: a recording must match about as well as the
experts do, with room for athletes unlike them. Both numbers were set by looking at
stage-1 costs on the shared data: templates of few, alike experts (the CMJ: two
trials of one subject) need the floor (the high jump 16_03 costs 2.5 against a
CMJ template of the other in-place jumps), while no squat, lunge or jump cost less
than 7.5 against the template of another of these families (a lunge against the
squat). Countermovement and standing long jumps are both jumps with a
countermovement and do overlap (2.5 and up against each other's templates); the
movement choice (``analyze --movement auto``) tells them apart by the pelvis'
horizontal travel in flight."""
CROP_PAD_S: Final = 0.25
"""Seconds kept before the first and after the last keyframe of each expert."""
TEMPLATE_FORMAT_VERSION: Final = 1
STAGE1_STEP: Final = 2
"""Stage 1 compares every second frame of template and recording (features computed at the
full rate first): finding an action needs no frame-exact timing, and it makes the
amplitude search four times cheaper per scale (600-frame recording: 6.9 -> 3.3 ms). The
thresholds were calibrated with it (:mod:`~sportsgpt.tools.motiondtw.calibrate`);
stage 2 and the keyframes use every frame."""


class TemplateError(SportsGPTError, ValueError):
    """A template cannot be built, read or used."""


class ExpertSource(BaseModel):
    """One expert recording that went into a template."""

    name: str
    sha256: str
    fps: float
    crop: tuple[int, int]
    keyframes: dict[str, int]
    keyframes_from: str


class Provenance(BaseModel):
    """How and from what a template was made."""

    experts: list[ExpertSource]
    event_rule: str
    built_with: str
    command: str | None = None
    created: str
    notes: list[str] = Field(default_factory=list)


class Template(BaseModel):
    """An expert template for one movement (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    format_version: int = TEMPLATE_FORMAT_VERSION
    movement: str
    version: str
    fps: float
    channels: tuple[str, ...]
    values: list[list[float]]
    feature_mean: list[float]
    feature_std: list[float]
    alpha: float
    beta: float
    find_alpha: float
    find_beta: float
    keyframes: dict[str, int]
    phases: tuple[PhaseSpec, ...]
    envelope_mean: list[list[float]]
    envelope_std: list[list[float]]
    expert_match_costs: list[float]
    match_threshold: float
    provenance: Provenance

    @property
    def spec(self) -> MovementSpec:
        """The movement's spec (weights, keyframe names)."""
        return movement_spec(self.movement)

    @property
    def n_frames(self) -> int:
        """Template length in frames."""
        return len(self.values)

    def array(self) -> FloatArray:
        """Channel values, ``(T, C)``."""
        return np.asarray(self.values, dtype=np.float64)

    @functools.cached_property
    def _raw(self) -> FloatArray:
        return raw_features(self.array(), self.fps)

    @functools.cached_property
    def _scaled_raw_cache(self) -> dict[float, FloatArray]:
        return {}

    def scaled_raw(self, scale: float) -> FloatArray:
        """Raw features ``(T, 3C)`` of the barycenter at amplitude ``scale`` (cached).

        Channels are independent (:func:`scale_amplitude`, per-column derivatives), so
        columns of this array equal the features of a channel subset scaled alone.
        """
        if scale == 1.0:
            return self._raw
        cache = self._scaled_raw_cache
        if scale not in cache:
            cache[scale] = raw_features(scale_amplitude(self.array(), scale), self.fps)
        return cache[scale]

    def features(self, stage: int = 2, scale: float = 1.0) -> FloatArray:
        """Normalised features of the barycenter, ``(T, 3C)``, for stage 1 or 2.

        ``scale`` != 1 scales the movement's amplitude first (:func:`scale_amplitude`).
        """
        a, b = (self.find_alpha, self.find_beta) if stage == 1 else (self.alpha, self.beta)
        raw = self.scaled_raw(scale)
        return normalise_features(raw, np.asarray(self.feature_mean),
                                  np.asarray(self.feature_std), a, b)

    def weights(self, stage: int = 2) -> FloatArray:
        """DTW weights of the feature columns (``stage=1``: the finding weights)."""
        return column_weights(self.spec, self.channels, stage)

    def save(self, path: str | Path) -> None:
        """Write the template as JSON."""
        Path(path).write_text(json.dumps(self.model_dump(mode="json"), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Template:
        """Read a template JSON file."""
        try:
            data = json.loads(Path(path).read_text())
            return cls.model_validate(data)
        except (OSError, ValueError) as exc:
            raise TemplateError(f"{path}: not a readable template ({exc})") from None


def packaged_template_path(movement: str) -> Path:
    """Path of the template shipped with SportsGPT for a movement (its registry folder)."""
    path = template_path(movement)
    if not path.is_file():
        raise TemplateError(f"no packaged template for {movement!r}; build one with "
                            f"'sportsgpt template build --movement {movement} FILES...'")
    return path


def load_template(movement: str) -> Template:
    """The packaged template of a movement."""
    return Template.load(packaged_template_path(movement))


# --- building ---------------------------------------------------------------------------
class _Expert(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    sha256: str
    fps: float
    values: FloatArray
    crop: tuple[int, int]
    keyframes: dict[str, int]
    keyframes_from: str


def _sha256(path: Path | None) -> str:
    if path is None or not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def detect_keyframes(kin: AngleSequence, spec: MovementSpec) -> dict[str, int]:
    """Keyframes of the first repetition by the documented event rules."""
    if spec.kind == "drop_jump":
        return dict(drop_jump_events(kin).frames)
    if spec.kind == "jump":
        found = jump_events(kin)
        if not found:
            raise TemplateError(f"no {spec.label} found: no flight phase in the recording")
        return dict(found[0].frames)
    return dict(squat_events(kin).frames)


def _expert(motion: MotionSequence | AngleSequence, spec: MovementSpec,
            keyframes: dict[str, int] | None) -> tuple[AngleSequence, _Expert]:
    kin = motion_channels(motion)
    how = "given" if keyframes is not None else "event rules (sportsgpt.tools.events)"
    kf = dict(keyframes) if keyframes is not None else detect_keyframes(kin, spec)
    missing = [k for k in spec.keyframes if k not in kf]
    if missing:
        raise TemplateError(f"keyframes {missing} missing for {spec.id}")
    pad = round(CROP_PAD_S * kin.fps)
    lo = max(0, min(kf[k] for k in spec.keyframes) - pad)
    hi = min(kin.n_frames, max(kf[k] for k in spec.keyframes) + pad + 1)
    path = motion.source_path if isinstance(motion, MotionSequence) else (
        Path(motion.source.path) if motion.source.path else None)
    name = path.name if path else motion.source.format
    ex = _Expert(name=name, sha256=_sha256(path), fps=kin.fps, values=np.empty((0, 0)),
                 crop=(lo, hi), keyframes={k: kf[k] - lo for k in spec.keyframes},
                 keyframes_from=how)
    return kin, ex


def _path_map(path: np.ndarray, n: int) -> list[np.ndarray]:
    """For each barycenter frame ``i``, the expert frames aligned to it."""
    order = np.argsort(path[:, 0], kind="stable")
    p = path[order]
    bounds = np.searchsorted(p[:, 0], np.arange(n + 1))
    return [p[bounds[i]:bounds[i + 1], 1] for i in range(n)]


def _align_all(bary: FloatArray, experts: list[FloatArray], fps: float, mean: FloatArray,
               std: FloatArray, spec: MovementSpec, w: FloatArray) -> list[np.ndarray]:
    fb = normalise_features(raw_features(bary, fps), mean, std, spec.alpha, spec.beta)
    paths = []
    for ex in experts:
        fe = normalise_features(raw_features(ex, fps), mean, std, spec.alpha, spec.beta)
        res = dtw(fb, fe, weights=w)
        assert res.path is not None
        paths.append(np.asarray(res.path))
    return paths


def _medoid(experts: list[FloatArray], fps: float, mean: FloatArray, std: FloatArray,
            spec: MovementSpec, w: FloatArray) -> int:
    feats = [normalise_features(raw_features(e, fps), mean, std, spec.alpha, spec.beta)
             for e in experts]
    n = len(feats)
    total = np.zeros(n)
    for a in range(n):
        for b in range(a + 1, n):
            c = dtw(feats[a], feats[b], weights=w, return_path=False).cost
            total[a] += c
            total[b] += c
    return int(np.argmin(total))


def _dba(experts: list[FloatArray], fps: float, mean: FloatArray, std: FloatArray,
         spec: MovementSpec, w: FloatArray) -> tuple[FloatArray, list[np.ndarray]]:
    bary = experts[_medoid(experts, fps, mean, std, spec, w)].copy()
    for _ in range(DBA_ITERATIONS):
        paths = _align_all(bary, experts, fps, mean, std, spec, w)
        acc = np.zeros_like(bary)
        cnt = np.zeros(len(bary))
        for ex, path in zip(experts, paths, strict=True):
            np.add.at(acc, path[:, 0], ex[path[:, 1]])
            np.add.at(cnt, path[:, 0], 1)
        new = acc / cnt[:, None]
        if np.allclose(new, bary, atol=1e-9):
            break
        bary = new
    return bary, _align_all(bary, experts, fps, mean, std, spec, w)


def _resample(values: FloatArray, fps: float, target: float) -> FloatArray:
    if abs(fps - target) < 1e-9:
        return values
    t_old = np.arange(len(values)) / fps
    t_new = np.arange(int(np.floor(t_old[-1] * target)) + 1) / target
    return np.column_stack([np.interp(t_new, t_old, values[:, k])
                            for k in range(values.shape[1])])


def build_template(
    motions: list[MotionSequence | AngleSequence],
    movement: str,
    *,
    keyframes: list[dict[str, int]] | None = None,
    version: str = "1",
    command: str | None = None,
) -> Template:
    """Build a template from expert recordings (see the module docstring)."""
    spec = movement_spec(movement)
    if not motions:
        raise TemplateError("a template needs at least one expert recording")
    if keyframes is not None and len(keyframes) != len(motions):
        raise TemplateError("give keyframes for every recording or for none")
    kins, metas = zip(*[_expert(m, spec, None if keyframes is None else keyframes[i])
                        for i, m in enumerate(motions)], strict=True)
    channels = usable_channels(kins[0], spec)
    for k in kins[1:]:
        channels = tuple(c for c in channels if c in usable_channels(k, spec, channels))
    fps = metas[0].fps
    experts, sources = [], []
    for kin, meta in zip(kins, metas, strict=True):
        vals = channel_matrix(kin, channels)[meta.crop[0]:meta.crop[1]]
        scale = fps / meta.fps
        experts.append(_resample(vals, meta.fps, fps))
        sources.append(ExpertSource(
            name=meta.name, sha256=meta.sha256, fps=meta.fps, crop=meta.crop,
            keyframes={k: round(v * scale) for k, v in meta.keyframes.items()},
            keyframes_from=meta.keyframes_from))
    mean, std = feature_stats([raw_features(e, fps) for e in experts], channels)
    w = column_weights(spec, channels)
    bary, paths = _dba(experts, fps, mean, std, spec, w)
    kf = _template_keyframes(paths, sources, spec, len(bary))
    env_mean, env_std = _envelope(bary, experts, paths)
    costs = _expert_costs(bary, experts, fps, mean, std, spec, channels)
    threshold = (spec.match_threshold if spec.match_threshold is not None else
                 max(THRESHOLD_FLOOR, THRESHOLD_FACTOR * float(np.percentile(costs, 90))))
    return Template(
        movement=movement, version=version, fps=fps, channels=channels,
        values=_round(bary), feature_mean=[round(float(x), 6) for x in mean],
        feature_std=[round(float(x), 6) for x in std], alpha=spec.alpha, beta=spec.beta,
        find_alpha=spec.find_alpha, find_beta=spec.find_beta,
        keyframes=kf, phases=spec.phases, envelope_mean=_round(env_mean),
        envelope_std=_round(env_std), expert_match_costs=[round(c, 4) for c in costs],
        match_threshold=round(threshold, 4),
        provenance=Provenance(
            experts=sources, event_rule="sportsgpt.tools.events (documented rules)",
            built_with=f"sportsgpt {__version__}", command=command,
            created=_dt.date.today().isoformat(),
            notes=[f"DBA with {DBA_ITERATIONS} iterations max, medoid start",
                   f"{len(experts)} expert recording(s)"]))


def stage1_profile(template_values: FloatArray, athlete: FloatArray, *, fps: float,
                   mean: FloatArray, std: FloatArray, spec: MovementSpec, weights: FloatArray,
                   scaled_raw: Callable[[float], FloatArray] | None = None,
                   ) -> tuple[SubsequenceProfile, FloatArray]:
    """Stage 1's search over amplitudes: the best profile over ``spec.amplitude_scales``.

    For every scale ``s`` the template's excursions from its first (standing) frame
    are scaled by ``s`` (:func:`scale_amplitude`), its stage-1 features computed
    and the subsequence profile of the athlete's stage-1 features ``athlete``
    (``(M, 3C)``, already normalised) taken. The cost is divided by ``s**2``: it
    is then measured in units of the athlete's own amplitude (the same as
    scaling the athlete by ``1/s``), so a small movement is not cheap merely for
    being small. Per end frame the lowest cost over the scales wins.

    Both sequences are compared at every :data:`STAGE1_STEP`-th frame; the returned
    arrays are indexed by athlete frame again (a coarse column stands for the frames up
    to the next one).

    ``scaled_raw(s)``, when given, returns the raw features of ``template_values`` at
    scale ``s`` (a template's cache, :meth:`Template.scaled_raw`) instead of computing
    them.

    Returns:
        The combined profile (cost, start and normalised cost of the winning
        scale per end frame) and the winning scale per end frame.
    """
    step = STAGE1_STEP
    coarse = np.ascontiguousarray(athlete[::step])

    def profile_at(s: float) -> SubsequenceProfile:
        raw = (scaled_raw(s) if scaled_raw is not None
               else raw_features(scale_amplitude(template_values, s), fps))
        tf = normalise_features(raw, mean, std, spec.find_alpha, spec.find_beta)
        return subsequence_dtw(np.ascontiguousarray(tf[::step]), coarse, weights=weights,
                               normalization="query")

    best: tuple[FloatArray, np.ndarray, FloatArray, FloatArray] | None = None
    for s in spec.amplitude_scales:
        prof = profile_at(s)
        cost, norm = prof.cost / s**2, prof.normalized_cost / s**2
        if best is None:
            best = (cost.copy(), prof.start.copy(), norm.copy(), np.full(len(cost), s))
            continue
        better = norm < best[2]
        for arr, new in zip(best, (cost, prof.start, norm, np.full(len(cost), s)),
                            strict=True):
            arr[better] = new[better]
    if best is None:
        raise TemplateError(f"{spec.id}: no amplitude scales to search")
    cost, start, norm, scales = best
    # back to every athlete frame: a coarse end column j stands for frames step*j ...
    idx = np.minimum(np.arange(len(athlete)) // step, len(cost) - 1)
    profile = SubsequenceProfile(cost=cost[idx], start=(start * step).astype(np.int64)[idx],
                                 normalized_cost=norm[idx], query_length=len(template_values))
    return profile, scales[idx]


def _expert_costs(bary: FloatArray, experts: list[FloatArray], fps: float, mean: FloatArray,
                  std: FloatArray, spec: MovementSpec, channels: tuple[str, ...]) -> list[float]:
    """Each expert's best stage-1 (subsequence, amplitude search) cost against the barycenter."""
    w = column_weights(spec, channels, stage=1)
    keep = np.flatnonzero(w[:len(channels)] > 0)
    cols = np.concatenate([keep + block * len(channels) for block in range(3)])
    out = []
    for ex in experts:
        fe = normalise_features(raw_features(ex[:, keep], fps), mean[cols], std[cols],
                                spec.find_alpha, spec.find_beta)
        profile, _ = stage1_profile(bary[:, keep], fe, fps=fps, mean=mean[cols],
                                    std=std[cols], spec=spec,
                                    weights=np.ascontiguousarray(w[cols]))
        out.append(float(np.min(profile.normalized_cost)))
    return out


def _template_keyframes(paths: list[np.ndarray], sources: list[ExpertSource],
                        spec: MovementSpec, n: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in spec.keyframes:
        frames = []
        for path, src in zip(paths, sources, strict=True):
            hits = path[path[:, 1] == src.keyframes[name], 0]
            frames.append(float(hits.mean()))
        out[name] = min(n - 1, round(float(np.median(frames))))
    order = [out[k] for k in spec.keyframes]
    if order != sorted(order):
        raise TemplateError(f"template keyframes out of order: {out}")
    return out


def _envelope(bary: FloatArray, experts: list[FloatArray],
              paths: list[np.ndarray]) -> tuple[FloatArray, FloatArray]:
    n = len(bary)
    per_expert = np.empty((len(experts), n, bary.shape[1]))
    for e, (ex, path) in enumerate(zip(experts, paths, strict=True)):
        for i, js in enumerate(_path_map(path, n)):
            per_expert[e, i] = ex[js].mean(axis=0)
    return per_expert.mean(axis=0), per_expert.std(axis=0)


def _round(a: FloatArray) -> list[list[float]]:
    out: Any = np.round(a, 6).tolist()
    return list(out)


def check_movement_data(kin: AngleSequence, template: Template) -> tuple[str, ...]:
    """Channels of the template that the recording has (error if too few)."""
    return usable_channels(kin, template.spec, template.channels)
