"""Figures for the demo: the athlete's skeleton beside the template expert's, frame by frame.

A :class:`SkeletonViewer` is made once per analysis (positions normalised once: facing
``+x``, ground at ``y = 0``) and draws any frame as a matplotlib figure: 3D axes for 3D
recordings, the 2D image plane otherwise. The template's skeleton is an expert recording
the template was built from (a template stores joint-angle channels only), placed at the
expert frame that corresponds to the athlete's frame: piecewise-linear between the
keyframes both have, at the expert's own speed outside them.

The other figures (joint-angle curves against the template envelope, metric bands, the
phase timeline) are :mod:`sportsgpt.tools.kismam.plots`' PNGs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sportsgpt.core.errors import SportsGPTError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sportsgpt.tools.analysis import Analysis
    from sportsgpt.tools.motion import FloatArray, MotionSequence


@dataclass(frozen=True)
class Skeleton:
    """Normalised positions of one recording, ``(T, J, D)``, with its joint names."""

    xyz: FloatArray
    joints: tuple[str, ...]
    fps: float
    label: str


def _normalised(motion: MotionSequence, label: str) -> Skeleton:
    from sportsgpt.tools.preprocess import normalise_facing, normalise_ground

    if motion.dim == 3 or motion.view != "frontal":
        motion, _ = normalise_facing(motion)
    if motion.dim == 3:
        motion, _ = normalise_ground(motion)
    return Skeleton(np.asarray(motion.positions, dtype=np.float64), motion.joints, motion.fps,
                    label)


@dataclass(frozen=True)
class SkeletonViewer:
    """Draws the athlete (and the template expert, when found) at any frame."""

    athlete: Skeleton
    expert: Skeleton | None
    athlete_kf: tuple[int, ...]
    expert_kf: tuple[int, ...]
    keyframes: dict[int, str]

    @property
    def n_frames(self) -> int:
        """Frames of the athlete's recording."""
        return int(self.athlete.xyz.shape[0])

    @property
    def dim(self) -> int:
        """2 or 3."""
        return int(self.athlete.xyz.shape[2])

    def expert_frame(self, frame: int) -> int | None:
        """The expert frame matching the athlete's ``frame`` (None without an expert)."""
        if self.expert is None:
            return None
        n = int(self.expert.xyz.shape[0])
        if not self.athlete_kf:
            return min(max(round(frame / self.athlete.fps * self.expert.fps), 0), n - 1)
        a, e = np.array(self.athlete_kf, float), np.array(self.expert_kf, float)
        speed = self.expert.fps / self.athlete.fps
        if frame < a[0]:
            value = e[0] - (a[0] - frame) * speed
        elif frame > a[-1]:
            value = e[-1] + (frame - a[-1]) * speed
        else:
            value = float(np.interp(frame, a, e))
        return int(min(max(round(value), 0), n - 1))

    def figure(self, frame: int) -> Figure:
        """The athlete at ``frame`` beside the expert at the matching frame.

        Raises:
            SportsGPTError: ``frame`` outside the recording.
        """
        if not 0 <= frame < self.n_frames:
            raise SportsGPTError(f"frame {frame} is outside the recording "
                                 f"(0 to {self.n_frames - 1})")
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        panels: list[tuple[Skeleton, int]] = [(self.athlete, frame)]
        ef = self.expert_frame(frame)
        if self.expert is not None and ef is not None:
            panels.append((self.expert, ef))
        fig = Figure(figsize=(4.2 * len(panels), 4.6), dpi=90)
        FigureCanvasAgg(fig)
        lim = _limits(self.athlete.xyz, self.expert.xyz if self.expert is not None else None)
        for i, (sk, f) in enumerate(panels):
            kw = {"projection": "3d"} if self.dim == 3 else {}
            ax = fig.add_subplot(1, len(panels), i + 1, **kw)
            _draw(ax, sk, f, lim, expert=i > 0)
            name = self.keyframes.get(f) if i == 0 else None
            t = f / sk.fps
            ax.set_title(f"{sk.label}\nframe {f}, {t:.2f} s" + (f" · {name}" if name else ""),
                         fontsize=9)
        fig.tight_layout()
        return fig


def _limits(a: FloatArray, b: FloatArray | None) -> tuple[FloatArray, FloatArray]:
    pts = a.reshape(-1, a.shape[2])
    if b is not None and b.shape[2] == a.shape[2]:
        pts = np.vstack([pts, b.reshape(-1, b.shape[2])])
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not pts.size:
        return np.zeros(a.shape[2]), np.ones(a.shape[2])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2 * 1.05 + 1e-9
    return centre - half, centre + half


def _draw(ax: Axes, sk: Skeleton, frame: int, lim: tuple[FloatArray, FloatArray], *,
          expert: bool) -> None:
    from sportsgpt.tools.kismam.plots import (
        BONES,
        LEFT_COLOUR,
        MID_COLOUR,
        RIGHT_COLOUR,
        TEMPLATE_COLOUR,
    )

    index = {j: i for i, j in enumerate(sk.joints)}
    p = sk.xyz[frame]
    for a, b in BONES:
        if a not in index or b not in index:
            continue
        pa, pb = p[index[a]], p[index[b]]
        if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
            continue
        side = "left" if "left_" in a + b else "right" if "right_" in a + b else "mid"
        colour = TEMPLATE_COLOUR if expert and side == "mid" else {
            "left": LEFT_COLOUR, "right": RIGHT_COLOUR, "mid": MID_COLOUR}[side]
        if p.shape[1] == 3:  # x forward, z lateral, y up -> plot (x, z, y)
            ax.plot([pa[0], pb[0]], [pa[2], pb[2]], [pa[1], pb[1]], color=colour, lw=2.2)
        else:
            ax.plot([pa[0], pb[0]], [pa[1], pb[1]], color=colour, lw=2.2)
    lo, hi = lim
    if p.shape[1] == 3:
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[2], hi[2])
        ax.set_zlim(lo[1], hi[1])  # type: ignore[attr-defined]
        ax.set_xlabel("x forward", fontsize=7)
        ax.set_ylabel("z", fontsize=7)
        ax.set_zlabel("y up", fontsize=7)  # type: ignore[attr-defined]
        ax.view_init(elev=12, azim=-70)  # type: ignore[attr-defined]
    else:
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("x", fontsize=7)
        ax.set_ylabel("y up", fontsize=7)
    ax.tick_params(labelsize=6)


def skeleton_viewer(analysis: Analysis, expert_motion: MotionSequence | None = None
                    ) -> SkeletonViewer | None:
    """A viewer for the analysis's recording, or None when it holds no joint positions."""
    motion = analysis.prepared.motion
    if motion is None:
        return None
    athlete = _normalised(motion, "athlete")
    report = analysis.reports[0]
    marks = {k.frame: k.name.replace("_", " ") for k in report.keyframes}
    expert = None
    a_kf: list[int] = []
    e_kf: list[int] = []
    if expert_motion is not None and expert_motion.dim == motion.dim:
        from sportsgpt.tools.kismam.plots import template_motion_keyframes

        name = expert_motion.source_path.name if expert_motion.source_path else "expert"
        expert = _normalised(expert_motion, f"template expert ({name})")
        found, _how = template_motion_keyframes(analysis.template, expert_motion,
                                                analysis.movement)
        for k in sorted(report.keyframes, key=lambda k: k.frame):
            ef = found.get(k.name)
            if ef is not None and (not a_kf or (k.frame > a_kf[-1] and ef > e_kf[-1])):
                a_kf.append(k.frame)
                e_kf.append(int(ef))
    return SkeletonViewer(athlete, expert, tuple(a_kf), tuple(e_kf), marks)
