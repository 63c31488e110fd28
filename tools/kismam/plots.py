"""Plots for KISMAM's assessment reports (PNG bytes and small inline SVG).

Every figure is drawn on a :class:`matplotlib.figure.Figure` attached to the
Agg canvas directly (no ``pyplot``, no display, no global backend switch), and
matplotlib is imported inside the functions, so importing this module stays
cheap. Output is deterministic: fixed figure sizes and DPI, and no software
name or date in the PNG metadata.

Choices, stated once:

* **Template envelope on the athlete's time axis.** A template frame ``i`` is
  mapped onto the athlete's time by piecewise-linear interpolation between
  corresponding keyframes (the keyframes both have, in the template's order,
  kept only while the athlete's times increase). Before the first and after
  the last common keyframe the template runs at its own speed (one template
  second = one athlete second). With a single common keyframe the envelope is
  only shifted. See :func:`template_time_on_athlete`.
* **Stick figures** are drawn in the sagittal plane, ``x`` forward and ``y``
  up. 3D motions not yet facing ``+x`` are rotated with
  :func:`~sportsgpt.tools.preprocess.normalise_facing`; the ground is set to
  ``y = 0`` with :func:`~sportsgpt.tools.preprocess.normalise_ground`. The
  template's figure (from an expert recording) is shifted horizontally so its
  pelvis lies on the athlete's; it is not rescaled.
* A keyframe is located in a sequence by its time (``round(time_s * fps)``),
  so kinematics or motions at another frame rate than the report still line
  up. A keyframe outside the data raises
  :class:`~sportsgpt.core.errors.MotionDataError`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Final

import numpy as np

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.kismam.models import KeyframeOut, MetricResult, PhaseOut

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sportsgpt.tools.motion import AngleSequence, FloatArray, MotionSequence
    from sportsgpt.tools.motiondtw.templates import Template

DPI: Final = 100
WINDOW_PAD_S: Final = 0.4
"""Seconds shown before the first and after the last keyframe in time plots."""
LEFT_COLOUR: Final = "#1f77b4"
RIGHT_COLOUR: Final = "#d62728"
MID_COLOUR: Final = "#222222"
TEMPLATE_COLOUR: Final = "#8c8c8c"
STATUS_COLOUR: Final = {"ok": "#2ca02c", "low": "#d62728", "high": "#d62728",
                        "not_assessable": "#7f7f7f"}

DEFAULT_CHANNELS: Final = (
    "knee_flexion_left", "knee_flexion_right", "hip_flexion_left", "hip_flexion_right",
    "ankle_dorsiflexion_left", "ankle_dorsiflexion_right", "trunk_inclination",
    "shoulder_flexion_left", "shoulder_flexion_right", "pelvis_rel_height")
"""Channels plotted when no template says which (MotionDTW's channels)."""

BONES: Final = (
    ("pelvis", "left_hip"), ("pelvis", "right_hip"), ("left_hip", "left_knee"),
    ("right_hip", "right_knee"), ("left_knee", "left_ankle"), ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"), ("right_ankle", "right_heel"), ("left_ankle", "left_toe"),
    ("right_ankle", "right_toe"), ("left_heel", "left_toe"), ("right_heel", "right_toe"),
    ("pelvis", "thorax"), ("thorax", "neck"), ("neck", "head"),
    ("thorax", "left_shoulder"), ("thorax", "right_shoulder"),
    ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
    ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"))
"""Segments of the canonical skeleton drawn in stick figures (missing joints are skipped)."""


# --- helpers ----------------------------------------------------------------------------
def _new_figure(width_in: float, height_in: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes, without software or date metadata."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _frame_at(time_s: float, fps: float, n_frames: int, what: str, name: str) -> int:
    frame = round(time_s * fps)
    if not 0 <= frame < n_frames:
        raise MotionDataError(
            f"keyframe {name!r} at {time_s:.3f} s lies outside the {what} "
            f"({n_frames} frames at {fps:g} fps): is it the recording the report is about?")
    return frame


def _pretty(name: str) -> str:
    return name.replace("_", " ")


def channel_groups(channels: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Channels grouped into panels: ``x_left`` and ``x_right`` share the panel ``x``."""
    groups: dict[str, list[str]] = {}
    for c in channels:
        base = c.removesuffix("_left").removesuffix("_right")
        groups.setdefault(base, []).append(c)
    return list(groups.items())


def template_time_on_athlete(template: Template, keyframes: Sequence[KeyframeOut]) -> FloatArray:
    """Athlete time (s) of every template frame (see the module docstring).

    Raises:
        MotionDataError: when the template and the report share no keyframe.
    """
    athlete = {k.name: k.time_s for k in keyframes}
    pairs: list[tuple[float, float]] = []
    for name, frame in sorted(template.keyframes.items(), key=lambda kv: kv[1]):
        if name in athlete and (not pairs or (frame / template.fps > pairs[-1][0]
                                              and athlete[name] > pairs[-1][1])):
            pairs.append((frame / template.fps, athlete[name]))
    if not pairs:
        raise MotionDataError(
            f"the template's keyframes {sorted(template.keyframes)} and the report's "
            f"{sorted(athlete)} have none in common: the envelope cannot be placed")
    t_tpl = np.arange(template.n_frames, dtype=np.float64) / template.fps
    src = np.array([p[0] for p in pairs])
    dst = np.array([p[1] for p in pairs])
    out = np.interp(t_tpl, src, dst)
    before, after = t_tpl < src[0], t_tpl > src[-1]
    out[before] = dst[0] + (t_tpl[before] - src[0])
    out[after] = dst[-1] + (t_tpl[after] - src[-1])
    return np.asarray(out, dtype=np.float64)


def _mark_keyframes(ax: Axes, keyframes: Sequence[KeyframeOut], *, labels: bool) -> None:
    for k in keyframes:
        ax.axvline(k.time_s, color="#555555", lw=0.8, ls="--", zorder=1)
    if labels:
        top = ax.secondary_xaxis("top")
        top.set_xticks([k.time_s for k in keyframes],
                       labels=[_pretty(k.name) for k in keyframes])
        top.tick_params(axis="x", labelsize=7, labelrotation=35, length=3)
        for lab in top.get_xticklabels():
            lab.set_horizontalalignment("left")


# --- joint-angle curves -----------------------------------------------------------------
def plot_angle_curves(kinematics: AngleSequence, keyframes: Sequence[KeyframeOut], *,
                      template: Template | None = None,
                      channels: Sequence[str] | None = None,
                      title: str | None = None) -> bytes:
    """Joint-angle curves of the athlete against the template envelope, as PNG.

    One panel per joint (left and right together), time in seconds on the
    athlete's clock, cropped to the keyframes ± :data:`WINDOW_PAD_S`, keyframes
    as dashed lines named on the top axis. With a template, its mean ± one SD
    envelope (the experts aligned to it) is drawn under each channel it has.

    Args:
        kinematics: the athlete's channels (``motion_channels`` output).
        keyframes: the report's keyframes.
        template: the movement template, or None for no envelope.
        channels: channels to plot; default: the template's, else
            :data:`DEFAULT_CHANNELS`, those present with data.
        title: figure title.

    Raises:
        MotionDataError: no channel to plot, or keyframes outside the data.
    """
    wanted = tuple(channels) if channels is not None else (
        template.channels if template is not None else DEFAULT_CHANNELS)
    present = [c for c in wanted if kinematics.has(c)
               and bool(np.isfinite(kinematics.channel(c)).any())]
    if not present:
        raise MotionDataError(f"none of the channels {list(wanted)} has data to plot")
    for k in keyframes:
        _frame_at(k.time_s, kinematics.fps, kinematics.n_frames, "kinematics", k.name)
    t = np.arange(kinematics.n_frames) / kinematics.fps
    lo = max(0.0, min((k.time_s for k in keyframes), default=0.0) - WINDOW_PAD_S)
    hi = min(float(t[-1]), max((k.time_s for k in keyframes), default=float(t[-1]))
             + WINDOW_PAD_S)
    window = (t >= lo) & (t <= hi)
    t_tpl = template_time_on_athlete(template, keyframes) if template is not None else None
    tpl_mean = np.asarray(template.envelope_mean) if template is not None else None
    tpl_std = np.asarray(template.envelope_std) if template is not None else None

    groups = channel_groups(present)
    ncols = 2 if len(groups) > 1 else 1
    nrows = math.ceil(len(groups) / ncols)
    fig = _new_figure(5.5 * ncols, 2.6 * nrows + 0.9)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    for idx, (base, chans) in enumerate(groups):
        ax = axes[idx // ncols][idx % ncols]
        for c in chans:
            colour = (LEFT_COLOUR if c.endswith("_left")
                      else RIGHT_COLOUR if c.endswith("_right") else MID_COLOUR)
            side = "left" if c.endswith("_left") else "right" if c.endswith("_right") else ""
            if template is not None and t_tpl is not None and c in template.channels:
                j = template.channels.index(c)
                assert tpl_mean is not None and tpl_std is not None
                m, s = tpl_mean[:, j], tpl_std[:, j]
                ax.fill_between(t_tpl, m - s, m + s, color=colour, alpha=0.15, lw=0,
                                zorder=2)
                ax.plot(t_tpl, m, color=colour, lw=1.0, ls=":", alpha=0.8, zorder=3)
            ax.plot(t[window], kinematics.channel(c)[window], color=colour, lw=1.8,
                    zorder=4, label=side or "athlete")
        unit = kinematics.units[kinematics.channels.index(chans[0])]
        ax.set_title(_pretty(base), fontsize=10)
        ax.set_ylabel("relative" if unit == "1" else unit, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(True, lw=0.3, alpha=0.5)
        ax.set_xlim(lo, hi)
        _mark_keyframes(ax, keyframes, labels=idx < ncols)
        if idx >= len(groups) - ncols:
            ax.set_xlabel("time (s)", fontsize=9)
            ax.tick_params(axis="x", labelbottom=True)
    for idx in range(len(groups), nrows * ncols):
        axes[idx // ncols][idx % ncols].set_visible(False)
    _angle_legend(fig, template is not None)
    if title:
        fig.suptitle(title, fontsize=11, y=0.995)
    fig.tight_layout(rect=(0.0, 0.045, 1.0, 0.985 if title else 1.0))
    return figure_png(fig)


def _angle_legend(fig: Figure, with_template: bool) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Line2D | Patch] = [
        Line2D([], [], color=LEFT_COLOUR, lw=1.8, label="athlete, left"),
        Line2D([], [], color=RIGHT_COLOUR, lw=1.8, label="athlete, right"),
        Line2D([], [], color=MID_COLOUR, lw=1.8, label="athlete (midline)")]
    if with_template:
        handles += [Line2D([], [], color=TEMPLATE_COLOUR, lw=1.0, ls=":",
                           label="template mean"),
                    Patch(color=TEMPLATE_COLOUR, alpha=0.3, label="template ± 1 SD")]
    handles.append(Line2D([], [], color="#555555", lw=0.8, ls="--", label="keyframe"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
               frameon=False)


# --- stick figures ----------------------------------------------------------------------
def sagittal_positions(motion: MotionSequence) -> tuple[FloatArray, list[str]]:
    """``(T, J, 2)`` sagittal coordinates (x forward, y up, ground at 0) and notes.

    Raises:
        MotionDataError: for a 2D frontal view (no sagittal plane in it).
    """
    from sportsgpt.tools.preprocess import normalise_facing, normalise_ground

    notes: list[str] = []
    if motion.dim == 2 and motion.view == "frontal":
        raise MotionDataError("a 2D frontal view holds no sagittal plane to draw")
    if motion.facing != "+x":
        motion, step = normalise_facing(motion)
        if not step.applied:
            notes.append(f"facing not normalised ({step.details.get('reason', 'no cue')}): "
                         "the figure is the x-y projection as recorded")
    motion, step = normalise_ground(motion)
    if not step.applied:
        notes.append("ground not found: y as recorded")
    return np.asarray(motion.positions[:, :, :2], dtype=np.float64), notes


def _draw_skeleton(ax: Axes, xy: FloatArray, joints: tuple[str, ...], *, template: bool,
                   dx: float = 0.0) -> None:
    index = {j: i for i, j in enumerate(joints)}
    for a, b in BONES:
        if a not in index or b not in index:
            continue
        pa, pb = xy[index[a]], xy[index[b]]
        if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
            continue
        if template:
            colour, lw, alpha = TEMPLATE_COLOUR, 3.5, 0.45
        else:
            left, right = a.startswith("left_") or b.startswith("left_"), (
                a.startswith("right_") or b.startswith("right_"))
            colour = LEFT_COLOUR if left else RIGHT_COLOUR if right else MID_COLOUR
            lw, alpha = 2.0, 1.0
        ax.plot([pa[0] + dx, pb[0] + dx], [pa[1], pb[1]], color=colour, lw=lw, alpha=alpha,
                solid_capstyle="round", zorder=2 if template else 4)
    if "head" in index and np.isfinite(xy[index["head"]]).all() and not template:
        ax.plot(xy[index["head"], 0] + dx, xy[index["head"], 1], "o", ms=6, color=MID_COLOUR,
                zorder=5)


def _pelvis_x(xy: FloatArray, joints: tuple[str, ...]) -> float:
    for name in ("pelvis", "left_hip", "right_hip"):
        if name in joints and np.isfinite(xy[joints.index(name)]).all():
            return float(xy[joints.index(name), 0])
    finite = xy[np.isfinite(xy).all(axis=1)]
    return float(finite[:, 0].mean()) if finite.size else 0.0


def plot_stick_figures(motion: MotionSequence, keyframes: Sequence[KeyframeOut], *,
                       template_motion: MotionSequence | None = None,
                       template_keyframes: dict[str, int] | None = None,
                       title: str | None = None) -> tuple[bytes, list[str]]:
    """Sagittal stick figures of the athlete at each keyframe, as PNG, and caption notes.

    Args:
        motion: the athlete's recording (the one the report is about).
        keyframes: the report's keyframes.
        template_motion: an expert recording to draw in grey behind the athlete.
        template_keyframes: keyframe frames in ``template_motion``; required
            with it (see :func:`template_motion_keyframes`).
        title: figure title.

    Raises:
        MotionDataError: no keyframe, no sagittal plane, keyframes outside the
            data, or a template motion without keyframes.
    """
    if not keyframes:
        raise MotionDataError("the report has no keyframes to draw stick figures at")
    if template_motion is not None and template_keyframes is None:
        raise MotionDataError("a template motion needs its keyframes (template_keyframes)")
    xy, notes = sagittal_positions(motion)
    frames = [_frame_at(k.time_s, motion.fps, motion.n_frames, "motion", k.name)
              for k in keyframes]
    txy: FloatArray | None = None
    if template_motion is not None:
        txy, tnotes = sagittal_positions(template_motion)
        notes += [f"template: {n}" for n in tnotes]
    finite_y = xy[..., 1][np.isfinite(xy[..., 1])]
    if finite_y.size == 0:
        raise MotionDataError("the motion has no tracked positions to draw")
    y_top = float(finite_y.max())
    half = 0.3 * max(y_top, 1e-9)
    n = len(keyframes)
    fig = _new_figure(1.9 * n + 0.4, 4.7)
    axes = fig.subplots(1, n, squeeze=False, sharey=True)[0]
    for ax, k, f in zip(axes, keyframes, frames, strict=True):
        cx = _pelvis_x(xy[f], motion.joints)
        if txy is not None and template_motion is not None and template_keyframes is not None:
            tf = template_keyframes.get(k.name)
            if tf is not None and 0 <= tf < template_motion.n_frames:
                dx = cx - _pelvis_x(txy[tf], template_motion.joints)
                _draw_skeleton(ax, txy[tf], template_motion.joints, template=True, dx=dx)
        _draw_skeleton(ax, xy[f], motion.joints, template=False)
        ax.axhline(0.0, color="#999999", lw=1.0, zorder=1)
        ax.set_xlim(cx - half, cx + half)
        ax.set_ylim(-0.05 * y_top, 1.08 * y_top)
        ax.set_aspect("equal", adjustable="box")
        ax.set_title(f"{_pretty(k.name)}\nframe {k.frame}, {k.time_s:.2f} s", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlabel(f"x forward ({motion.units})", fontsize=7)
    axes[0].set_ylabel(f"y up ({motion.units})", fontsize=8)
    _stick_legend(fig, template_motion is not None)
    if title:
        fig.suptitle(title, fontsize=10, y=0.99)
    fig.tight_layout(rect=(0.0, 0.07, 1.0, 0.95 if title else 1.0))
    return figure_png(fig), notes


def _stick_legend(fig: Figure, with_template: bool) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=LEFT_COLOUR, lw=2, label="left"),
               Line2D([], [], color=RIGHT_COLOUR, lw=2, label="right"),
               Line2D([], [], color=MID_COLOUR, lw=2, label="trunk/head")]
    if with_template:
        handles.append(Line2D([], [], color=TEMPLATE_COLOUR, lw=3.5, alpha=0.45,
                              label="template expert"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
               frameon=False)


def template_motion_keyframes(template: Template, template_motion: MotionSequence,
                              movement: str) -> tuple[dict[str, int], str]:
    """Keyframe frames in an expert recording, and how they were found.

    When the recording is one of the template's experts (same file name in its
    provenance), the keyframes the template was built from are used (crop
    offset added, template frame rate converted back); otherwise the
    documented event rules (:func:`~sportsgpt.tools.motiondtw.templates.detect_keyframes`)
    run on it.
    """
    from sportsgpt.graph_kb.movements import movement_spec
    from sportsgpt.tools.motiondtw.features import motion_channels
    from sportsgpt.tools.motiondtw.templates import detect_keyframes

    path = template_motion.source_path
    for ex in template.provenance.experts:
        if path is not None and ex.name == path.name:
            scale = ex.fps / template.fps
            return ({k: ex.crop[0] + round(v * scale) for k, v in ex.keyframes.items()},
                    f"the keyframes template version {template.version} was built with")
    kf = detect_keyframes(motion_channels(template_motion), movement_spec(movement))
    return kf, "keyframes found by the event rules (sportsgpt.tools.events)"


# --- report-only plots ------------------------------------------------------------------
def _band_axis(metric: MetricResult) -> tuple[float, float] | None:
    pts = [x for x in (metric.target_low, metric.target_high, metric.value)
           if x is not None and math.isfinite(x)]
    if not pts:
        return None
    lo, hi = min(pts), max(pts)
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return lo - 0.25 * span, hi + 0.25 * span


def metric_band_svg(metric: MetricResult, *, width: int = 160, height: int = 18) -> str:
    """A small inline SVG: the target band (green) and the value (dot, by status).

    The axis spans the band and the value with a quarter of their range to
    spare; an open-ended band (only a low or only a high bound) runs to the
    axis edge. A metric without value or target shows only what it has.
    """
    label = escape(f"{metric.label}: target band and value", quote=True)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}">')
    axis = _band_axis(metric)
    mid = height / 2
    parts = [head, f'<line x1="0" y1="{mid:g}" x2="{width}" y2="{mid:g}" '
                   'stroke="#cccccc" stroke-width="1"/>']
    if axis is not None:
        a0, a1 = axis

        def px(v: float) -> float:
            return round((v - a0) / (a1 - a0) * width, 1)

        if metric.target_low is not None or metric.target_high is not None:
            b0 = px(metric.target_low) if metric.target_low is not None else 0.0
            b1 = px(metric.target_high) if metric.target_high is not None else float(width)
            parts.append(f'<rect x="{b0:g}" y="{mid - 5:g}" width="{max(b1 - b0, 1.0):g}" '
                         'height="10" fill="#2ca02c" fill-opacity="0.3"/>')
        if metric.value is not None and math.isfinite(metric.value):
            parts.append(f'<circle cx="{px(metric.value):g}" cy="{mid:g}" r="4.5" '
                         f'fill="{STATUS_COLOUR[metric.status]}" stroke="#ffffff" '
                         'stroke-width="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def plot_metric_bands(metrics: Sequence[MetricResult], *, title: str | None = None) -> bytes:
    """Every metric as a row: target band (green) and value (dot), as PNG.

    Each row has its own scale (:func:`metric_band_svg`'s axis); the numbers
    are written beside it. Not-assessable metrics are listed with "n/a".

    Raises:
        MotionDataError: when there is no metric.
    """
    if not metrics:
        raise MotionDataError("the report has no metrics to plot")
    n = len(metrics)
    top = 0.45 if title else 0.1
    height = 0.3 * n + 0.2 + top
    fig = _new_figure(9.0, height)
    ax = fig.add_axes((0.36, 0.1 / height, 0.3, (height - 0.1 - top) / height))
    for row, m in enumerate(metrics):
        y = n - 1 - row
        axis = _band_axis(m)
        ax.text(-0.02, y, m.label, ha="right", va="center", fontsize=8,
                transform=ax.get_yaxis_transform())
        if axis is None:
            ax.text(1.02, y, "n/a", ha="left", va="center", fontsize=8, color="#7f7f7f",
                    transform=ax.get_yaxis_transform())
            continue
        a0, a1 = axis

        def u(v: float, a0: float = a0, a1: float = a1) -> float:
            return (v - a0) / (a1 - a0)

        ax.plot([0, 1], [y, y], color="#cccccc", lw=0.8, zorder=1)
        if m.target_low is not None or m.target_high is not None:
            b0 = u(m.target_low) if m.target_low is not None else 0.0
            b1 = u(m.target_high) if m.target_high is not None else 1.0
            ax.barh(y, b1 - b0, left=b0, height=0.55, color="#2ca02c", alpha=0.3)
        if m.value is not None:
            ax.plot(u(m.value), y, "o", ms=6, color=STATUS_COLOUR[m.status], zorder=3)
        ax.text(1.02, y, _band_text(m), ha="left", va="center", fontsize=8,
                transform=ax.get_yaxis_transform())
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks([])
    ax.set_xticks([])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    return figure_png(fig)


def format_number(v: float | None) -> str:
    """A value for reading: one decimal from 10 up (trailing ``.0`` dropped), else 3 digits."""
    if v is None or not math.isfinite(v):
        return "—"
    text = f"{v:.1f}".removesuffix(".0") if abs(v) >= 10 else f"{v:.3g}"
    return text.replace("-", "−")


def target_text(m: MetricResult) -> str:
    """The target band in words: ``80 to 110 deg``, ``≥ 0.3 m``, ``≤ 45 deg`` or ``—``."""
    lo, hi = m.target_low, m.target_high
    given = f" ({m.target_given})" if m.target_given else ""
    if lo is not None and hi is not None:
        return f"{format_number(lo)} to {format_number(hi)} {m.unit}{given}"
    if lo is not None:
        return f"≥ {format_number(lo)} {m.unit}{given}"
    if hi is not None:
        return f"≤ {format_number(hi)} {m.unit}{given}"
    return "—"


def _band_text(m: MetricResult) -> str:
    if m.value is None:
        return f"n/a (target {target_text(m)}; not assessable)"
    return f"{format_number(m.value)} {m.unit}  (target {target_text(m)}; {m.status})"


def plot_phase_timeline(phases: Sequence[PhaseOut], keyframes: Sequence[KeyframeOut], fps: float,
                        *, title: str | None = None) -> bytes:
    """Phases as coloured bars on a time axis with keyframes marked, as PNG.

    Raises:
        MotionDataError: when there is neither a phase nor a keyframe.
    """
    if not phases and not keyframes:
        raise MotionDataError("the report has no phases or keyframes to plot")
    fig = _new_figure(9.0, 2.6)
    ax = fig.add_axes((0.04, 0.22, 0.84, 0.36))
    colours = ("#9ecae1", "#fdae6b", "#a1d99b", "#bcbddc", "#fdd0a2", "#c7e9c0")
    for i, p in enumerate(phases):
        start = p.start_frame / fps
        ax.barh(0, p.duration_s, left=start, height=1.0, color=colours[i % len(colours)],
                edgecolor="#555555", lw=0.6)
        ax.text(start + p.duration_s / 2, 0, f"{_pretty(p.name)}\n{p.duration_s:.2f} s",
                ha="center", va="center", fontsize=7)
    _mark_keyframes(ax, keyframes, labels=True)
    times = [p.start_frame / fps for p in phases] + [p.end_frame / fps for p in phases] + [
        k.time_s for k in keyframes]
    pad = 0.02 * max(max(times) - min(times), 1.0 / fps)
    ax.set_xlim(min(times) - pad, max(times) + pad)
    ax.set_yticks([])
    ax.set_ylim(-0.5, 0.5)
    ax.set_xlabel("time (s)", fontsize=9)
    ax.tick_params(labelsize=8)
    if title:
        fig.suptitle(title, fontsize=10, y=0.98)
    return figure_png(fig)
