"""Benchmark: read + preprocess a long markerless recording (target: under 2 s in total).

A seeded, synthetic MediaPipe-like recording (33 landmarks, 3D world
coordinates in metres, Y up) is generated: an athlete bouncing, jumping every
few seconds and swinging arms and legs, with tracking noise, short dropouts
and a few long ones. It is written to temporary files in the generic CSV
layout (``time`` column then ``<joint>_x/_y/_z``) and the generic NPZ layout
and read back with :func:`sportsgpt.tools.io.read_motion`; the table gives the
total for each (text parsing dominates the CSV case).

Every stage is timed on its own (best of ``--repeat`` runs), each on the
output of the stage before it, then the default :func:`preprocess` end to end.

Usage::

    .venv/bin/python benchmarks/io_preprocess.py [--minutes 10] [--fps 120] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from sportsgpt.tools.motion import MotionSequence, SourceInfo
from sportsgpt.tools.preprocess import (
    PreprocessConfig,
    fill_gaps,
    lowpass_filter,
    normalise_facing,
    normalise_ground,
    preprocess,
    quality_summary,
    repair_left_right_swaps,
    resample,
    scale_body,
)
from sportsgpt.tools.skeleton import MEDIAPIPE_LANDMARKS

TARGET_S = 2.0
RESULTS = Path(__file__).parent / "results" / "io_preprocess.md"

# A standing pose facing +x (+z is the athlete's right), metres, feet at y = 0.
_POSE: dict[str, tuple[float, float, float]] = {
    "nose": (0.10, 1.62, 0.0), "left_eye_inner": (0.09, 1.66, -0.015),
    "left_eye": (0.09, 1.66, -0.03), "left_eye_outer": (0.085, 1.66, -0.045),
    "right_eye_inner": (0.09, 1.66, 0.015), "right_eye": (0.09, 1.66, 0.03),
    "right_eye_outer": (0.085, 1.66, 0.045), "left_ear": (0.0, 1.64, -0.075),
    "right_ear": (0.0, 1.64, 0.075), "mouth_left": (0.09, 1.58, -0.025),
    "mouth_right": (0.09, 1.58, 0.025), "left_shoulder": (0.0, 1.45, -0.19),
    "right_shoulder": (0.0, 1.45, 0.19), "left_elbow": (0.0, 1.17, -0.22),
    "right_elbow": (0.0, 1.17, 0.22), "left_wrist": (0.03, 0.92, -0.23),
    "right_wrist": (0.03, 0.92, 0.23), "left_pinky": (0.04, 0.84, -0.24),
    "right_pinky": (0.04, 0.84, 0.24), "left_index": (0.06, 0.84, -0.23),
    "right_index": (0.06, 0.84, 0.23), "left_thumb": (0.06, 0.87, -0.21),
    "right_thumb": (0.06, 0.87, 0.21), "left_hip": (0.0, 0.95, -0.1),
    "right_hip": (0.0, 0.95, 0.1), "left_knee": (0.03, 0.5, -0.1),
    "right_knee": (0.03, 0.5, 0.1), "left_ankle": (0.0, 0.08, -0.1),
    "right_ankle": (0.0, 0.08, 0.1), "left_heel": (-0.05, 0.03, -0.1),
    "right_heel": (-0.05, 0.03, 0.1), "left_foot_index": (0.15, 0.02, -0.1),
    "right_foot_index": (0.15, 0.02, 0.1),
}


def synthetic_recording(minutes: float, fps: float, seed: int = 7) -> MotionSequence:
    """A seeded MediaPipe-like 33-landmark 3D recording with noise and dropouts."""
    rng = np.random.default_rng(seed)
    n = round(minutes * 60 * fps)
    t = np.arange(n) / fps
    base = np.array([_POSE[name] for name in MEDIAPIPE_LANDMARKS])
    pos = np.broadcast_to(base, (n, len(base), 3)).copy()
    names = list(MEDIAPIPE_LANDMARKS)
    # A jump every 3 s: 0.45 s of flight on a parabola peaking at 0.3 m, then bounce.
    phase = t % 3.0
    flight = (phase > 1.0) & (phase < 1.45)
    tau = np.where(flight, phase - 1.0, 0.0)
    lift = np.where(flight, 0.3 - 0.3 * ((tau - 0.225) / 0.225) ** 2, 0.0)
    dip = (-0.15 * np.exp(-(((phase - 0.8) / 0.12) ** 2))
           - 0.1 * np.exp(-(((phase - 1.6) / 0.1) ** 2)))
    pos[:, :, 1] += (lift + dip)[:, None]
    lower = [i for i, j in enumerate(names) if any(w in j for w in ("hip", "knee", "ankle",
                                                                    "heel", "foot"))]
    pos[:, lower, 1] -= (dip[:, None] * np.linspace(1.0, 0.0, len(lower))[None, :]).clip(-1, 0)
    for i, j in enumerate(names):  # limb swing: arms and legs, opposite sides in antiphase
        sign = -1.0 if j.startswith("left_") else 1.0 if j.startswith("right_") else 0.0
        reach = 0.25 if any(w in j for w in ("wrist", "pinky", "index", "thumb")) else \
            0.12 if any(w in j for w in ("elbow", "knee")) else \
            0.18 if any(w in j for w in ("ankle", "heel", "foot")) else 0.0
        pos[:, i, 0] += sign * reach * np.sin(2 * np.pi * 0.8 * t + 0.3 * i / 33)
    pos[:, :, 0] += 0.3 * np.sin(2 * np.pi * t / 60.0)[:, None]  # slow drift around the room
    yaw = np.deg2rad(20.0 + 5.0 * np.sin(2 * np.pi * t / 45.0))
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x, z = pos[:, :, 0].copy(), pos[:, :, 2].copy()
    pos[:, :, 0], pos[:, :, 2] = c * x - s * z, s * x + c * z
    pos += rng.normal(0.0, 0.008, pos.shape)  # ~8 mm tracking noise
    for _ in range(round(0.01 * n * len(names) / 4)):  # ~1 % of samples in 1-8 frame dropouts
        j, start = rng.integers(len(names)), rng.integers(n - 8)
        pos[start:start + rng.integers(1, 9), j] = np.nan
    for _ in range(20):  # a few long occlusions of 0.2-1 s
        j, start = rng.integers(len(names)), rng.integers(n - int(fps))
        pos[start:start + rng.integers(int(0.2 * fps), int(fps)), j] = np.nan
    return MotionSequence(positions=pos, joints=tuple(names), fps=fps,
                          source=SourceInfo(format="mediapipe-synthetic"))


def write_csv(motion: MotionSequence, path: Path) -> None:
    """Generic CSV: ``time`` then ``<joint>_x,<joint>_y,<joint>_z`` per joint."""
    header = ["time"] + [f"{j}_{a}" for j in motion.joints for a in "xyz"]
    table = np.column_stack((motion.time_s, motion.positions.reshape(motion.n_frames, -1)))
    np.savetxt(path, table, delimiter=",", header=",".join(header), comments="", fmt="%.6g")


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    motion = synthetic_recording(args.minutes, args.fps)
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        from sportsgpt.tools.io import read_motion

        csv_path = Path(tmp) / "recording.csv"
        write_csv(motion, csv_path)
        npz_path = Path(tmp) / "recording.npz"
        np.savez(npz_path, positions=motion.positions, joints=np.array(motion.joints),
                 fps=motion.fps)
        t_read, loaded = best_of(args.repeat, lambda: read_motion(csv_path))
        rows.append((f"read generic CSV ({csv_path.stat().st_size / 1e6:.0f} MB)", t_read,
                     f"{loaded.n_frames} frames"))
        t_np, _ = best_of(args.repeat, lambda: np.loadtxt(csv_path, delimiter=",", skiprows=1))
        rows.append(("reference only: numpy.loadtxt of the same CSV (parse floor)", t_np,
                     "not part of the totals"))
        t_npz, from_npz = best_of(args.repeat, lambda: read_motion(npz_path))
        rows.append((f"read generic NPZ ({npz_path.stat().st_size / 1e6:.0f} MB)", t_npz,
                     f"{from_npz.n_frames} frames"))

    r = args.repeat
    t, q = best_of(r, lambda: quality_summary(loaded))
    rows.append(("quality_summary (raw input)", t,
                 f"{q.missing_pct:.2f}% missing, jitter {q.jitter_mm:.1f} mm"))
    t, (m, rep) = best_of(r, lambda: repair_left_right_swaps(loaded))
    rows.append(("repair_left_right_swaps (forced on)", t,
                 f"{rep.details['swaps_repaired']} frames repaired"))
    t, (m, rep) = best_of(r, lambda: fill_gaps(m))
    rows.append(("fill_gaps (<= 0.1 s)", t, f"{rep.details['filled_samples']} samples filled, "
                                             f"{rep.details['long_gaps_flagged']} long gaps"))
    t, (m, rep) = best_of(r, lambda: lowpass_filter(m))
    rows.append(("lowpass_filter (automatic cutoff)", t, f"{rep.details['cutoff_hz']} Hz "
                 f"(residual analysis {rep.details.get('residual_suggestion_hz', '-')} Hz)"))
    t, (m, rep) = best_of(r, lambda: lowpass_filter(m, cutoff_hz=8.0))
    rows.append(("lowpass_filter (8 Hz given)", t, "filter only"))
    t, (_, rep) = best_of(r, lambda: resample(m, args.fps / 2))
    rows.append((f"resample {args.fps:g} -> {args.fps / 2:g} fps (optional)", t,
                 f"{rep.details['frames_out']} frames"))
    t, (m, rep) = best_of(r, lambda: normalise_ground(m))
    rows.append(("normalise_ground", t, f"shift {rep.details['shift']:+.3f} m"))
    t, (m, rep) = best_of(r, lambda: normalise_facing(m))
    rows.append(("normalise_facing", t, f"rotation {rep.details['rotation_deg']:+.1f} deg"))
    t, (m, rep) = best_of(r, lambda: scale_body(m))
    rows.append(("scale_body (optional)", t, f"factor {rep.details['factor']:.3f}"))
    t_pre, _ = best_of(r, lambda: preprocess(loaded))
    rows.append(("preprocess() default config, end to end", t_pre, "includes quality_summary"))
    t_all, _ = best_of(r, lambda: preprocess(loaded, PreprocessConfig(repair_swaps=True,
                                                                      scale_body=True)))
    rows.append(("preprocess() with swap repair + scale_body", t_all, ""))
    for name, t_in in (("CSV", t_read), ("NPZ", t_npz)):
        total = t_in + t_pre
        verdict = "meets" if total < TARGET_S else "MISSES"
        rows.append((f"**total: read {name} + preprocess() default**", total,
                     f"{verdict} the {TARGET_S:g} s target"))

    command = "python benchmarks/io_preprocess.py " + " ".join(argv or sys.argv[1:])
    lines = [
        "# Read + preprocess benchmark",
        "",
        f"Synthetic MediaPipe-like recording: {args.minutes:g} min at {args.fps:g} Hz, "
        f"{motion.n_joints} landmarks, 3D (m), ~1 % short dropouts + 20 long occlusions, "
        f"8 mm noise; seed 7. Best of {args.repeat} runs; each step runs on the previous "
        "step's output.",
        "",
        f"Command: `{command.strip()}`",
        "",
        f"Machine: {platform.platform()}, nproc {os.cpu_count()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}",
        "",
        "| stage | best time (s) | result |",
        "|---|---:|---|",
        *[f"| {name} | {sec:.3f} | {note} |" for name, sec, note in rows],
        "",
    ]
    text = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
