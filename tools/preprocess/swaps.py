"""Left/right swap repair for markerless sources.

**Left/right swaps** (markerless sources): each frame is compared with a
running median of the trajectories (:data:`SWAP_WINDOW_S` wide, so swapped
runs shorter than half of it do not move the reference). For each limb group
(legs, arms, head) a frame is relabelled when swapping that group's
left/right points brings them closer to the reference than keeping them by a
large margin: swapped distance below half the kept distance and smaller by
at least 3 % of the body's size. The count is the number of frames changed.
"""

from __future__ import annotations

import numpy as np

from sportsgpt.tools.motion import FloatArray, MotionSequence
from sportsgpt.tools.preprocess.common import (
    BoolArray,
    Detail,
    IntArray,
    StepReport,
    base_name,
    not_applied,
    tracked_mask,
    with_note,
)
from sportsgpt.tools.skeleton import mirror_name

SWAP_WINDOW_S = 0.15
"""Width of the running median used as reference by the swap repair, in seconds."""

_LEG_WORDS = ("hip", "knee", "ankle", "heel", "toe", "foot")
_ARM_WORDS = ("shoulder", "elbow", "wrist", "pinky", "index", "thumb", "hand")


def _lr_pairs(joints: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """``(left index, right index, base name)`` for each left_/right_ pair present."""
    index = {j: i for i, j in enumerate(joints)}
    return [(i, index[mirror_name(j)], base_name(j)) for i, j in enumerate(joints)
            if j.startswith("left_") and mirror_name(j) in index]


def _group(base: str) -> str:
    if any(w in base for w in _LEG_WORDS):
        return "legs"
    if any(w in base for w in _ARM_WORDS):
        return "arms"
    return "head"


def _fill_nearest(pos: FloatArray) -> FloatArray:
    """Carry the last tracked sample forward (and the first one back) per joint."""
    ok = tracked_mask(pos)
    n_frames = pos.shape[0]
    idx = np.where(ok, np.arange(n_frames)[:, None], -1)
    fwd = np.maximum.accumulate(idx, axis=0)
    idx_b = np.where(ok, np.arange(n_frames)[:, None], n_frames)
    bwd = np.minimum.accumulate(idx_b[::-1], axis=0)[::-1]
    src = np.where(fwd >= 0, fwd, bwd)
    src = np.where(src >= n_frames, 0, src)
    cols = np.arange(pos.shape[1])[None, :]
    filled: FloatArray = pos[src, cols, :]
    return filled


def body_size(motion: MotionSequence) -> float:
    """Median per-frame bounding-box diagonal of all joints (data units)."""
    pos = motion.positions
    ok = tracked_mask(pos)
    seen = ok.any(axis=1)
    if not seen.any():
        return 0.0
    p = pos[seen]
    lo = np.min(np.where(np.isfinite(p), p, np.inf), axis=1)
    hi = np.max(np.where(np.isfinite(p), p, -np.inf), axis=1)
    return float(np.median(np.linalg.norm(hi - lo, axis=1)))


def _group_costs(a: FloatArray, b: FloatArray, li: IntArray,
                 ri: IntArray) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Per-pair distances of frames ``a`` to references ``b``: kept, swapped, valid."""
    keep = (np.linalg.norm(a[:, li] - b[:, li], axis=2)
            + np.linalg.norm(a[:, ri] - b[:, ri], axis=2))
    swap = (np.linalg.norm(a[:, ri] - b[:, li], axis=2)
            + np.linalg.norm(a[:, li] - b[:, ri], axis=2))
    valid = np.isfinite(keep) & np.isfinite(swap)
    return keep, swap, valid


def _swap_hits(keep: FloatArray, swap: FloatArray, valid: BoolArray, ratio: float,
               margin: float) -> BoolArray:
    """Frames whose group is much closer to the reference when swapped."""
    n = valid.sum(axis=1)
    k = np.where(valid, keep, 0.0).sum(axis=1) / np.maximum(n, 1)
    s = np.where(valid, swap, 0.0).sum(axis=1) / np.maximum(n, 1)
    hit: BoolArray = (n > 0) & (s < ratio * k) & (k - s > margin)
    return hit


def repair_left_right_swaps(motion: MotionSequence, *, window_s: float = SWAP_WINDOW_S,
                            ratio: float = 0.5,
                            min_margin: float = 0.03) -> tuple[MotionSequence, StepReport]:
    """Detect frames whose left/right labels are swapped, per limb group, and fix them.

    Frames are first screened cheaply: a swap starts or ends where a group
    matches the previous frame better crossed than straight. Around those
    frames only, each frame is compared with the running median of its
    ``window_s`` neighbourhood, and relabelled when swapping the group's
    left/right points brings them closer to that reference than keeping them,
    by a large margin (see the module docstring).

    Args:
        motion: the motion (typically markerless keypoints).
        window_s: width of the running-median reference.
        ratio: swapped distance must be below ``ratio`` x the kept distance.
        min_margin: and smaller by at least this fraction of :func:`body_size`.
    """
    name = "repair_left_right_swaps"
    pairs = _lr_pairs(motion.joints)
    if not pairs:
        return motion, not_applied(name, "no left_/right_ joint pairs")
    pos = motion.positions
    n_frames = motion.n_frames
    half = max(2, round(window_s * motion.fps / 2))
    margin = 2 * min_margin * body_size(motion)  # costs add two distances per pair
    li = np.array([p[0] for p in pairs])
    ri = np.array([p[1] for p in pairs])
    groups = np.array([_group(p[2]) for p in pairs])
    held = _fill_nearest(pos)
    step_keep, step_swap, step_valid = _group_costs(held[1:], held[:-1], li, ri)
    out = pos.copy()
    conf = None if motion.confidence is None else motion.confidence.copy()
    any_swapped = np.zeros(n_frames, dtype=bool)
    details: dict[str, Detail] = {}
    offsets = np.arange(-half, half + 1)
    for g in ("legs", "arms", "head"):
        cols = groups == g
        if not cols.any():
            continue
        events = 1 + np.flatnonzero(_swap_hits(step_keep[:, cols], step_swap[:, cols],
                                               step_valid[:, cols], 0.75, margin / 2))
        hit = np.zeros(n_frames, dtype=bool)
        if events.size:
            cand = np.unique(np.clip(events[:, None] + offsets[None, :], 0, n_frames - 1))
            win = np.clip(cand[:, None] + offsets[None, :], 0, n_frames - 1)
            ref = np.median(held[win], axis=1)
            keep, swap, valid = _group_costs(pos[cand], ref, li[cols], ri[cols])
            hit[cand] = _swap_hits(keep, swap, valid, ratio, margin)
        details[f"{g}_frames"] = int(hit.sum())
        if hit.any():
            lg, rg = li[cols], ri[cols]
            frames = np.flatnonzero(hit)[:, None]
            out[frames, lg], out[frames, rg] = pos[frames, rg], pos[frames, lg]
            if conf is not None and motion.confidence is not None:
                conf[frames, lg] = motion.confidence[frames, rg]
                conf[frames, rg] = motion.confidence[frames, lg]
        any_swapped |= hit
    count = int(any_swapped.sum())
    details.update(swaps_repaired=count, window_frames=2 * half + 1,
                   margin=round(margin, 6), pairs=len(pairs))
    if not count:
        return motion, StepReport(name=name, applied=True, details=details)
    new = motion.replace(positions=out, confidence=conf,
                         source=with_note(motion, f"repaired left/right swaps in {count} frames"))
    return new, StepReport(name=name, applied=True, details=details)
