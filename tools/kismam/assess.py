"""KISMAM assessment: metrics at keyframes, z-scores, the fault matrix, named findings.

Pipeline for one recording (details and formulas in ``docs/kismam.md``):

1. **Channels.** A :class:`MotionSequence` is preprocessed (gap filling, low-pass,
   ground and facing normalisation) and its kinematics computed; an
   :class:`AngleSequence` (OpenSim ``.mot``) is used as it is.
2. **Keyframes.** MotionDTW aligns the recording to the movement's template
   (or the caller's ``alignment`` is used): one report per span found. A jump
   span whose flight is shorter than :data:`~sportsgpt.tools.events.MIN_FLIGHT_S`
   is dropped. With no span the documented event rules
   (:mod:`sportsgpt.tools.events`) are tried, with a note and a lower
   confidence; if they find nothing either, :class:`MovementNotFoundError`.
3. **Metrics.** Each catalog metric is computed by its function in
   :mod:`sportsgpt.tools.kismam.metrics`, unless the input's view cannot show it.
   ``z = (value - centre) / sd`` of its target (see :meth:`Target.centre`).
4. **Faults.** Each fault's score is the largest, over its assessable
   terms, of how far the value lies beyond its target bound in the fault's direction,
   in units of the metric's smallest meaningful change (SMC, :func:`beyond_bound`);
   severity: beyond the bound (score > 0) mild, at least 1 SMC beyond moderate, at
   least 2 SMC severe (the fault's thresholds). z stays in the evidence.
5. **Confidence** = data × noise × view × match × frame-rate × coverage factors, × 0.8
   when the deciding target is one expert athlete's (:func:`finding_confidence`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from sportsgpt.core.errors import MotionDataError
from sportsgpt.graph_kb.catalog import (
    FaultSpec,
    MetricSpec,
    MovementCatalog,
    Target,
    load_catalog,
    range_text,
)
from sportsgpt.graph_kb.movements import flight_movements, movement_ids, movement_spec
from sportsgpt.tools.events import MIN_FLIGHT_S, drop_jump_events, jump_events, squat_events
from sportsgpt.tools.kismam.metrics import NotAssessableError, compute_metric, less_note
from sportsgpt.tools.kismam.models import (
    AssessmentReport,
    Evidence,
    Finding,
    KeyframeOut,
    MetricResult,
    MetricStatus,
    PhaseOut,
    QualityOut,
    Severity,
)
from sportsgpt.tools.kismam.timebase import TIMING_METRICS, timebase_warnings
from sportsgpt.tools.motion import AngleSequence, MotionSequence
from sportsgpt.tools.motiondtw.align import Alignment, Span, align_channels
from sportsgpt.tools.motiondtw.templates import Template, load_template
from sportsgpt.tools.prepare import Prepared, prepare
from sportsgpt.tools.preprocess import leg_length

NO_ARM_SWING_DEG: Final = 15.0
"""With ``arm_swing=None`` (default), a jump whose shoulder-flexion range before takeoff is
under 15° gets a note that arm-swing faults were scored anyway: from the data alone a
deliberate no-arm-swing jump cannot be told from a (severely) limited arm swing, and a
coach would call the latter a fault, so only the caller (``arm_swing=False``) skips them."""
VIEW_FACTOR: Final = {"3d": 1.0, "angles": 1.0, "sagittal": 0.8, "frontal": 0.8,
                      "oblique": 0.6, "unknown": 0.6}
"""Confidence factor of the input kind (2D views lose depth; unknown view more so)."""
NOISE_REF_DEG: Final = 5.0
"""Angle spread the noise factor compares joint-angle noise with: the smallest spread an
angle target uses (the 5° floor), so the factor is the share of a one-sd deviation that is
not noise (:func:`angle_noise_deg`, :func:`finding_confidence`)."""
FALLBACK_MATCH_FACTOR: Final = 0.5
"""Confidence factor of keyframes from the event rules when MotionDTW found no match."""
REFERENCE_FPS: Final = 100.0
"""Frame rate at and above which timing is not a confidence concern."""
AUTO_THRESHOLD: Final = 1e9
"""Threshold that makes MotionDTW return its best span whatever the cost (movement choice)."""
ONE_EXPERT_FACTOR: Final = 0.8
"""Confidence factor when the deciding metric's target comes from one expert athlete's
repetitions only: that spread is one person's trial-to-trial variation, not the population's,
so where the bound sits for another athlete is uncertain (the same factor as a 2D view)."""
SEVERITY_RANK: Final[dict[str, int]] = {"none": 0, "mild": 1, "moderate": 2, "severe": 3}


class MovementNotFoundError(MotionDataError):
    """The recording holds no occurrence of the requested movement."""


# --- keyframes ---------------------------------------------------------------------------
@dataclass
class Repetition:
    """Keyframes and phases of one repetition and how they were found."""

    keyframes: list[KeyframeOut]
    phases: list[PhaseOut]
    match_quality: float | None
    match_factor: float
    notes: list[str] = field(default_factory=list)

    @property
    def frames(self) -> dict[str, int]:
        """Keyframe name -> frame."""
        return {k.name: k.frame for k in self.keyframes}


def _effective_threshold(template: Template, channels: list[str]) -> float:
    """The template threshold scaled to the channels used (as MotionDTW does)."""
    w = template.spec.weights
    total = sum(w.get(c, 1.0) for c in template.channels)
    used = sum(w.get(c, 1.0) for c in channels)
    return template.match_threshold * (used / total if total > 0 else 1.0)


def _from_span(span: Span, threshold: float) -> Repetition:
    kfs = [KeyframeOut(name=k.name, frame=k.frame, time_s=k.time_s, method=k.method)
           for k in span.keyframes]
    phases = [PhaseOut(name=p.name, start_frame=p.start_frame, end_frame=p.end_frame,
                       duration_s=p.duration_s) for p in span.phases]
    factor = 1.0 - 0.5 * min(1.0, span.normalized_cost / threshold)
    return Repetition(keyframes=kfs, phases=phases, match_quality=span.match_quality,
                      match_factor=factor)


def _phases_of(template: Template, frames: Mapping[str, int], fps: float) -> list[PhaseOut]:
    return [PhaseOut(name=p.name, start_frame=frames[p.start], end_frame=frames[p.end],
                     duration_s=(frames[p.end] - frames[p.start]) / fps)
            for p in template.phases if p.start in frames and p.end in frames]


def _from_events(kin: AngleSequence, template: Template, why: str) -> list[Repetition]:
    needed = ("pelvis_height", "pelvis_velocity_y")
    kind = template.spec.kind
    if not kin.has(*needed) or (kind == "jump" and not kin.has("foot_contact_left",
                                                               "foot_contact_right")):
        return []
    try:
        found = (jump_events(kin) if kind == "jump" else [drop_jump_events(kin)]
                 if kind == "drop_jump" else [squat_events(kin)])
    except MotionDataError:
        return []
    out = []
    for ev in found:
        kfs = [KeyframeOut(name=n, frame=f, time_s=f / kin.fps, method="events")
               for n, f in ev.frames.items()]
        out.append(Repetition(keyframes=kfs, phases=_phases_of(template, ev.frames, kin.fps),
                              match_quality=None, match_factor=FALLBACK_MATCH_FACTOR,
                              notes=[f"MotionDTW found no match ({why}); keyframes come from "
                                     "the event rules (sportsgpt.tools.events)"]))
    return out


def _valid(rep: Repetition, template: Template, fps: float) -> bool:
    if template.spec.kind == "squat":
        return True
    f = rep.frames
    land = "second_landing" if template.spec.kind == "drop_jump" else "landing"
    if "takeoff" not in f or land not in f:
        return False
    return f[land] - f["takeoff"] >= max(1, round(MIN_FLIGHT_S * fps))


def repetitions(prep: Prepared, template: Template, alignment: Alignment | None = None,
                *, fallback_events: bool = False) -> tuple[list[Repetition], list[str]]:
    """Repetitions of the template's movement in a prepared recording (and notes)."""
    if alignment is None:
        alignment = align_channels(prep.kin_events, template)
    elif alignment.movement != template.movement:
        raise MotionDataError(f"the alignment is for {alignment.movement}, not "
                              f"{template.movement}")
    threshold = _effective_threshold(template, alignment.channels)
    reps = [_from_span(s, threshold) for s in alignment.spans]
    notes: list[str] = []
    valid = [r for r in reps if _valid(r, template, prep.kin.fps)]
    if len(valid) < len(reps):
        notes.append(f"{len(reps) - len(valid)} matched span(s) without a flight phase "
                     "were dropped")
    if not valid and fallback_events:
        valid = _from_events(prep.kin_events, template, alignment.message)
    return valid, notes


# --- metrics -----------------------------------------------------------------------------
def view_reason(spec: MetricSpec, view: str) -> str | None:
    """Why the input's view cannot show a metric (``None`` when it can).

    The catalog's ``view`` says what a metric needs: ``3d``, ``sagittal`` (angles and
    distances in the side plane), ``frontal`` (frontal-plane angles and left/right
    comparisons a front camera sees: both legs in view) or ``any`` (timing and
    vertical measures from events). A 2D side view hides the far leg (the detector
    guesses it, at low confidence) and shows no frontal-plane angle; a 2D front view
    sees flexion face-on, foreshortened; an oblique view distorts both planes, so only
    ``any`` metrics are kept; an unknown view keeps only ``any`` metrics too.
    """
    if view in ("3d", "angles") or spec.view == "any":
        return None
    if spec.view == "3d":
        return ("needs 3D data: a single camera sees one leg's flexion from the side and "
                "none face-on from the front")
    if view == spec.view:
        return None
    if view == "sagittal":
        return ("not assessable from a 2D side view: it shows no frontal-plane angle and "
                "hides the far leg (film from the front)")
    if view == "frontal":
        return ("not assessable from a 2D front view: sagittal angles are seen face-on, "
                "foreshortened (film from the side)")
    if view == "oblique":
        return (f"not assessable from an oblique 2D view: the {spec.view} plane is seen at "
                "an angle, distorted (film from the side or the front)")
    return "not assessable from a 2D view of unknown direction"


def status_of(spec: MetricSpec, value: float, target: Target | None = None) -> MetricStatus:
    """``low`` / ``high`` outside the target bounds (``target`` or the spec's), else ``ok``."""
    t = target if target is not None else spec.target
    if t is None:
        return "ok"
    if t.low is not None and value < t.low:
        return "low"
    if t.high is not None and value > t.high:
        return "high"
    return "ok"


def z_score(spec: MetricSpec, value: float, target: Target | None = None) -> float | None:
    """``(value - centre) / sd`` of the target (``target`` or the spec's; ``None`` without)."""
    t = target if target is not None else spec.target
    if t is None:
        return None
    return (value - t.centre) / t.scale


def _conditioned(target: Target | None, covariates: Mapping[str, MetricResult] | None
                 ) -> tuple[Target | None, str | None, str | None]:
    """The target moved to its covariate's value, the note saying so, or why it cannot be.

    Returns ``(target, note, reason)``; an unconditioned target comes back as it is.
    """
    if target is None or target.given is None:
        return target, None, None
    cov = (covariates or {}).get(target.given.metric)
    if cov is None or cov.value is None:
        return target, None, f"its target depends on {target.given.metric}, which was not assessed"
    return (target.given_at(cov.value),
            f"for {cov.label.lower()} {plain_value(cov.value, cov.unit)}", None)


def evaluate_metric(spec: MetricSpec, prep: Prepared, frames: Mapping[str, int],
                    covariates: Mapping[str, MetricResult] | None = None) -> MetricResult:
    """One catalog metric on one repetition.

    A target conditioned on another metric (``target.given``) is moved to that metric's
    value in ``covariates``; without it the metric is not assessable.
    """
    t, note, unconditioned = _conditioned(spec.target, covariates)
    base = {"id": spec.id, "label": spec.label, "unit": spec.unit,
            "target_low": t.low if t else None, "target_high": t.high if t else None,
            "target_source": list(t.source_ids) if t else [], "keyframe": spec.definition.at,
            "target_basis": t.basis() if t else "reported only (no target)",
            "smc": spec.smc.value if spec.smc else None}
    reason = view_reason(spec, prep.view) or unconditioned
    if reason is None:
        try:
            m = compute_metric(spec.definition.computation, prep.kin, prep.motion, frames,
                               prep.kin.fps)
        except NotAssessableError as exc:
            reason = exc.reason
        else:
            z = z_score(spec, m.value, t)
            beyond = (None if t is None or spec.fault_direction is None
                      else beyond_bound(m.value, t.low, t.high, spec.fault_direction))
            return MetricResult(**base | m.placement(), value=round(m.value, 4),
                                z=None if z is None else round(z, 3),
                                beyond=None if beyond is None else round(beyond, 4),
                                status=status_of(spec, m.value, t), target_given=note)
    return MetricResult(**base, value=None, z=None, status="not_assessable", reason=reason)


def evaluate_metrics(specs: Iterable[MetricSpec], prep: Prepared, frames: Mapping[str, int]
                     ) -> dict[str, MetricResult]:
    """Every metric of ``specs`` on one repetition, in order; conditioned targets last.

    Metrics whose target is conditioned on a covariate are evaluated after the others, so
    their covariate's value is known (a covariate missing from ``specs`` leaves the metric
    not assessable).
    """
    specs = list(specs)
    first = [m for m in specs if m.target is None or m.target.given is None]
    out = {m.id: evaluate_metric(m, prep, frames) for m in first}
    for m in specs:
        if m.id not in out:
            out[m.id] = evaluate_metric(m, prep, frames, out)
    return {m.id: out[m.id] for m in specs}


def _timing_not_assessable(results: Mapping[str, MetricResult], catalog: MovementCatalog
                           ) -> dict[str, MetricResult]:
    """Timing metrics made not assessable when the time base is implausible.

    A wrong frame rate (a 30 fps flag on a 120 Hz recording) makes every duration and the
    flight-time jump height wrong by the same factor; reporting them as "ok" would hide
    the problem, so they are withheld and the quality notes say why
    (:func:`~sportsgpt.tools.kismam.timebase.timebase_warnings`).
    """
    out = dict(results)
    for mid, r in results.items():
        if catalog.metric(mid).definition.computation in TIMING_METRICS and r.value is not None:
            out[mid] = r.model_copy(update={
                "value": None, "z": None, "status": "not_assessable",
                "reason": "the recording's time base is implausible (see the quality notes: "
                          "check the frame rate)"})
    return out


# --- faults ------------------------------------------------------------------------------
def directed(z: float, direction: str) -> float:
    """Deviation in the fault direction: ``max(0, -z)``, ``max(0, z)`` or ``|z|``."""
    if direction == "low":
        return max(0.0, -z)
    if direction == "high":
        return max(0.0, z)
    return abs(z)


def beyond_bound(value: float, low: float | None, high: float | None, direction: str
                 ) -> float:
    """Signed distance of ``value`` beyond its target bound in the fault ``direction``.

    In the metric's own unit: ``low - value`` (direction low), ``value - high`` (high),
    the larger of the two (both); positive outside the bound, negative inside.
    """
    parts = []
    if direction in ("low", "both") and low is not None:
        parts.append(low - value)
    if direction in ("high", "both") and high is not None:
        parts.append(value - high)
    if not parts:
        raise ValueError(f"no {direction} bound to measure {value} against")
    return max(parts)


def severity_of(fault: FaultSpec, score: float) -> Severity:
    """Severity from the score (SMC beyond the bound) and the fault's thresholds.

    Beyond the bound at all (score > 0): mild; ``moderate`` SMC or more (default 1):
    moderate; ``severe`` SMC or more (default 2): severe.
    """
    th = fault.thresholds
    if score >= th.severe:
        return "severe"
    if score >= th.moderate:
        return "moderate"
    if score > 0.0:
        return "mild"
    return "none"


def magnitude_text(beyond: float, smc: float, unit: str, direction: str, z: float) -> str:
    """``"12° below the bound (2.4 SMC of 5°); z -3.1"``: a finding's size a coach can check."""
    side = "below" if direction == "low" else "above" if direction == "high" else "outside"
    return (f"{plain_value(beyond, unit)} {side} the bound ({beyond / smc:.1f} SMC of "
            f"{plain_value(smc, unit)}); z {z:+.1f}")


def finding_confidence(*, missing_pct: float, view: str, match_factor: float, fps: float,
                       coverage: float, angle_noise: float | None = None,
                       one_expert: bool = False) -> float:
    """Confidence of a finding in [0, 1].

    The product of

    * data: ``1 - missing_pct / 100``;
    * noise: ``r / sqrt(r² + n²)`` with ``n`` the joint-angle noise left by the input's
      jitter (:func:`angle_noise_deg`) and ``r`` = :data:`NOISE_REF_DEG` (1 when unknown);
    * view: :data:`VIEW_FACTOR` (3D or angles 1, 2D 0.8, unknown 2D view 0.6);
    * match: ``1 - 0.5·min(1, cost / threshold)`` of the MotionDTW span (0.5 for
      keyframes from the event rules);
    * frame rate: ``min(1, sqrt(fps / 100))``;
    * coverage: the share of the fault's weight whose metrics were assessable;
    * reference: :data:`ONE_EXPERT_FACTOR` when the deciding target comes from one expert
      athlete's repetitions only (``one_expert``), else 1.
    """
    noise = 1.0 if angle_noise is None else NOISE_REF_DEG / math.hypot(NOISE_REF_DEG,
                                                                        angle_noise)
    parts = (1.0 - min(100.0, max(0.0, missing_pct)) / 100.0, noise,
             VIEW_FACTOR.get(view, 0.6), match_factor, min(1.0, math.sqrt(fps / REFERENCE_FPS)),
             coverage, ONE_EXPERT_FACTOR if one_expert else 1.0)
    return round(float(np.clip(np.prod(parts), 0.0, 1.0)), 3)


def plain_value(value: float, unit: str) -> str:
    """A value with its unit for a sentence: ``151°``, ``0.42 s``, ``23 % leg length``."""
    if unit == "deg":
        return f"{value:.0f}°"
    if unit in ("s", "m"):
        return f"{value:.2f} {unit}"
    if abs(value) < 10:
        return f"{value:.1f} {unit}"
    return f"{value:.0f} {unit}"


def score_fault(fault: FaultSpec, catalog: MovementCatalog,
                results: Mapping[str, MetricResult]) -> tuple[float, float, list[Evidence],
                                                              str | None]:
    """Score, coverage, evidence and the rationale's metric clause of one fault.

    A term's score is how far its value lies beyond the target bound in the term's
    direction, in SMC of its metric (negative inside the range, :func:`beyond_bound`).
    The fault's score is the **largest** term score (not a weighted mean): a fault's terms
    are alternative signs of it (e.g. trunk lean at the bottom *or* at takeoff), and
    averaging a clearly deviating sign with unaffected ones diluted it. Evidence is
    ordered by score (largest first, ties by weight), so the rationale names the metric
    that sets the score; weights give the coverage. NaN when no term is assessable.
    """
    total = sum(t.weight for t in fault.terms)
    used, rows = 0.0, []
    for term in fault.terms:
        r = results.get(term.metric)
        spec = catalog.metric(term.metric)
        if r is None or r.value is None or r.z is None or spec.smc is None:
            continue
        beyond = beyond_bound(r.value, r.target_low, r.target_high, term.direction)
        used += term.weight
        rows.append((beyond / spec.smc.value, term.weight, term.direction, Evidence(
            metric_id=r.id, value=r.value, unit=r.unit, target_low=r.target_low,
            target_high=r.target_high, z=r.z, beyond=round(beyond, 4), smc=spec.smc.value,
            target_basis=r.target_basis, frame=r.frame, keyframe=r.keyframe)))
    if used == 0:
        return math.nan, 0.0, [], None
    rows.sort(key=lambda x: (-x[0], -x[1]))
    score, _, direction, top = rows[0]
    r, spec = results[top.metric_id], catalog.metric(top.metric_id)
    band = (range_text(top.target_low, top.target_high, top.unit)
            if top.target_low is not None or top.target_high is not None
            else spec.target.text(top.unit) if spec.target is not None else "its target")
    size = (magnitude_text(top.beyond, top.smc, top.unit, direction, top.z)
            if top.beyond is not None and top.smc is not None and top.beyond > 0 else None)
    clause = (f"{spec.label.lower()} {plain_value(top.value, top.unit)} vs {band}"
              + (f" ({r.target_given})" if r.target_given else "")
              + (f": {size}" if size else ""))
    return score, used / total, [e for *_, e in rows], clause


def _direction(fault: FaultSpec, metric_id: str) -> str:
    return next(t.direction for t in fault.terms if t.metric == metric_id)


def _sources(fault: FaultSpec, catalog: MovementCatalog) -> list[str]:
    out = list(fault.source_ids)
    for term in fault.terms:
        t = catalog.metric(term.metric).target
        out += [s for s in (t.source_ids if t else []) if s not in out]
    return list(dict.fromkeys(out))


def findings(catalog: MovementCatalog, results: Mapping[str, MetricResult], *,
             skip: tuple[str, ...] = (), missing_pct: float, view: str, match_factor: float,
             fps: float, angle_noise: float | None = None) -> list[Finding]:
    """Findings with severity above ``none``, most severe first, then by score."""
    out = []
    for fault in catalog.faults:
        if fault.id in skip:
            continue
        score, coverage, evidence, clause = score_fault(fault, catalog, results)
        if math.isnan(score):
            continue
        sev = severity_of(fault, score)
        if sev == "none":
            continue
        top = evidence[0]
        target = catalog.metric(top.metric_id).target
        one_expert = target is not None and target.one_expert
        conf = finding_confidence(missing_pct=missing_pct, view=view,
                                  match_factor=match_factor, fps=fps, coverage=coverage,
                                  angle_noise=angle_noise, one_expert=one_expert)
        out.append(Finding(fault_id=fault.id, label=fault.label, severity=sev,
                           score=round(score, 3), confidence=conf, evidence=evidence,
                           rationale=f"{fault.label}: {clause}",
                           magnitude=(None if top.beyond is None or top.smc is None else
                                      magnitude_text(top.beyond, top.smc, top.unit,
                                                     _direction(fault, top.metric_id), top.z)),
                           reference=top.target_basis, one_expert=one_expert,
                           source_ids=_sources(fault, catalog)))
    out.sort(key=lambda f: (-SEVERITY_RANK[f.severity], -f.score))
    return out


# --- public API --------------------------------------------------------------------------
def _arm_skip(results: Mapping[str, MetricResult], arm_swing: bool | None,
              notes: list[str], faults: tuple[str, ...]) -> tuple[str, ...]:
    """The arm-swing faults (the movement's ``arm_swing_faults``) not to score, with a note."""
    if not faults:
        return ()
    amp = results.get("arm_swing_amplitude")
    if arm_swing is False:
        notes.append("arm-swing faults not scored: the jump was declared as done without "
                     "arm swing")
        return faults
    if arm_swing is None and amp is not None and amp.value is not None \
            and amp.value < NO_ARM_SWING_DEG:
        notes.append(f"arms almost still (shoulder-flexion range {amp.value:.0f}° < "
                     f"{NO_ARM_SWING_DEG:.0f}°): arm-swing faults are scored; if the jump was "
                     "done without arm swing on purpose (hands on hips), analyse it again "
                     "with the no-arm-swing option")
    return ()


def assess(motion: MotionSequence | AngleSequence | Prepared, movement: str, *,
           template: Template | None = None, alignment: Alignment | None = None,
           arm_swing: bool | None = None, fallback_events: bool = False,
           catalog: MovementCatalog | None = None) -> list[AssessmentReport]:
    """Assess every repetition of ``movement`` in a recording (one report each).

    Args:
        motion: positions (3D, or 2D with a view) or joint angles (``.mot``), or a
            recording already prepared (:func:`~sportsgpt.tools.prepare.prepare`): then
            it is not preprocessed again.
        movement: a catalog movement id, or ``"auto"`` (:func:`choose_movement`).
        template: the expert template (default: the packaged one).
        alignment: a MotionDTW alignment already computed for this recording.
        arm_swing: ``False`` skips arm-swing faults (a jump without arm swing by
            design); ``True`` or ``None`` score them (``None`` adds a note when the arms
            are almost still, :data:`NO_ARM_SWING_DEG`).
        fallback_events: with no MotionDTW match, try the event rules before giving up.
        catalog: the metric catalog and targets (default: the packaged one); the
            diagnosis benchmark passes targets derived without the recording under test.

    Raises:
        MovementNotFoundError: no repetition of the movement was found.
        CatalogError, TemplateError, MotionDataError: unknown movement or unusable data.
    """
    prep = motion if isinstance(motion, Prepared) else prepare(motion)
    movement_confidence = None
    if movement == "auto":
        movement, movement_confidence, _ = choose_movement(prep)
    catalog = catalog or load_catalog(movement)
    if catalog.movement != movement:
        raise MotionDataError(f"catalog is for {catalog.movement}, not {movement}")
    template = template or load_template(movement)
    if template.movement != movement:
        raise MotionDataError(f"template is for {template.movement}, not {movement}")
    reps, notes = repetitions(prep, template, alignment, fallback_events=fallback_events)
    if not reps:
        raise MovementNotFoundError(f"no {catalog.label} was found in the recording")
    source = prep.source
    out = []
    for i, rep in enumerate(reps, start=1):
        frames = rep.frames
        results = evaluate_metrics(catalog.metrics, prep, frames)
        rnotes = [*prep.notes, *notes, *rep.notes, *_catalog_notes(catalog, results)]
        timing = timebase_warnings(prep.kin, frames, movement_spec(movement).kind)
        if timing:
            rnotes += timing
            results = _timing_not_assessable(results, catalog)
        skip = _arm_skip(results, arm_swing, rnotes, movement_spec(movement).arm_swing_faults)
        fs = findings(catalog, results, skip=skip, missing_pct=prep.missing_pct,
                      view=prep.view, match_factor=rep.match_factor, fps=prep.kin.fps,
                      angle_noise=prep.angle_noise_deg)
        out.append(AssessmentReport(
            movement=movement, movement_confidence=movement_confidence, repetition=i,
            source=source, fps=prep.kin.fps, n_frames=prep.kin.n_frames,
            keyframes=rep.keyframes, phases=rep.phases, metrics=list(results.values()),
            findings=fs, quality=QualityOut(
                dim=prep.dim, view=prep.view, missing_pct=round(prep.missing_pct, 3),
                match_quality=rep.match_quality, notes=rnotes,
                angle_noise_deg=None if prep.angle_noise_deg is None
                else round(prep.angle_noise_deg, 3)),
            template_version=template.version, notes=rnotes))
    return out


def _catalog_notes(catalog: MovementCatalog, results: Mapping[str, MetricResult]
                   ) -> list[str]:
    """Notes a catalog's metrics call for: the LESS items a partial LESS count leaves out."""
    return [less_note() for m in catalog.metrics
            if m.definition.computation == "less_error_count"
            and results[m.id].value is not None]


def flight_travel(prep: Prepared) -> float | None:
    """Horizontal pelvis travel from takeoff to landing of the highest jump, leg lengths.

    ``None`` without 3D or side-view positions in metres, or without a flight.
    """
    m = prep.motion
    if m is None or m.units != "m" or (m.dim == 2 and m.view != "sagittal") \
            or not prep.kin.has("foot_contact_left", "foot_contact_right", "pelvis_height"):
        return None
    try:
        jumps = jump_events(prep.kin)
    except MotionDataError:
        return None
    length = leg_length(m)
    if not jumps or not length or not m.has("pelvis"):
        return None
    h = prep.kin.channel("pelvis_height")
    e = max(jumps, key=lambda j: float(h[j.frames["apex"]])).frames
    x = m.joint("pelvis")[:, 0]
    travel = float(x[e["landing"]] - x[e["takeoff"]]) / length
    return travel if math.isfinite(travel) else None


def choose_movement(motion: MotionSequence | AngleSequence | Prepared
                    ) -> tuple[str, float, dict[str, float]]:
    """The shipped movement whose template matches best, a confidence, and every ratio.

    For each template the best MotionDTW span (any cost) gives
    ``ratio = normalised cost / match threshold`` (threshold scaled to the channels
    used). The lowest ratio wins; confidence ``= 1 - best / second`` (0: a tie), halved
    when even the best ratio exceeds 1 (no template matches within its threshold).
    When the best has a flight and positions show it, the jump type is decided by the
    pelvis travel in flight, which the joint-angle templates cannot see: a movement whose
    spec gives ``min_flight_travel`` T (the standing long jump: 0.15 leg lengths; CMU 118
    travels 0.26-0.94, CMU 16_01/16_02 -0.03) is chosen when the travel reaches T, a jump
    in place otherwise (the best-matching of each group); the confidence is then
    ``1 - jump ratio / best no-flight ratio`` times ``min(1, |travel - T| / T)``.
    """
    prep = motion if isinstance(motion, Prepared) else prepare(motion)
    ratios: dict[str, float] = {}
    for movement in movement_ids():
        template = load_template(movement)
        try:
            a = align_channels(prep.kin_events, template, threshold=AUTO_THRESHOLD, max_matches=1,
                               refine=False)
        except MotionDataError:
            continue
        if a.spans:
            cost = min(s.normalized_cost for s in a.spans)
            ratios[movement] = round(cost / _effective_threshold(template, a.channels), 4)
    if not ratios:
        raise MovementNotFoundError("no shipped movement template could be aligned to the "
                                    "recording (too few usable channels)")
    ranked = sorted(ratios, key=lambda m: ratios[m])
    best = ranked[0]
    conf = 1.0 if len(ranked) == 1 else 1.0 - ratios[best] / max(ratios[ranked[1]], 1e-12)
    travel = flight_travel(prep) if movement_spec(best).flight else None
    forward = [m for m in flight_movements() if movement_spec(m).travels_forward]
    in_place = [m for m in flight_movements() if not movement_spec(m).travels_forward]
    if travel is not None and forward and in_place:
        threshold = min(movement_spec(m).min_flight_travel or math.inf for m in forward)
        group = forward if travel >= threshold else in_place
        best = min(group, key=lambda m: ratios.get(m, math.inf))
        ground = min((r for m, r in ratios.items() if not movement_spec(m).flight),
                     default=None)
        jump = min(ratios.get(j, math.inf) for j in flight_movements())
        conf = 1.0 if ground is None else 1.0 - jump / max(ground, 1e-12)
        conf *= min(1.0, abs(travel - threshold) / threshold)
    if ratios[best] > 1.0:
        conf *= 0.5
    return best, round(float(np.clip(conf, 0.0, 1.0)), 3), ratios
