r"""Biovision hierarchy (BVH) reader with forward kinematics.

Conventions (BVH has no formal spec; these follow the Biovision description
and what common tools such as Blender do):

* Rotation channels are applied in the order ``CHANNELS`` lists them, as
  intrinsic rotations: ``Zrotation Xrotation Yrotation`` gives the local
  rotation ``R = Rz·Rx·Ry`` (column vectors), so a child's position is
  ``parent_pos + G_parent·offset`` with ``G = G_parent·R``.
* Position channels (allowed on any joint) give the joint's local
  translation on that axis and replace the ``OFFSET`` component there
  (Blender's reading; a note is added when a non-zero OFFSET is overridden).
* Joint positions are the joints' origins; each ``End Site`` becomes an extra
  point named ``<parent>_End`` (``<parent>_End2``... if that name is taken).

Units: BVH stores none. ``units="auto"`` guesses them from the rest-pose
extent ``E`` (largest of the X, Y, Z ranges of all points with every channel
at zero, i.e. body height or arm span), and reports the guess in the notes:

=================  ==========================================
``E`` (file units) guess
=================  ==========================================
0.5 – 3            metres
20 – 45            CMU/Acclaim units (inch/0.45 = 0.056444 m)
45 – 100           inches
100 – 300          centimetres
300 – 3000         millimetres
otherwise          error: pass ``scale=`` or ``units=``
=================  ==========================================

Joint names are mapped onto canonical joints for the CMU BVH conversions
(``Hips``, ``LHipJoint``, ``LeftUpLeg``, ``Neck1``...), Mixamo
(``mixamorig:LeftUpLeg``...) and similar ``LeftKnee``/``LeftElbow`` schemes;
``joint_map`` (canonical name -> BVH joint name) overrides any entry.

Example:
    >>> from sportsgpt.tools.io.bvh import sniff
    >>> sniff(b"HIERARCHY\nROOT Hips\n{")
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sportsgpt.core.errors import MotionFileError
from sportsgpt.core.settings import InputLimits
from sportsgpt.tools.io._common import (
    MAX_DECLARED_FRAMES,
    build_motion,
    check_file,
    check_fps,
    check_samples,
    map_to_canonical,
    parse_float,
    read_text,
    z_up_to_y_up,
)
from sportsgpt.tools.motion import FloatArray, MotionSequence
from sportsgpt.tools.skeleton import CANONICAL_JOINTS

UNIT_SCALES: dict[str, float] = {
    "m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254, "inch": 0.0254,
    "cmu": 0.0254 / 0.45,
}
"""Metres per file unit for the ``units`` option."""

SOURCE_PREFIX = "bvh:"
"""Prefix of BVH points kept with ``keep_source_joints`` (e.g. ``bvh:Spine``)."""

_AUTO_BANDS: tuple[tuple[float, float, str], ...] = (
    (0.5, 3.0, "m"), (20.0, 45.0, "cmu"), (45.0, 100.0, "inch"),
    (100.0, 300.0, "cm"), (300.0, 3000.0, "mm"),
)
_CHANNELS = ("xposition", "yposition", "zposition", "xrotation", "yrotation", "zrotation")
_MAX_DEPTH = 1000


@dataclass(frozen=True)
class BvhJoint:
    """One ROOT/JOINT/End Site: parent index (-1 for a root), offset, channels."""

    name: str
    parent: int
    offset: tuple[float, float, float]
    channels: tuple[str, ...]
    end_site: bool
    line: int


@dataclass(frozen=True)
class BvhData:
    """A parsed BVH file: joints (parents first), frame time and channel values ``(T, C)``."""

    path: str
    joints: tuple[BvhJoint, ...]
    frame_time: float
    values: FloatArray
    frame_time_line: int | None = None


def sniff(head: bytes) -> bool:
    """Whether the bytes look like a BVH file (starts with ``HIERARCHY``)."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"HIERARCHY")


# --- parsing -------------------------------------------------------------------


class _Node:
    """A joint under construction."""

    def __init__(self, name: str, parent: int, end_site: bool, line: int) -> None:
        self.name = name
        self.parent = parent
        self.end_site = end_site
        self.line = line
        self.offset: tuple[float, float, float] | None = None
        self.channels: tuple[str, ...] = ()


class _HierarchyParser:
    """Line-based parser of the HIERARCHY section."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.nodes: list[_Node] = []
        self.stack: list[int] = []
        self.pending: _Node | None = None
        self.names: set[str] = set()

    def error(self, reason: str, line: int, field: str | None = None) -> MotionFileError:
        return MotionFileError(self.path, reason, line=line, field=field)

    def current(self, line: int, what: str) -> _Node:
        if not self.stack:
            raise self.error(f"{what} outside a joint block", line)
        return self.nodes[self.stack[-1]]

    def declare(self, toks: list[str], line: int) -> None:
        if self.pending is not None:
            raise self.error("joint declared before the previous one opened with '{'", line)
        key = toks[0].upper()
        end_site = key == "END"
        if end_site:
            if len(toks) < 2 or toks[1].upper() != "SITE":
                raise self.error("expected 'End Site'", line)
            if not self.stack:
                raise self.error("End Site outside a joint", line)
            parent_name = self.nodes[self.stack[-1]].name
            name, k = parent_name + "_End", 2
            while name in self.names:
                name, k = f"{parent_name}_End{k}", k + 1
        else:
            name = " ".join(toks[1:]).strip()
            if not name:
                raise self.error(f"{toks[0]} without a name", line)
        if key == "ROOT" and self.stack:
            raise self.error("ROOT inside another joint", line)
        if key == "JOINT" and not self.stack:
            raise self.error("JOINT outside a ROOT block", line)
        if self.stack and self.nodes[self.stack[-1]].end_site:
            raise self.error("an End Site cannot have children", line)
        parent = self.stack[-1] if self.stack else -1
        self.pending = _Node(name, parent, end_site, line)

    def open(self, line: int) -> None:
        if self.pending is None:
            raise self.error("'{' without a joint declaration", line)
        if len(self.stack) >= _MAX_DEPTH:
            raise self.error(f"hierarchy deeper than {_MAX_DEPTH} levels", line)
        self.nodes.append(self.pending)
        self.names.add(self.pending.name)
        self.stack.append(len(self.nodes) - 1)
        self.pending = None

    def close(self, line: int) -> None:
        node = self.current(line, "'}'")
        if node.offset is None:
            raise self.error(f"joint {node.name!r} has no OFFSET", line)
        self.stack.pop()

    def offset(self, toks: list[str], line: int) -> None:
        node = self.current(line, "OFFSET")
        if len(toks) != 4:
            raise self.error(f"OFFSET needs 3 numbers, got {len(toks) - 1}", line, "OFFSET")
        v = [parse_float(t, self.path, line=line, field="OFFSET") for t in toks[1:]]
        if any(math.isnan(x) for x in v):
            raise self.error("OFFSET contains NaN", line, "OFFSET")
        node.offset = (v[0], v[1], v[2])

    def channels(self, toks: list[str], line: int) -> None:
        node = self.current(line, "CHANNELS")
        if node.end_site:
            raise self.error("an End Site has no CHANNELS", line, "CHANNELS")
        if len(toks) < 2 or not (toks[1].isascii() and toks[1].isdigit()):
            raise self.error("CHANNELS needs a count", line, "CHANNELS")
        names = tuple(t.lower() for t in toks[2:])
        if int(toks[1]) != len(names):
            raise self.error(f"CHANNELS declares {toks[1]} but lists {len(names)}", line,
                             "CHANNELS")
        bad = [t for t in names if t not in _CHANNELS]
        if bad or len(set(names)) != len(names):
            raise self.error(f"unknown or repeated channel(s) {bad or list(names)}", line,
                             "CHANNELS")
        node.channels = names

    def feed(self, toks: list[str], line: int) -> None:
        key = toks[0].upper()
        if key in ("ROOT", "JOINT", "END"):
            brace = toks[-1] == "{" and len(toks) > 2
            self.declare(toks[:-1] if brace else toks, line)
            if brace:
                self.open(line)
        elif key == "{" and len(toks) == 1:
            self.open(line)
        elif key == "}" and len(toks) == 1:
            self.close(line)
        elif key == "OFFSET":
            self.offset(toks, line)
        elif key == "CHANNELS":
            self.channels(toks, line)
        else:
            raise self.error(f"unexpected {' '.join(toks)[:40]!r} in HIERARCHY", line)

    def finish(self, line: int) -> tuple[BvhJoint, ...]:
        if self.stack or self.pending is not None:
            raise self.error("HIERARCHY ends with an unclosed joint block", line)
        if not self.nodes:
            raise self.error("HIERARCHY has no ROOT", line)
        names = [n.name for n in self.nodes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise self.error(f"duplicate joint names {dup[:5]}", line)
        return tuple(BvhJoint(name=n.name, parent=n.parent, offset=n.offset or (0.0, 0.0, 0.0),
                              channels=n.channels, end_site=n.end_site, line=n.line)
                     for n in self.nodes)


def _header_value(lines: list[str], i: int, key: str, path: Path) -> tuple[str, int]:
    """Return the value after ``key:`` on the next non-empty line at or after ``i``."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    text = lines[i].strip() if i < len(lines) else ""
    if not text.lower().startswith(key.lower()):
        raise MotionFileError(path, f"expected '{key}' line", line=i + 1, field=key)
    return text[len(key):].strip().lstrip(":").strip(), i


def _parse_motion_header(lines: list[str], i: int, path: Path) -> tuple[int, float, int, int]:
    """Frames count, frame time, index of the Frames line and of the Frame Time line."""
    frames_txt, fi = _header_value(lines, i, "Frames", path)
    if not (frames_txt.isascii() and frames_txt.isdigit()):
        raise MotionFileError(path, f"Frames must be a whole number, got {frames_txt[:40]!r}",
                              line=fi + 1, field="Frames")
    n_frames = int(frames_txt)
    if n_frames > MAX_DECLARED_FRAMES:
        raise MotionFileError(path, f"Frames: {frames_txt[:20]} is implausibly large",
                              line=fi + 1, field="Frames")
    time_txt, ti = _header_value(lines, fi + 1, "Frame Time", path)
    frame_time = parse_float(time_txt, path, line=ti + 1, field="Frame Time")
    if not frame_time > 0:
        raise MotionFileError(path, f"Frame Time must be positive, got {time_txt[:40]!r}",
                              line=ti + 1, field="Frame Time")
    return n_frames, frame_time, fi, ti


def _parse_values(lines: list[str], start: int, n_frames: int, n_channels: int,
                  frames_line: int, path: Path) -> FloatArray:
    rows: list[list[str]] = []
    numbers: list[int] = []
    for k in range(start, len(lines)):
        toks = lines[k].split()
        if not toks:
            continue
        if len(rows) == n_frames:
            raise MotionFileError(path, f"more data lines than Frames: {n_frames}", line=k + 1)
        if len(toks) != n_channels:
            raise MotionFileError(path, f"{len(toks)} values where the hierarchy has "
                                        f"{n_channels} channels", line=k + 1, field="values")
        rows.append(toks)
        numbers.append(k + 1)
    if len(rows) != n_frames:
        raise MotionFileError(path, f"Frames: {n_frames} but {len(rows)} data lines",
                              line=frames_line)
    try:
        arr = np.array(rows, dtype=np.float64).reshape(n_frames, n_channels)
    except ValueError:
        for toks, no in zip(rows, numbers, strict=True):
            for j, t in enumerate(toks):
                parse_float(t, path, line=no, field=f"value {j + 1}")
        raise MotionFileError(path, "non-numeric motion data") from None
    if np.isinf(arr).any():
        r, c = np.argwhere(np.isinf(arr))[0]
        raise MotionFileError(path, "infinite value", line=numbers[r], field=f"value {c + 1}")
    return arr


def parse_bvh(path: Path, limits: InputLimits | None = None) -> BvhData:
    """Parse a BVH file's hierarchy and motion data (no kinematics).

    The declared ``Frames:`` times the hierarchy's points x 3 (the positions forward
    kinematics will allocate) and times its channels (the values table) are checked
    against ``limits.max_samples`` before the data lines are parsed.

    Raises:
        MotionFileError: naming the line of anything malformed.
        InputTooLargeError: the file, or the arrays its header declares, above the limits.
    """
    path = Path(path)
    lines = read_text(path, limits).splitlines()
    parser = _HierarchyParser(path)
    first = next((k for k, ln in enumerate(lines) if ln.strip()), len(lines))
    if first == len(lines) or lines[first].strip().upper() != "HIERARCHY":
        raise MotionFileError(path, "not a BVH file: first line is not 'HIERARCHY'",
                              line=first + 1)
    motion = -1
    for k in range(first + 1, len(lines)):
        toks = lines[k].split()
        if not toks:
            continue
        if toks[0].upper() == "MOTION" and len(toks) == 1:
            motion = k
            break
        parser.feed(toks, k + 1)
    if motion < 0:
        raise MotionFileError(path, "no MOTION section", line=len(lines))
    joints = parser.finish(motion + 1)
    n_channels = sum(len(j.channels) for j in joints)
    if n_channels == 0:
        raise MotionFileError(path, "the hierarchy declares no CHANNELS", line=motion + 1)
    n_frames, frame_time, fi, ti = _parse_motion_header(lines, motion + 1, path)
    for dims, what in (((n_frames, len(joints), 3), "Frames x points x 3"),
                       ((n_frames, n_channels), "Frames x channels")):
        check_samples(path, dims, f"the header ({what})", limits, line=fi + 1, field="Frames")
    values = _parse_values(lines, ti + 1, n_frames, n_channels, fi + 1, path)
    return BvhData(path=str(path), joints=joints, frame_time=frame_time, values=values,
                   frame_time_line=ti + 1)


# --- forward kinematics ------------------------------------------------------


def _axis_rotation(axis: int, deg: FloatArray) -> FloatArray:
    """Right-handed rotation matrices ``(T, 3, 3)`` about axis 0/1/2, angles in degrees."""
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    out = np.zeros((deg.shape[0], 3, 3))
    j, k = (axis + 1) % 3, (axis + 2) % 3
    out[:, axis, axis] = 1.0
    out[:, j, j] = c
    out[:, k, k] = c
    out[:, j, k] = -s
    out[:, k, j] = s
    return out


def forward_kinematics(data: BvhData) -> tuple[tuple[str, ...], FloatArray]:
    """Global positions ``(T, N, 3)`` of every joint origin and End Site, in file units."""
    t = data.values.shape[0]
    eye = np.broadcast_to(np.eye(3), (t, 3, 3))
    rots: list[FloatArray] = []
    pos: list[FloatArray] = []
    col = 0
    for joint in data.joints:
        local_t = np.tile(np.asarray(joint.offset, dtype=np.float64), (t, 1))
        local_r: FloatArray = eye
        for ch in joint.channels:
            axis = "xyz".index(ch[0])
            if ch.endswith("position"):
                local_t[:, axis] = data.values[:, col]
            else:
                local_r = local_r @ _axis_rotation(axis, data.values[:, col])
            col += 1
        if joint.parent < 0:
            rots.append(np.array(local_r))
            pos.append(local_t)
        else:
            p_rot = rots[joint.parent]
            pos.append(pos[joint.parent] + np.einsum("tij,tj->ti", p_rot, local_t))
            rots.append(p_rot @ local_r)
    return tuple(j.name for j in data.joints), np.stack(pos, axis=1)


def _rest_extent(data: BvhData) -> float:
    """Largest X/Y/Z range of all points with every channel at zero."""
    rest = BvhData(path=data.path, joints=data.joints, frame_time=data.frame_time,
                   values=np.zeros((1, data.values.shape[1])))
    _, pos = forward_kinematics(rest)
    return float(np.ptp(pos[0], axis=0).max())


def _scale(data: BvhData, path: Path, scale: float | None, units: str) -> tuple[float, str, str]:
    """Metres per file unit, the original-units label and a note."""
    if scale is not None:
        if not (math.isfinite(scale) and scale > 0):
            raise MotionFileError(path, f"scale must be a positive number, got {scale!r}",
                                  field="scale")
        return float(scale), f"x{scale:g} m", f"scale {scale:g} m per file unit (scale option)"
    key = units.lower()
    if key in UNIT_SCALES:
        return UNIT_SCALES[key], key, f"units {key} (units option)"
    if key != "auto":
        raise MotionFileError(path, f"units must be 'auto' or one of {sorted(UNIT_SCALES)}, "
                                    f"got {units!r}", field="units")
    extent = _rest_extent(data)
    for lo, hi, name in _AUTO_BANDS:
        if lo <= extent < hi:
            return UNIT_SCALES[name], name, (f"units guessed as {name} from the rest-pose "
                                             f"extent {extent:.3g} (auto; override with units= "
                                             "or scale=)")
    raise MotionFileError(path, f"cannot guess units from the rest-pose extent {extent:.3g}; "
                                "pass units= ('m', 'cm', 'mm', 'inch', 'cmu') or scale=",
                          field="units")


# --- joint naming ----------------------------------------------------------------


def _norm(name: str) -> str:
    """Lower-case, namespace (``mixamorig:``) and separators removed."""
    base = name.rsplit(":", 1)[-1]
    return "".join(ch for ch in base.lower() if ch.isalnum())


def _side(cands: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for joint, names in cands.items():
        out["left_" + joint] = tuple(n.replace("@", "left") for n in names) + tuple(
            n.replace("@", "l") for n in names if "@" in n)
        out["right_" + joint] = tuple(n.replace("@", "right") for n in names) + tuple(
            n.replace("@", "r") for n in names if "@" in n)
    return out


_GENERIC: dict[str, tuple[str, ...]] = {
    "pelvis": ("hips", "pelvis", "hip"),
    "thorax": ("neck", "neck1", "lowerneck"),
    "neck": ("head",),
    "head": ("headtopend", "headend", "headtop", "headsite"),
    **_side({
        "hip": ("@hip", "@upleg", "@upperleg", "@thigh"),
        "knee": ("@knee", "@leg", "@lowleg", "@lowerleg", "@shin"),
        "ankle": ("@ankle", "@foot"),
        "toe": ("@toebase", "@toe", "@toes", "@toeend"),
        # "LeftShoulder" is the clavicle where "LeftArm"/"LeftUpArm" exist, so it comes last.
        "shoulder": ("@arm", "@uparm", "@upperarm", "@shoulder"),
        "elbow": ("@forearm", "@elbow", "@lowarm", "@lowerarm"),
        "wrist": ("@wrist", "@hand"),
    }),
}
"""Canonical joint -> normalised BVH names in order of preference (joint origins)."""

_CMU_OVERRIDES: dict[str, tuple[str, ...]] = {
    "thorax": ("neck1",),
    "left_toe_tip": ("lefttoebaseend",), "right_toe_tip": ("righttoebaseend",),
}
"""CMU conversions: ``Neck`` starts at the thorax end, ``Neck1`` at the lower-neck end; the
``ToeBase`` End Site is the toe tip (the ASF ``toes`` bone end, used for foot contact only)."""


def _auto_mapping(names: tuple[str, ...]) -> tuple[dict[str, str], str]:
    """Canonical joint -> BVH name for the naming scheme found, and the scheme's name."""
    index: dict[str, str | None] = {}
    for n in names:
        key = _norm(n)
        index[key] = None if key in index else n  # ambiguous normalised names are unusable
    scheme = "cmu" if "lhipjoint" in index else (
        "mixamo" if any(n.lower().startswith("mixamorig") for n in names) else "generic")
    cands = dict(_GENERIC)
    if scheme == "cmu":
        cands.update(_CMU_OVERRIDES)
    mapping: dict[str, str] = {}
    for canon, options in cands.items():
        for opt in options:
            src = index.get(opt)
            if src is not None:
                mapping[canon] = src
                break
    return mapping, scheme


def _apply_joint_map(mapping: dict[str, str], joint_map: Mapping[str, str],
                     names: tuple[str, ...], path: Path) -> dict[str, str]:
    out = dict(mapping)
    for canon, src in joint_map.items():
        if canon not in CANONICAL_JOINTS:
            raise MotionFileError(path, f"joint_map key {canon!r} is not a canonical joint "
                                        f"({', '.join(CANONICAL_JOINTS)})", field="joint_map")
        if src not in names:
            raise MotionFileError(path, f"joint_map names {src!r}, which is not in the file "
                                        f"(joints: {', '.join(names[:40])})", field="joint_map")
        for other in [k for k, v in out.items() if v == src and k != canon]:
            del out[other]
        out[canon] = src
    return out


# --- reader --------------------------------------------------------------------


def _fps(data: BvhData, path: Path) -> tuple[float, str | None]:
    """Frame rate from Frame Time, snapping values such as 0.0083333 s to 120 Hz."""
    frame_time = data.frame_time
    fps = check_fps(1.0 / frame_time, path, field="Frame Time", line=data.frame_time_line)
    snapped = round(fps)
    if snapped > 0 and 0 < abs(fps - snapped) < 5e-3:
        note = f"Frame Time {frame_time:g} s read as {snapped} Hz (rounded from {fps:.6g})"
        return float(snapped), note
    return fps, None


def read(path: Path, *, scale: float | None = None, units: str = "auto",
         joint_map: dict[str, str] | None = None, up_axis: str = "y",
         keep_source_joints: bool = False,
         limits: InputLimits | None = None) -> MotionSequence:
    """Read a BVH file into canonical joint positions in metres, Y up.

    Args:
        path: the ``.bvh`` file.
        scale: metres per file unit; overrides ``units``.
        units: ``"auto"`` (guess from the skeleton size, see the module doc)
            or one of ``m``, ``cm``, ``mm``, ``in``/``inch``, ``cmu``.
        joint_map: canonical joint -> BVH joint (or ``<joint>_End``) name,
            overriding the automatic naming-scheme mapping.
        up_axis: ``"y"`` (BVH's usual convention) or ``"z"`` for Z-up files.
        keep_source_joints: also keep the points with no canonical equivalent,
            named ``bvh:<joint>`` (e.g. ``bvh:LeftHandIndex1``).
        limits: input size limits (file size; declared frames, see :func:`parse_bvh`).
    """
    path = check_file(Path(path), limits)
    up = up_axis.lower()
    if up not in ("y", "z"):
        raise MotionFileError(path, f"up_axis must be 'y' or 'z', got {up_axis!r}",
                              field="up_axis")
    data = parse_bvh(path, limits)
    fps, fps_note = _fps(data, path)
    metres, unit_label, unit_note = _scale(data, path, scale, units)
    names, pos = forward_kinematics(data)
    pos = pos * metres
    if up == "z":
        pos = z_up_to_y_up(pos)
    mapping, scheme = _auto_mapping(names)
    mapping = _apply_joint_map(mapping, joint_map or {}, names, path)
    raw_map: dict[str, str | tuple[str, ...]] = {k: SOURCE_PREFIX + v for k, v in mapping.items()}
    out, joints, _ = map_to_canonical(pos, [SOURCE_PREFIX + n for n in names], raw_map,
                                      keep_unmapped=keep_source_joints)
    notes = [unit_note, f"joint names read as the {scheme} naming scheme"]
    notes += [fps_note] if fps_note else []
    overridden = [j.name for j in data.joints
                  if any(c.endswith("position") for c in j.channels) and any(j.offset)]
    if overridden:
        notes.append(f"position channels replace the OFFSET of {overridden[:5]}")
    return build_motion(path, out, joints, fps, fmt="bvh", original_units=unit_label,
                        original_up_axis=up, original_joint_names=names, notes=notes,
                        extra={"frame_time": data.frame_time, "scheme": scheme,
                               "mapping": dict(mapping)})
