r"""CMU / Acclaim ASF skeleton + AMC motion reader with forward kinematics.

An ASF file describes the skeleton (bones with a rest direction, a length, a
local ``axis`` frame and their degrees of freedom); an AMC file holds one block
per frame: a frame number line, then one line per bone with its DOF values.

Forward kinematics follows the Acclaim convention. For each bone

* ``C`` is the rotation given by the bone's ``axis`` angles, applied in the
  axis order (``XYZ``: X first, so ``C = Rz·Ry·Rx`` for column vectors);
* ``R`` is the rotation of the frame's DOF values, applied in the order the
  ``dof`` line lists them (``rx ry rz``: ``R = Rz·Ry·Rx``);
* the local transform is ``L = C·R·C⁻¹`` and the global one
  ``M = M_parent·L``;
* the bone's distal end is ``parent end + M·(direction·length)``.

The root takes its translation and rotation from the AMC ``root`` line, read
in the ASF root ``order`` (the root ``axis`` and ``orientation`` give its
``C``). Lengths are in ASF units: ``metres = value / length_unit · 0.0254``
(Acclaim units are inches scaled by ``:units length``; CMU's 0.45 gives
0.056444 m per unit). Y is up in CMU data, so no axis change is needed.

Example:
    >>> from pathlib import Path
    >>> from sportsgpt.tools.io.asf_amc import sniff
    >>> sniff(b":FULLY-SPECIFIED\n:DEGREES\n1\nroot 0 0 0 0 0 0\n")
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from sportsgpt.core.errors import MissingReaderOptionError, MotionFileError
from sportsgpt.tools.io._common import (
    MAX_DECLARED_FRAMES,
    build_motion,
    check_file,
    check_fps,
    map_to_canonical,
    parse_float,
    read_text,
)
from sportsgpt.tools.motion import FloatArray, MotionSequence
from sportsgpt.tools.skeleton import CMU_ASF_TO_CANONICAL

AngleUnit = Literal["deg", "rad"]

INCH_M = 0.0254
"""Metres per inch; Acclaim lengths are inches divided by ``:units length``."""

SOURCE_PREFIX = "cmu:"
"""Prefix of ASF bone points kept with ``keep_source_joints`` (e.g. ``cmu:lowerback``)."""

_PREFIXED_MAPPING: dict[str, str | tuple[str, ...]] = {
    k: (SOURCE_PREFIX + v if isinstance(v, str) else tuple(SOURCE_PREFIX + x for x in v))
    for k, v in CMU_ASF_TO_CANONICAL.items()
}
_ROT_DOFS = ("rx", "ry", "rz")
_TRANS_DOFS = ("tx", "ty", "tz")
_AXES = "xyz"
_AMC_SNIFF = re.compile(
    rb"^[ \t]*:(FULLY-SPECIFIED|DEGREES|RADIANS)\b|^[ \t]*\d+[ \t]*\r?\n[ \t]*root[ \t]",
    re.MULTILINE)


# --- model -------------------------------------------------------------------


@dataclass(frozen=True)
class AsfUnits:
    """The ``:units`` section: mass unit, length unit (inches per ASF unit is 1/length), angle."""

    mass: float
    length: float
    angle: AngleUnit

    @property
    def metres_per_unit(self) -> float:
        """Scale from ASF length units to metres (``0.0254 / length``)."""
        return INCH_M / self.length


@dataclass(frozen=True)
class AsfRoot:
    """The ``:root`` section: AMC value order, axis order, rest position and orientation."""

    order: tuple[str, ...]
    axis: str
    position: tuple[float, float, float]
    orientation: tuple[float, float, float]


@dataclass(frozen=True)
class AsfBone:
    """One ``begin ... end`` block of ``:bonedata``."""

    id: int | None
    name: str
    direction: tuple[float, float, float]
    length: float
    axis: tuple[float, float, float]
    axis_order: str
    dof: tuple[str, ...] = ()
    limits: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class AsfSkeleton:
    """A parsed ASF file: units, root, bones and the parent of each bone."""

    path: str
    name: str
    units: AsfUnits
    root: AsfRoot
    bones: tuple[AsfBone, ...]
    parents: dict[str, str] = field(default_factory=dict)

    def bone(self, name: str) -> AsfBone:
        """Return the bone called ``name`` (raises :class:`MotionFileError` if absent)."""
        found = [b for b in self.bones if b.name == name]
        if not found:
            raise MotionFileError(self.path, f"no bone named {name!r}")
        return found[0]

    def children(self, name: str) -> tuple[str, ...]:
        """Names of the bones whose parent is ``name`` (``"root"`` for the root)."""
        return tuple(b.name for b in self.bones if self.parents.get(b.name) == name)

    def topological_order(self) -> tuple[str, ...]:
        """Bone names breadth-first from the root (each parent before its children)."""
        kids: dict[str, list[str]] = {}
        for b in self.bones:
            if b.name in self.parents:
                kids.setdefault(self.parents[b.name], []).append(b.name)
        out: list[str] = []
        queue = ["root"]
        while queue:
            level = [k for cur in queue for k in kids.get(cur, ())]
            out.extend(level)
            queue = level
        return tuple(out)


@dataclass(frozen=True)
class AmcMotion:
    """DOF values of an AMC file: ``values[bone]`` has shape ``(T, n_dof)``, angles in radians.

    The root's array follows the ASF root ``order``; root translations stay in
    ASF length units.
    """

    path: str
    n_frames: int
    values: dict[str, FloatArray]


@dataclass(frozen=True)
class FkResult:
    """Forward kinematics output: names (``root`` then bones), positions and rotations.

    ``positions`` has shape ``(T, N, 3)`` in metres (root position, then each
    bone's distal end); ``rotations`` ``(T, N, 3, 3)`` holds each bone's global
    rotation ``M``.
    """

    names: tuple[str, ...]
    positions: FloatArray
    rotations: FloatArray


# --- ASF parsing ---------------------------------------------------------------


def sniff(head: bytes) -> bool:
    """Whether the bytes look like an AMC motion file (header lines or a ``root`` frame block)."""
    return _AMC_SNIFF.search(head) is not None


def _lines(text: str) -> list[tuple[int, list[str]]]:
    """Numbered, tokenised, non-empty lines with ``#`` comments removed."""
    out: list[tuple[int, list[str]]] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        body = raw.split("#", 1)[0].split()
        if body:
            out.append((no, body))
    return out


def _floats(tokens: Sequence[str], n: int, path: Path, line: int, what: str) -> list[float]:
    if len(tokens) != n:
        raise MotionFileError(path, f"{what} needs {n} number(s), got {len(tokens)}",
                              line=line, field=what)
    vals = [parse_float(t, path, line=line, field=what) for t in tokens]
    if any(math.isnan(v) for v in vals):
        raise MotionFileError(path, f"{what} contains NaN", line=line, field=what)
    return vals


def _axis_order(token: str, path: Path, line: int, what: str) -> str:
    order = token.lower()
    if len(order) != 3 or sorted(order) != ["x", "y", "z"]:
        raise MotionFileError(path, f"axis order must be a permutation of XYZ, got {token!r}",
                              line=line, field=what)
    return order


def _parse_limits(tokens: list[str], path: Path, line: int) -> list[tuple[float, float]]:
    text = " ".join(tokens).replace("(", " ").replace(")", " ").split()
    vals: list[float] = []
    for t in text:
        try:
            v = float(t)
        except ValueError:
            raise MotionFileError(path, f"bad limit value {t[:40]!r}", line=line,
                                  field="limits") from None
        if math.isnan(v):
            raise MotionFileError(path, "limit value is NaN", line=line, field="limits")
        vals.append(v)
    if len(vals) % 2:
        raise MotionFileError(path, "limits need (min max) pairs", line=line, field="limits")
    return [(vals[i], vals[i + 1]) for i in range(0, len(vals), 2)]


class _BoneBuilder:
    """Mutable collector for one ``begin ... end`` block."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.id: int | None = None
        self.name: str | None = None
        self.direction: list[float] | None = None
        self.length: float | None = None
        self.axis: list[float] | None = None
        self.axis_order = "xyz"
        self.dof: tuple[str, ...] = ()
        self.limits: list[tuple[float, float]] = []
        self.in_limits = False

    def feed(self, key: str, rest: list[str], path: Path, line: int) -> None:
        self.in_limits = False
        if key == "id":
            self.id = int(_floats(rest, 1, path, line, "id")[0])
        elif key == "name":
            if len(rest) != 1:
                raise MotionFileError(path, "bone name must be one word", line=line, field="name")
            self.name = rest[0]
        elif key == "direction":
            self.direction = _floats(rest, 3, path, line, "direction")
        elif key == "length":
            self.length = _floats(rest, 1, path, line, "length")[0]
            if self.length < 0:
                raise MotionFileError(path, "negative bone length", line=line, field="length")
        elif key == "axis":
            if len(rest) != 4:
                raise MotionFileError(path, "axis needs three angles and an order (e.g. XYZ)",
                                      line=line, field="axis")
            self.axis = _floats(rest[:3], 3, path, line, "axis")
            self.axis_order = _axis_order(rest[3], path, line, "axis")
        elif key == "dof":
            dof = tuple(t.lower() for t in rest)
            bad = [d for d in dof if d not in _ROT_DOFS]
            if bad:
                raise MotionFileError(path, f"unsupported bone dof {bad} (only rx ry rz are "
                                            "supported on bones)", line=line, field="dof")
            if len(set(dof)) != len(dof):
                raise MotionFileError(path, "repeated dof", line=line, field="dof")
            self.dof = dof
        elif key == "limits":
            self.limits = _parse_limits(rest, path, line)
            self.in_limits = True
        elif key in ("bodymass", "cofmass"):
            return  # physical properties, not needed for kinematics
        else:
            raise MotionFileError(path, f"unknown bone field {key!r}", line=line, field=key)

    def build(self, path: Path, end_line: int) -> AsfBone:
        for what, val in (("name", self.name), ("direction", self.direction),
                          ("length", self.length), ("axis", self.axis)):
            if val is None:
                raise MotionFileError(path, f"bone block starting at line {self.line} has no "
                                            f"{what}", line=end_line, field=what)
        assert self.name is not None and self.direction is not None
        assert self.length is not None and self.axis is not None
        if self.limits and len(self.limits) != len(self.dof):
            raise MotionFileError(path, f"bone {self.name!r} has {len(self.dof)} dof but "
                                        f"{len(self.limits)} limits", line=end_line,
                                  field="limits")
        d, a = self.direction, self.axis
        return AsfBone(id=self.id, name=self.name, direction=(d[0], d[1], d[2]),
                       length=self.length, axis=(a[0], a[1], a[2]),
                       axis_order=self.axis_order, dof=self.dof, limits=tuple(self.limits))


@dataclass
class _AsfState:
    """Accumulates ASF sections while scanning lines."""

    name: str = ""
    mass: float = 1.0
    length: float | None = None
    angle: AngleUnit = "deg"
    order: tuple[str, ...] | None = None
    axis: str = "xyz"
    position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    orientation: tuple[float, float, float] = (0.0, 0.0, 0.0)
    bones: list[AsfBone] = field(default_factory=list)
    bone: _BoneBuilder | None = None
    hierarchy: list[tuple[int, list[str]]] = field(default_factory=list)


def _units_line(st: _AsfState, key: str, rest: list[str], path: Path, line: int) -> None:
    if key == "mass":
        st.mass = _floats(rest, 1, path, line, "mass")[0]
    elif key == "length":
        st.length = _floats(rest, 1, path, line, "length")[0]
        if not st.length > 0:
            raise MotionFileError(path, "length unit must be positive", line=line,
                                  field="length")
    elif key == "angle":
        unit = rest[0].lower() if len(rest) == 1 else ""
        if unit not in ("deg", "rad"):
            raise MotionFileError(path, f"angle unit must be deg or rad, got {' '.join(rest)!r}",
                                  line=line, field="angle")
        st.angle = "deg" if unit == "deg" else "rad"
    else:
        raise MotionFileError(path, f"unknown unit {key!r}", line=line, field=key)


def _root_line(st: _AsfState, key: str, rest: list[str], path: Path, line: int) -> None:
    if key == "order":
        order = tuple(t.lower() for t in rest)
        bad = [t for t in order if t not in _ROT_DOFS + _TRANS_DOFS]
        if bad or len(set(order)) != len(order):
            raise MotionFileError(path, f"root order must list distinct TX TY TZ RX RY RZ, got "
                                        f"{rest}", line=line, field="order")
        st.order = order
    elif key == "axis":
        if len(rest) != 1:
            raise MotionFileError(path, "root axis needs one order such as XYZ", line=line,
                                  field="axis")
        st.axis = _axis_order(rest[0], path, line, "axis")
    elif key in ("position", "orientation"):
        v = _floats(rest, 3, path, line, key)
        setattr(st, key, (v[0], v[1], v[2]))
    else:
        raise MotionFileError(path, f"unknown root field {key!r}", line=line, field=key)


def _bonedata_line(st: _AsfState, toks: list[str], path: Path, line: int) -> None:
    key = toks[0].lower()
    if key == "begin":
        if st.bone is not None:
            raise MotionFileError(path, "'begin' inside an unfinished bone block", line=line)
        st.bone = _BoneBuilder(line)
    elif key == "end":
        if st.bone is None:
            raise MotionFileError(path, "'end' without 'begin'", line=line)
        st.bones.append(st.bone.build(path, line))
        st.bone = None
    elif st.bone is None:
        raise MotionFileError(path, f"{toks[0]!r} outside a begin/end bone block", line=line)
    elif toks[0].startswith("(") and st.bone.in_limits:
        st.bone.limits.extend(_parse_limits(toks, path, line))
    else:
        st.bone.feed(key, toks[1:], path, line)


def _section_line(st: _AsfState, section: str, toks: list[str], path: Path, line: int) -> None:
    key, rest = toks[0].lower(), toks[1:]
    if section == "units":
        _units_line(st, key, rest, path, line)
    elif section == "root":
        _root_line(st, key, rest, path, line)
    elif section == "bonedata":
        _bonedata_line(st, toks, path, line)
    elif section == "hierarchy":
        if key not in ("begin", "end"):
            st.hierarchy.append((line, toks))
    elif section in ("documentation", "version"):
        return
    else:
        raise MotionFileError(path, f"data outside a known section: {toks[0][:40]!r}",
                              line=line)


_SECTIONS = ("version", "name", "units", "documentation", "root", "bonedata", "hierarchy")


def _parents(st: _AsfState, path: Path) -> dict[str, str]:
    names = {b.name for b in st.bones}
    parents: dict[str, str] = {}
    for line, toks in st.hierarchy:
        parent = toks[0]
        if parent != "root" and parent not in names:
            raise MotionFileError(path, f"hierarchy names unknown bone {parent!r}", line=line)
        for child in toks[1:]:
            if child not in names:
                raise MotionFileError(path, f"hierarchy names unknown bone {child!r}",
                                      line=line)
            if child in parents:
                raise MotionFileError(path, f"bone {child!r} has two parents", line=line)
            parents[child] = parent
    return parents


def _check_tree(skel: AsfSkeleton, path: Path) -> None:
    reached = set(skel.topological_order())
    missing = [b.name for b in skel.bones if b.name not in reached]
    if missing:
        raise MotionFileError(path, f"bones not connected to the root in :hierarchy: "
                                    f"{missing[:10]}", field="hierarchy")


def parse_asf(path: Path) -> AsfSkeleton:
    """Parse an Acclaim ASF skeleton file.

    Raises:
        MotionFileError: naming the line (and field) of anything malformed.
    """
    path = Path(path)
    text = read_text(path)
    st = _AsfState()
    section: str | None = None
    for line, toks in _lines(text):
        if toks[0].startswith(":"):
            section = toks[0][1:].lower()
            if section not in _SECTIONS:
                raise MotionFileError(path, f"unknown section {toks[0][:40]!r}", line=line)
            if section == "name":
                st.name = " ".join(toks[1:])
            if section == "units" and len(toks) > 1:
                _units_line(st, toks[1].lower(), toks[2:], path, line)
            continue
        if section is None:
            raise MotionFileError(path, "not an ASF file: content before the first ':section'",
                                  line=line)
        _section_line(st, section, toks, path, line)
    if st.bone is not None:
        raise MotionFileError(path, f"bone block starting at line {st.bone.line} never ends")
    if st.order is None:
        raise MotionFileError(path, "no ':root' section with an 'order' line", field="root")
    if st.length is None:
        raise MotionFileError(path, "no ':units length' line; cannot convert to metres",
                              field="units")
    names = [b.name for b in st.bones]
    dup = sorted({n for n in names if names.count(n) > 1} | ({"root"} & set(names)))
    if dup:
        raise MotionFileError(path, f"duplicate or reserved bone names: {dup}", field="name")
    skel = AsfSkeleton(path=str(path), name=st.name,
                       units=AsfUnits(mass=st.mass, length=st.length, angle=st.angle),
                       root=AsfRoot(order=st.order, axis=st.axis, position=st.position,
                                    orientation=st.orientation),
                       bones=tuple(st.bones), parents=_parents(st, path))
    _check_tree(skel, path)
    return skel


# --- AMC parsing ---------------------------------------------------------------


@dataclass
class _AmcCollect:
    """Per-bone token rows and the line each came from."""

    rows: dict[str, list[list[str]]]
    lines: dict[str, list[int]]


def _expected_counts(skel: AsfSkeleton) -> dict[str, int]:
    counts = {"root": len(skel.root.order)}
    counts.update({b.name: len(b.dof) for b in skel.bones})
    return counts


def _close_frame(seen: set[str], required: set[str], frame: int, frame_line: int,
                 path: Path) -> None:
    missing = required - seen
    if missing:
        raise MotionFileError(path, f"frame {frame} has no line for bone(s) "
                                    f"{sorted(missing)[:8]}", line=frame_line)


def _frame_number(toks: list[str]) -> int | None:
    """Return the number of a frame line (a lone unsigned integer), else None."""
    if len(toks) == 1 and toks[0].isascii() and toks[0].isdigit():
        return int(toks[0])
    return None


def _collect_amc(text: str, path: Path, skel: AsfSkeleton) -> tuple[_AmcCollect, int, str | None]:
    counts = _expected_counts(skel)
    required = {n for n, c in counts.items() if c > 0}
    col = _AmcCollect(rows={n: [] for n in counts}, lines={n: [] for n in counts})
    header_angle: str | None = None
    n_frames, frame_no, frame_line = 0, -1, 0
    seen: set[str] = set()
    for no, raw in enumerate(text.splitlines(), start=1):
        toks = raw.split()
        if not toks or toks[0].startswith("#"):
            continue
        head = toks[0]
        if head.startswith(":"):
            if n_frames:
                raise MotionFileError(path, f"header line {head[:40]!r} after the first frame",
                                      line=no)
            if head.upper() in (":DEGREES", ":RADIANS"):
                header_angle = "deg" if head.upper() == ":DEGREES" else "rad"
            continue
        number = _frame_number(toks)
        if number is not None:
            if n_frames:
                _close_frame(seen, required, frame_no, frame_line, path)
                if number != frame_no + 1:
                    raise MotionFileError(path, f"frame number {number} does not follow "
                                                f"{frame_no}", line=no, field="frame")
            n_frames += 1
            if n_frames > MAX_DECLARED_FRAMES:
                raise MotionFileError(path, "more frames than the reader accepts", line=no)
            frame_no, frame_line, seen = number, no, set()
            continue
        if not n_frames:
            raise MotionFileError(path, f"{head[:40]!r} before the first frame number", line=no)
        if head not in counts:
            raise MotionFileError(path, f"unknown bone {head[:40]!r} (not in the ASF "
                                        f"{Path(skel.path).name})", line=no, field=head[:40])
        if head in seen:
            raise MotionFileError(path, f"bone {head!r} appears twice in frame {frame_no}",
                                  line=no, field=head)
        if len(toks) - 1 != counts[head]:
            raise MotionFileError(path, f"bone {head!r} needs {counts[head]} value(s), got "
                                        f"{len(toks) - 1}", line=no, field=head)
        seen.add(head)
        col.rows[head].append(toks[1:])
        col.lines[head].append(no)
    if not n_frames:
        raise MotionFileError(path, "no frames")
    _close_frame(seen, required, frame_no, frame_line, path)
    return col, n_frames, header_angle


def _to_array(rows: list[list[str]], lines: list[int], name: str, n_dof: int,
              path: Path) -> FloatArray:
    try:
        arr = np.array(rows, dtype=np.float64).reshape(len(rows), n_dof)
    except ValueError:
        for toks, line in zip(rows, lines, strict=True):
            for t in toks:
                parse_float(t, path, line=line, field=name)
        raise MotionFileError(path, f"values of bone {name!r} are not numeric",
                              field=name) from None
    if np.isinf(arr).any():
        bad = int(np.argwhere(np.isinf(arr))[0, 0])
        raise MotionFileError(path, "infinite value", line=lines[bad], field=name)
    return arr


def parse_amc(path: Path, skeleton: AsfSkeleton) -> AmcMotion:
    """Parse an AMC file against its skeleton; angles are returned in radians.

    Raises:
        MotionFileError: for unknown bones, missing bone lines, wrong value
            counts, non-numeric values (naming line and bone).
    """
    path = Path(path)
    text = read_text(path)
    col, n_frames, header_angle = _collect_amc(text, path, skeleton)
    angle = header_angle or skeleton.units.angle
    to_rad = math.pi / 180.0 if angle == "deg" else 1.0
    counts = _expected_counts(skeleton)
    bones = {b.name: b for b in skeleton.bones}
    values: dict[str, FloatArray] = {}
    for name, n_dof in counts.items():
        if n_dof == 0:
            values[name] = np.zeros((n_frames, 0))
            continue
        arr = _to_array(col.rows[name], col.lines[name], name, n_dof, path)
        dofs = skeleton.root.order if name == "root" else bones[name].dof
        rot = [i for i, d in enumerate(dofs) if d in _ROT_DOFS]
        arr[:, rot] *= to_rad
        values[name] = arr
    return AmcMotion(path=str(path), n_frames=n_frames, values=values)


# --- forward kinematics ------------------------------------------------------


def _axis_rotation(axis: str, angle: FloatArray) -> FloatArray:
    """Rotation matrices ``(T, 3, 3)`` about one coordinate axis (right-handed)."""
    c, s = np.cos(angle), np.sin(angle)
    out = np.zeros((angle.shape[0], 3, 3))
    i = _AXES.index(axis)
    j, k = (i + 1) % 3, (i + 2) % 3
    out[:, i, i] = 1.0
    out[:, j, j] = c
    out[:, k, k] = c
    out[:, j, k] = -s
    out[:, k, j] = s
    return out


def _sequential(axes: Sequence[str], angles: FloatArray) -> FloatArray:
    """Rotations applied in the listed order: ``R = R_last ··· R_first``."""
    out = np.broadcast_to(np.eye(3), (angles.shape[0], 3, 3)).copy()
    for col, ax in enumerate(axes):
        out = _axis_rotation(ax, angles[:, col]) @ out
    return out


def _axis_frame(angles: Sequence[float], order: str, unit: AngleUnit) -> FloatArray:
    """Build the constant ``C`` rotation of an ASF axis line, shape ``(3, 3)``."""
    k = math.pi / 180.0 if unit == "deg" else 1.0
    vals = np.array([[angles[_AXES.index(ax)] * k for ax in order]])
    frame: FloatArray = _sequential(list(order), vals)[0]
    return frame


def _root_transform(skel: AsfSkeleton, vals: FloatArray) -> tuple[FloatArray, FloatArray]:
    order = skel.root.order
    scale = skel.units.metres_per_unit
    t = vals.shape[0]
    pos = np.tile(np.asarray(skel.root.position, dtype=np.float64), (t, 1))
    for i, d in enumerate(order):
        if d in _TRANS_DOFS:
            pos[:, _TRANS_DOFS.index(d)] = vals[:, i]
    rot_cols = [i for i, d in enumerate(order) if d in _ROT_DOFS]
    r = _sequential([order[i][1] for i in rot_cols], vals[:, rot_cols])
    c = _axis_frame(skel.root.orientation, skel.root.axis, skel.units.angle)
    return c @ r @ c.T, pos * scale


def forward_kinematics(skeleton: AsfSkeleton, motion: AmcMotion) -> FkResult:
    """Acclaim forward kinematics for every frame at once (vectorised over frames).

    Returns:
        ``root`` and every bone (parents first) with positions in metres:
        the root position and each bone's distal end.
    """
    scale = skeleton.units.metres_per_unit
    root_rot, root_pos = _root_transform(skeleton, motion.values["root"])
    rots: dict[str, FloatArray] = {"root": root_rot}
    ends: dict[str, FloatArray] = {"root": root_pos}
    order = skeleton.topological_order()
    bones = {b.name: b for b in skeleton.bones}
    for name in order:
        bone = bones[name]
        parent = skeleton.parents[name]
        c = _axis_frame(bone.axis, bone.axis_order, skeleton.units.angle)
        local = _sequential([d[1] for d in bone.dof], motion.values[name])
        m = rots[parent] @ (c @ local @ c.T)
        vec = np.asarray(bone.direction) * (bone.length * scale)
        rots[name] = m
        ends[name] = ends[parent] + m @ vec
    names = ("root", *order)
    return FkResult(names=names, positions=np.stack([ends[n] for n in names], axis=1),
                    rotations=np.stack([rots[n] for n in names], axis=1))


# --- reader --------------------------------------------------------------------


def find_asf(amc: Path) -> Path:
    """Find the subject's ASF next to an AMC file (CMU naming: ``16_01.amc`` -> ``16.asf``).

    Raises:
        MotionFileError: naming the ASF file that was looked for.
    """
    subject = amc.stem.split("_", 1)[0]
    candidates = [amc.with_name(subject + ext) for ext in (".asf", ".ASF")]
    for cand in candidates:
        if cand.is_file():
            return cand
    raise MissingReaderOptionError(amc, f"no skeleton file: looked for {candidates[0]} (CMU "
                                        "naming <subject>_<trial>.amc -> <subject>.asf)", "asf")


def read(path: Path, *, asf: Path | None = None, fps: float = 120.0,
         keep_source_joints: bool = False) -> MotionSequence:
    """Read an AMC motion (with its ASF skeleton) into canonical joint positions.

    Args:
        path: the ``.amc`` file.
        asf: the skeleton; default is the subject's ASF in the same folder.
        fps: frame rate (AMC files do not store one; CMU captured at 120 Hz).
        keep_source_joints: also keep ASF bone ends that have no canonical
            equivalent, named ``cmu:<bone>`` (e.g. ``cmu:lowerback``).
    """
    path = check_file(Path(path))
    fps = check_fps(fps, path)
    asf_path = check_file(Path(asf)) if asf is not None else find_asf(path)
    skel = parse_asf(asf_path)
    return motion_from_fk(skel, parse_amc(path, skel), path, fps=fps,
                          keep_source_joints=keep_source_joints)


def motion_from_fk(skeleton: AsfSkeleton, amc: AmcMotion, path: Path, *, fps: float = 120.0,
                   keep_source_joints: bool = False) -> MotionSequence:
    """Canonical joints from (possibly edited) AMC channels by forward kinematics.

    :func:`read` is ``motion_from_fk(parse_asf(asf), parse_amc(path, skel), path)``;
    fault injection edits the channels in between.
    """
    fk = forward_kinematics(skeleton, amc)
    pos, joints, _ = map_to_canonical(fk.positions, [SOURCE_PREFIX + n for n in fk.names],
                                      _PREFIXED_MAPPING, keep_unmapped=keep_source_joints)
    asf_path = Path(skeleton.path)
    notes = (f"skeleton {asf_path.name}; lengths x {skeleton.units.metres_per_unit:.6f} m/unit "
             f"(:units length {skeleton.units.length:g})",
             f"fps {fps:g} from the fps option (AMC files store no frame rate)")
    return build_motion(Path(path), pos, joints, fps, fmt="amc",
                        original_units=f"inch/{skeleton.units.length:g}", original_up_axis="y",
                        original_joint_names=fk.names, notes=notes,
                        extra={"asf": str(asf_path)})
