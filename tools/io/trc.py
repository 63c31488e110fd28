"""TRC marker files (OpenSim, Pose2Sim, Sports2D, OpenCap, Vicon/Mokka exports).

Layout (tab separated)::

    PathFileType  4  (X/Y/Z)  name.trc
    DataRate  CameraRate  NumFrames  NumMarkers  Units  OrigDataRate  OrigDataStartFrame  ...
    60        60          100        20          mm     60            1                   ...
    Frame#    Time        Hip  <tab> <tab>  RHip  ...
                          X1   Y1    Z1     X2    ...
    <optional blank line>
    1         0.000       ...

An empty cell is a missing sample (NaN). Units ``mm``, ``cm`` or ``m`` are
converted to metres. TRC files follow OpenSim's convention of a **Y-up**
frame, so no rotation is applied (a note records the assumption). Sports2D
writes 2D results as 3D TRC with ``z = 0``: those are kept as 3D with a note.

Point labels become canonical joints by :func:`markers_to_joints`, which this
module shares with the C3D reader: Plug-in-Gait marker sets (labels
``LASI, RASI, LPSI, RPSI`` present) go through
:func:`sportsgpt.tools.markers.joint_centres_from_markers`; otherwise labels
that already name joints (OpenPose / Pose2Sim / Sports2D keypoints, or
``r_knee``, ``right_knee``, ``knee_r`` spellings) are matched with the alias
table :data:`PART_ALIASES` / :data:`MIDLINE_ALIASES`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from sportsgpt.core.errors import MotionDataError, MotionFileError
from sportsgpt.core.settings import InputLimits
from sportsgpt.tools.io._common import (
    MAX_DECLARED_FRAMES,
    build_motion,
    check_fps,
    check_samples,
    map_to_canonical,
    parse_float,
    read_text,
)
from sportsgpt.tools.motion import FloatArray, MotionSequence

TRC_UNITS: Final[dict[str, float]] = {
    "mm": 1e-3, "millimeters": 1e-3, "millimetres": 1e-3,
    "cm": 1e-2, "centimeters": 1e-2, "centimetres": 1e-2,
    "m": 1.0, "meters": 1.0, "metres": 1.0,
}
"""Length units a TRC ``Units`` field may hold -> factor to metres."""

PLUG_IN_GAIT_PELVIS: Final[tuple[str, ...]] = ("LASI", "RASI", "LPSI", "RPSI")
"""Labels whose joint presence marks a Plug-in-Gait marker set."""

MARKER_PREFIX: Final[str] = "marker:"
"""Prefix of raw markers kept with ``keep_markers=True``."""

SIDE_TOKENS: Final[dict[str, str]] = {"r": "right", "right": "right", "l": "left", "left": "left"}
"""Label tokens that name a side (as a separate word, first or last)."""

PART_ALIASES: Final[dict[str, str]] = {
    "hip": "hip", "hjc": "hip",
    "knee": "knee", "kjc": "knee",
    "ankle": "ankle", "ajc": "ankle",
    "heel": "heel",
    "bigtoe": "toe", "toe": "toe",
    "shoulder": "shoulder", "sjc": "shoulder",
    "elbow": "elbow", "ejc": "elbow",
    "wrist": "wrist", "wjc": "wrist",
    "ear": "ear",
}
"""Sided body parts: the label's words without the side, joined -> canonical stem.

``RKnee``, ``r_knee``, ``right_knee``, ``knee_r``, ``RightKnee`` and ``RKNEE``
all become ``right_knee``; ``RBigToe`` (preferred) or ``RToe`` becomes
``right_toe``; joint-centre names (``RHJC``, ``LKJC``...) map to their joint.
``ear`` is only a helper for ``head``. Small toes, eyes and the nose are not
canonical joints: they stay unmapped (kept as ``marker:<label>`` on request).
Plug-in-Gait abbreviations (``LKNE``, ``LANK``, ``LHEE``) are skin markers,
not joint centres, and deliberately match nothing here.
"""

MIDLINE_ALIASES: Final[dict[str, str]] = {
    "hip": "pelvis", "midhip": "pelvis", "pelvis": "pelvis",
    "neck": "thorax", "thorax": "thorax",
    "head": "head",
}
"""Unsided labels -> canonical joint. OpenPose/HALPE ``Hip``/``MidHip`` is the
hip midpoint (``pelvis``); their ``Neck`` sits between the shoulders, which is
the canonical ``thorax`` (as in :data:`sportsgpt.tools.skeleton.BODY25_TO_CANONICAL`).
HALPE's ``Head`` (top of the head) is used for ``head`` only when the file lacks
either ear: the ears' midpoint is the canonical head, as for BODY25, COCO and
MediaPipe, so that sources stay comparable."""

MEAN_FALLBACKS: Final[dict[str, tuple[str, str]]] = {
    "pelvis": ("left_hip", "right_hip"),
    "thorax": ("left_shoulder", "right_shoulder"),
}
"""Joints built as the mean of a left/right pair when no label names them."""

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def sniff(head: bytes) -> bool:
    """Whether a file starts like a TRC file (``PathFileType`` on line 1)."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"PathFileType")


# --- label -> canonical joint ------------------------------------------------------------


def strip_subject(label: str) -> str:
    """Drop a Vicon subject prefix (``Jim:LASI`` -> ``LASI``) and blanks."""
    return label.strip().rsplit(":", 1)[-1].strip()


def _words(label: str) -> list[str]:
    """Lower-case words of a label, split at separators and camel-case humps."""
    words: list[str] = []
    for part in re.split(r"[\s_\-.]+", label):
        words.extend(w.lower() for w in _WORD.findall(part))
    return words


def _split_side(words: list[str]) -> tuple[str | None, str]:
    """Split off the side a label names (if any); return it and the rest, joined."""
    if len(words) >= 2 and words[0] in SIDE_TOKENS:
        return SIDE_TOKENS[words[0]], "".join(words[1:])
    if len(words) >= 2 and words[-1] in SIDE_TOKENS:
        return SIDE_TOKENS[words[-1]], "".join(words[:-1])
    if len(words) == 1:
        for prefix in ("right", "left", "r", "l"):
            rest = words[0].removeprefix(prefix)
            if rest != words[0] and rest in PART_ALIASES:
                return SIDE_TOKENS[prefix], rest
    return None, "".join(words)


def canonical_for_label(label: str) -> tuple[str, int] | None:
    """Canonical joint (or ``left_ear``/``right_ear`` helper) a label names, and its rank.

    The rank orders competing labels for one joint (lower wins: ``RBigToe``
    before ``RToe``). ``None`` when the label names no joint.

    >>> canonical_for_label("RKnee"), canonical_for_label("knee_l"), canonical_for_label("LKNE")
    (('right_knee', 2), ('left_knee', 2), None)
    """
    side, part = _split_side(_words(strip_subject(label)))
    if side is not None:
        stem = PART_ALIASES.get(part)
        if stem is None:
            return None
        return f"{side}_{stem}", list(PART_ALIASES).index(part)
    joint = MIDLINE_ALIASES.get(part)
    return None if joint is None else (joint, list(MIDLINE_ALIASES).index(part))


def alias_mapping(labels: Sequence[str]) -> tuple[dict[str, str | tuple[str, ...]], list[str]]:
    """Build the mapping canonical joint -> label(s) for :func:`map_to_canonical`, plus notes."""
    best: dict[str, tuple[int, str]] = {}
    notes: list[str] = []
    for label in labels:
        hit = canonical_for_label(label)
        if hit is None:
            continue
        joint, rank = hit
        if joint in best:
            kept, dropped = sorted([best[joint], (rank, label)], key=lambda c: c[0])
            notes.append(f"labels {kept[1]!r} and {dropped[1]!r} both name {joint}; "
                         f"using {kept[1]!r}")
            best[joint] = kept
        else:
            best[joint] = (rank, label)
    chosen = {j: lab for j, (_, lab) in best.items()}
    mapping: dict[str, str | tuple[str, ...]] = {
        j: lab for j, lab in chosen.items() if not j.endswith("_ear")}
    for joint, (left, right) in MEAN_FALLBACKS.items():
        if joint not in chosen and left in chosen and right in chosen:
            mapping[joint] = (chosen[left], chosen[right])
            notes.append(f"{joint} = midpoint of {chosen[left]!r} and {chosen[right]!r}")
    if "left_ear" in chosen and "right_ear" in chosen:
        # The ears' midpoint is the canonical head, as for BODY25, COCO and MediaPipe.
        unused = f" ({chosen['head']!r} not used)" if "head" in chosen else ""
        mapping["head"] = (chosen["left_ear"], chosen["right_ear"])
        notes.append(f"head = midpoint of {chosen['left_ear']!r} and "
                     f"{chosen['right_ear']!r}{unused}")
    return mapping, notes


def _unique(labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """Labels made unique (``name#2`` for repeats), with a note per renamed one."""
    seen: dict[str, int] = {}
    out: list[str] = []
    notes: list[str] = []
    for label in labels:
        n = seen.get(label, 0) + 1
        seen[label] = n
        out.append(label if n == 1 else f"{label}#{n}")
        if n > 1:
            notes.append(f"duplicate label {label!r} renamed {out[-1]!r}")
    return out, notes


def _plug_in_gait(path: Path, markers: FloatArray, labels: list[str],
                  ) -> tuple[FloatArray, tuple[str, ...], list[str]]:
    """Joint centres of a Plug-in-Gait marker set via :mod:`sportsgpt.tools.markers`."""
    from sportsgpt.tools.markers import joint_centres_from_markers

    try:
        pos, joints, notes = joint_centres_from_markers(markers, labels)
    except MotionDataError as exc:
        raise MotionFileError(path, f"Plug-in-Gait joint centres: {exc}") from None
    return (np.asarray(pos, dtype=np.float64), tuple(joints),
            ["Plug-in-Gait marker set: joint centres estimated from markers", *notes])


def markers_to_joints(
    path: Path, markers: FloatArray, labels: Sequence[str], *, keep_markers: bool = False,
) -> tuple[FloatArray, tuple[str, ...], list[str]]:
    """Canonical joints from labelled markers (``(T, M, 3)`` metres, Y up).

    Args:
        path: the file the markers came from (named in errors).
        markers: marker trajectories, NaN where missing.
        labels: one label per marker (subject prefixes like ``Jim:`` allowed).
        keep_markers: also keep every marker not used as a joint, named
            ``marker:<label>`` (all markers for Plug-in-Gait sets).

    Returns:
        positions ``(T, J, 3)``, joint names and notes on what was done.
    """
    bare, notes = _unique([strip_subject(lab) for lab in labels])
    used: set[str]
    if {b.upper() for b in bare} >= set(PLUG_IN_GAIT_PELVIS):
        pos, joints, more = _plug_in_gait(path, markers, bare)
        used = set()
    else:
        mapping, more = alias_mapping(bare)
        pos, joints, _ = map_to_canonical(markers, bare, mapping)
        used = set()
        for j in joints:
            src = mapping[j]
            used.update((src,) if isinstance(src, str) else src)
    notes += more
    if keep_markers:
        extra = [i for i, b in enumerate(bare) if b not in used]
        pos = np.concatenate([pos, markers[:, extra, :]], axis=1)
        joints = (*joints, *(MARKER_PREFIX + bare[i] for i in extra))
    if not joints:
        raise MotionFileError(path, f"none of the {len(bare)} point labels names a joint "
                                    f"(labels: {', '.join(bare[:12])}"
                                    f"{'...' if len(bare) > 12 else ''}); pass "
                                    "keep_markers=True to keep the raw markers")
    return pos, joints, notes


# --- TRC parsing ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrcHeader:
    """The numbers of a TRC header (line 3)."""

    data_rate: float
    n_frames: int
    n_markers: int
    units: str
    camera_rate: float | None


def _cells(line: str) -> list[str]:
    """Split a TRC line: on tabs when it has any, else on whitespace."""
    return line.split("\t") if "\t" in line else line.split()


def _count(fields: dict[str, str], key: str, path: Path, limit: int) -> int:
    """Parse a non-negative integer header field of at most ``limit``."""
    value = parse_float(fields[key], path, line=3, field=key)
    if not (math.isfinite(value) and value >= 0 and value == int(value)):
        raise MotionFileError(path, f"{key} must be a whole number, got {fields[key]!r}",
                              line=3, field=key)
    if value > limit:
        raise MotionFileError(path, f"{key} = {fields[key]} is above the limit of {limit}",
                              line=3, field=key)
    return int(value)


def _parse_header(lines: list[str], path: Path) -> TrcHeader:
    """Read lines 2-3 (field names and values)."""
    if len(lines) < 5:
        raise MotionFileError(path, f"only {len(lines)} lines; a TRC header needs 5")
    keys = [k.strip().lower() for k in _cells(lines[1])]
    values = [v.strip() for v in _cells(lines[2])]
    fields = {k: v for k, v in zip(keys, values, strict=False) if k}
    names = {"datarate": "DataRate", "numframes": "NumFrames", "nummarkers": "NumMarkers",
             "units": "Units"}
    missing = [n for k, n in names.items() if not fields.get(k)]
    if missing:
        raise MotionFileError(path, f"header lacks {', '.join(missing)}", line=2,
                              field=missing[0])
    fields = {names.get(k, k): v for k, v in fields.items()}
    rate = check_fps(parse_float(fields["DataRate"], path, line=3, field="DataRate"), path,
                     field="DataRate", line=3)
    units = fields["Units"].lower()
    if units not in TRC_UNITS:
        raise MotionFileError(path, f"unknown units {fields['Units']!r} (expected one of "
                                    f"{sorted(TRC_UNITS)})", line=3, field="Units")
    camera = fields.get("camerarate")
    cam_rate = parse_float(camera, path, line=3, field="CameraRate") if camera else None
    return TrcHeader(data_rate=rate, units=units, camera_rate=cam_rate,
                     n_frames=_count(fields, "NumFrames", path, MAX_DECLARED_FRAMES),
                     n_markers=_count(fields, "NumMarkers", path, 100_000))


def _parse_names(line: str, path: Path, n_markers: int) -> list[str]:
    """Marker names of line 4 (every third column after ``Frame#`` and ``Time``)."""
    cells = _cells(line)
    if len(cells) < 2 or not cells[0].strip().lower().startswith("frame"):
        raise MotionFileError(path, "expected the 'Frame#  Time  <marker names>' row",
                              line=4, field="Frame#")
    names = [c.strip() for c in cells[2:] if c.strip()]
    if len(names) != n_markers:
        raise MotionFileError(path, f"NumMarkers is {n_markers} but the name row has "
                                    f"{len(names)} marker names", line=4, field="NumMarkers")
    return names


def _row_values(cells: list[str], path: Path, line: int, names: list[str]) -> list[float]:
    """Time and coordinates of one data row (stripped cells; empty cell -> NaN)."""
    try:
        return [float(c) if c else math.nan for c in cells]
    except ValueError:  # slow path, only to name the bad cell
        return [parse_float(c, path, line=line, field=_cell_name(k, names)) if c else math.nan
                for k, c in enumerate(cells)]


def _cell_name(k: int, names: list[str]) -> str:
    """Name of cell ``k`` of a row without its Frame# column (``Time``, ``RKnee.Y``...)."""
    return "Time" if k == 0 else f"{names[(k - 1) // 3]}.{'XYZ'[(k - 1) % 3]}"


def _parse_data(lines: list[str], path: Path, names: list[str],
                ) -> tuple[FloatArray, list[int], int]:
    """Parse rows from line 6 on: values ``(T, 1 + 3M)``, line numbers, short-row count."""
    width = 2 + 3 * len(names)
    rows: list[list[float]] = []
    line_nos: list[int] = []
    short = 0
    for i in range(5, len(lines)):
        if not lines[i].strip():
            continue
        cells = [c.strip() for c in _cells(lines[i].rstrip("\r\n"))]
        if len(cells) > width:
            if any(cells[width:]):
                raise MotionFileError(path, f"row has {len(cells)} columns, expected {width} "
                                            f"(Frame#, Time, 3 x {len(names)} markers)",
                                      line=i + 1)
            cells = cells[:width]
        elif len(cells) < width:
            if len(cells) < 2:
                raise MotionFileError(path, "row has no Time column", line=i + 1)
            short += 1
            cells += [""] * (width - len(cells))
        rows.append(_row_values(cells[1:], path, i + 1, names))
        line_nos.append(i + 1)
    if not rows:
        raise MotionFileError(path, "no data rows after the header")
    return np.asarray(rows, dtype=np.float64), line_nos, short


def _check_values(values: FloatArray, line_nos: list[int], path: Path) -> None:
    """Reject inf anywhere and a missing/non-increasing time column."""
    bad = np.isinf(values).any(axis=1)
    if bad.any():
        raise MotionFileError(path, "infinite coordinate or time value",
                              line=line_nos[int(np.argmax(bad))])
    time = values[:, 0]
    if np.isnan(time).any():
        raise MotionFileError(path, "empty or NaN Time cell",
                              line=line_nos[int(np.argmax(np.isnan(time)))], field="Time")


def _time_note(time: FloatArray, rate: float) -> list[str]:
    """Return a note when the Time column disagrees with DataRate by more than 1 %."""
    if time.size < 2:
        return []
    dt = float(np.median(np.diff(time)))
    if dt > 0 and abs(1.0 / dt - rate) <= 0.01 * rate:
        return []
    return [f"Time column steps ({dt:g} s) disagree with DataRate {rate:g} Hz; "
            "DataRate used"]


def read(path: Path, *, keep_markers: bool = False,
         limits: InputLimits | None = None) -> MotionSequence:
    """Read a TRC marker file into canonical joints (metres, Y up).

    Args:
        path: the ``.trc`` file.
        keep_markers: also keep markers that are not joints, as ``marker:<label>``.
        limits: input size limits; the header's NumFrames x NumMarkers x 3 is checked
            against them before the data rows are parsed.

    Raises:
        MotionFileError: unreadable header, counts that disagree with the data,
            bad numbers, or no label naming a joint.
        InputTooLargeError: the file, or the array its header declares, is above the limits.
    """
    path = Path(path)
    lines = read_text(path, limits).splitlines()
    if not sniff(lines[0].encode("utf-8", "replace") if lines else b""):
        raise MotionFileError(path, "first line does not start with 'PathFileType'", line=1)
    head = _parse_header(lines, path)
    check_samples(path, (head.n_frames, head.n_markers, 3), "the header (NumFrames x "
                  "NumMarkers x 3)", limits, line=3, field="NumFrames")
    names = _parse_names(lines[3], path, head.n_markers)
    values, line_nos, short = _parse_data(lines, path, names)
    if len(line_nos) != head.n_frames:
        raise MotionFileError(path, f"NumFrames is {head.n_frames} but the file has "
                                    f"{len(line_nos)} data rows", line=3, field="NumFrames")
    _check_values(values, line_nos, path)
    xyz = values[:, 1:].reshape(len(line_nos), len(names), 3) * TRC_UNITS[head.units]
    notes = ["TRC taken as Y up (OpenSim convention); no rotation applied"]
    if short:
        notes.append(f"{short} row(s) shorter than the marker count; missing cells set to NaN")
    z = xyz[..., 2][np.isfinite(xyz[..., 2])]
    if z.size and not z.any():
        notes.append("all Z coordinates are 0 (2D data written as 3D, e.g. Sports2D); "
                     "kept as 3D")
    notes += _time_note(values[:, 0], head.data_rate)
    pos, joints, more = markers_to_joints(path, xyz, names, keep_markers=keep_markers)
    return build_motion(path, pos, joints, head.data_rate, fmt="trc",
                        original_units=head.units, original_up_axis="y",
                        original_joint_names=names, notes=notes + more,
                        extra={"camera_rate": head.camera_rate,
                               "time_start_s": float(values[0, 0])})
