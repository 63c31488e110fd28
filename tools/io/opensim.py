"""OpenSim / OpenCap coordinate files (``.mot``, ``.sto``) as joint angles.

Layout: a header of ``key=value`` lines (``version``, ``nRows``, ``nColumns``,
``inDegrees``, free text) closed by ``endheader``, then a row of column names
starting with ``time``, then one tab- or space-separated row per sample.

What the reader does:

* ``inDegrees=no`` (radians) -> rotational columns converted to degrees;
  without an ``inDegrees`` line degrees are assumed (the inverse-kinematics
  ``.mot`` convention) and a note says so; ``in_degrees=`` overrides both.
* Translational columns (``pelvis_tx/ty/tz`` and any ``*_tx``, ``*_ty``,
  ``*_tz``) are metres; every other column is an angle in degrees.
* Angles are unwrapped (no 329° after -31°), then shifted by whole turns so
  their median lies in (-180°, 180°].
* The frame rate comes from the time column (rows over time span); rows must be
  uniformly sampled (within 1 %) — the reader does not resample.
* Coordinates are renamed to the project's channel names
  (:data:`CHANNEL_NAMES`); others keep their names. Moco state paths
  (``/jointset/knee_r/knee_angle_r/value``) become the coordinate name;
  other path columns (speeds, activations) are dropped with a note.

Sign conventions (OpenSim models gait2392/gait2354, Rajagopal 2015 and
LaiUhlrich 2022, the model OpenCap uses):

* ``hip_flexion`` > 0 is flexion, ``hip_adduction`` > 0 adduction,
  ``hip_rotation`` > 0 internal rotation;
* ``ankle_angle`` > 0 is dorsiflexion (all these models);
* ``knee_angle`` > 0 is flexion in Rajagopal/LaiUhlrich (range 0°..120°),
  but **negative** for flexion in gait2392/gait2354 (range -120°..10°).
  ``knee_flexion_*`` is always positive in flexion: with ``knee_sign="auto"``
  a knee channel that is clearly negative-for-flexion (5th percentile below
  -20° while its 95th percentile stays below 5°) is negated, with a note;
  ``"rajagopal"`` or ``"gait2392"`` states the model instead;
* ``lumbar_extension`` > 0 is extension; ``arm_flex`` > 0 shoulder flexion;
  ``elbow_flex`` > 0 elbow flexion;
* ``pelvis_tilt/list/rotation`` keep OpenSim's names and signs (rotations
  about the ground Z, X and Y axes; ``pelvis_tilt`` < 0 is anterior tilt);
  ``pelvis_ty`` (``pelvis_height``) is the pelvis origin's height in the Y-up
  ground frame.

Mapping to the project's conventions (``docs/kinematics.md``), all in the
sagittal plane (the first rotation of each OpenSim joint is about the
segment's Z axis, which the sagittal angles below add up along):

* ``hip_flexion_{side}``: ours is the thigh relative to the *trunk* (the
  downward thorax->pelvis line); OpenSim's ``hip_flexion_r/l`` is the femur
  relative to the *pelvis*, and the torso sits on the pelvis through
  ``lumbar_extension``. So ``hip_flexion_{side} = hip_flexion_{r,l} -
  lumbar_extension`` (a flexed lumbar spine opens the trunk-thigh angle). The
  pelvis-relative value is kept under its OpenSim name ``hip_flexion_r/l``.
  Without a ``lumbar_extension`` column the torso is taken as rigid on the
  pelvis (both conventions then agree) and a note says so.
* ``trunk_inclination`` (forward lean > 0 from vertical) is derived when the
  file has ``pelvis_tilt``: the torso's sagittal orientation in the ground is
  ``pelvis_tilt + lumbar_extension`` (positive = leaning back), so
  ``trunk_inclination = -(pelvis_tilt + lumbar_extension)``. Approximation:
  ours is the pelvis->thorax line, OpenSim's the torso body's Y axis; they
  differ by the model's fixed offsets (a few degrees; OpenCap's standing
  trials read 5-9 deg forward).
* ``shoulder_flexion_{side}`` = ``arm_flex_r/l``: both are the upper arm
  relative to the trunk (ours the downward trunk line, OpenSim the torso), so
  no conversion; ``arm_add``/``arm_rot`` are ignored (sagittal projection).
* Knee and ankle: as above (``ankle_angle`` vs ours: the same sign, a fixed
  offset from the foot line's definition).
* Not available from coordinates alone: foot heights and foot contact (they
  need the model's forward kinematics). For keyframes only, MotionDTW and
  KISMAM take flight from pelvis free fall instead
  (:func:`sportsgpt.tools.events.free_fall_contacts`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np

from sportsgpt.core.errors import MotionDataError, MotionFileError
from sportsgpt.tools.io._common import MAX_DECLARED_FRAMES, check_fps, parse_float, read_text
from sportsgpt.tools.motion import AngleSequence, AngleUnit, FloatArray, SourceInfo

CHANNEL_NAMES: Final[dict[str, str]] = {
    "knee_angle_r": "knee_flexion_right", "knee_angle_l": "knee_flexion_left",
    "hip_flexion_r": "hip_flexion_right", "hip_flexion_l": "hip_flexion_left",
    "hip_adduction_r": "hip_adduction_right", "hip_adduction_l": "hip_adduction_left",
    "hip_rotation_r": "hip_rotation_right", "hip_rotation_l": "hip_rotation_left",
    "ankle_angle_r": "ankle_dorsiflexion_right", "ankle_angle_l": "ankle_dorsiflexion_left",
    "lumbar_extension": "lumbar_extension",
    "arm_flex_r": "shoulder_flexion_right", "arm_flex_l": "shoulder_flexion_left",
    "elbow_flex_r": "elbow_flexion_right", "elbow_flex_l": "elbow_flexion_left",
    "pelvis_ty": "pelvis_height", "pelvis_tx": "pelvis_x", "pelvis_tz": "pelvis_z",
}
"""OpenSim coordinate -> project channel name (other columns keep their names)."""

UNIFORM_TOLERANCE: Final[float] = 0.01
"""Largest relative deviation of a time step from the median step."""

KneeSign = Literal["auto", "rajagopal", "gait2392"]

_TRANSLATION = re.compile(r".*_t[xyz]$")


def sniff(head: bytes) -> bool:
    """Whether bytes look like an OpenSim storage header (``endheader`` + a known key)."""
    text = head.lower()
    return b"endheader" in text and any(
        k in text for k in (b"nrows", b"indegrees", b"version", b"datarows", b"datatype"))


@dataclass(frozen=True)
class Header:
    """The parts of an OpenSim header the reader uses."""

    fields: dict[str, str]
    end_line: int  # 0-based index of the endheader line


def _parse_header(lines: list[str], path: Path) -> Header:
    """Collect ``key=value`` (and legacy ``key value``) lines up to ``endheader``."""
    fields: dict[str, str] = {}
    for i, line in enumerate(lines):
        text = line.strip()
        if text.lower() == "endheader":
            return Header(fields=fields, end_line=i)
        if "=" in text:
            key, _, value = text.partition("=")
            fields[key.strip().lower()] = value.strip()
        elif text.lower().startswith(("datarows", "datacolumns")) and len(text.split()) == 2:
            key, value = text.split()
            fields["nrows" if key.lower() == "datarows" else "ncolumns"] = value
    raise MotionFileError(path, "no 'endheader' line: not an OpenSim .mot/.sto file")


def _declared(fields: dict[str, str], key: str, name: str, path: Path) -> int | None:
    """Parse an integer header count (``nRows``/``nColumns``); None when absent."""
    if key not in fields:
        return None
    value = parse_float(fields[key], path, field=name)
    if not (math.isfinite(value) and 0 <= value <= MAX_DECLARED_FRAMES and value == int(value)):
        raise MotionFileError(path, f"{name} must be a whole number up to "
                                    f"{MAX_DECLARED_FRAMES}, got {fields[key]!r}", field=name)
    return int(value)


def _in_degrees(fields: dict[str, str], override: bool | None, path: Path,
                ) -> tuple[bool, list[str]]:
    """Whether rotational values are degrees, and a note on how that was decided."""
    if override is not None:
        return override, [f"in_degrees={override} given by the caller"]
    if "indegrees" not in fields:
        return True, ["no inDegrees line: values taken as degrees"]
    value = fields["indegrees"].strip().lower()
    if value in ("yes", "true", "1"):
        return True, []
    if value in ("no", "false", "0"):
        return False, ["inDegrees=no: rotational values converted from radians"]
    raise MotionFileError(path, f"inDegrees must be yes or no, got {fields['indegrees']!r}",
                          field="inDegrees")


def _table(lines: list[str], start: int, path: Path) -> tuple[list[str], FloatArray]:
    """Column names (line after endheader) and the numeric rows below them."""
    names_at = next((i for i in range(start, len(lines)) if lines[i].strip()), None)
    if names_at is None:
        raise MotionFileError(path, "no column-name row after endheader", line=start)
    names = lines[names_at].split("\t") if "\t" in lines[names_at] else lines[names_at].split()
    names = [n.strip() for n in names]
    while names and not names[-1]:
        names.pop()
    if not names or names[0].lower() != "time":
        raise MotionFileError(path, f"first column must be 'time', got {names[:1]}",
                              line=names_at + 1, field="time")
    if any(not n for n in names) or len(set(names)) != len(names):
        raise MotionFileError(path, "empty or repeated column name", line=names_at + 1)
    rows: list[list[float]] = []
    line_nos: list[int] = []
    for i in range(names_at + 1, len(lines)):
        cells = lines[i].split()
        if not cells:
            continue
        if len(cells) != len(names):
            raise MotionFileError(path, f"row has {len(cells)} values for {len(names)} "
                                        "columns", line=i + 1)
        try:
            rows.append([float(c) for c in cells])
        except ValueError:
            rows.append([parse_float(c, path, line=i + 1, field=n) for c, n in zip(
                cells, names, strict=True)])
        line_nos.append(i + 1)
    values = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names))
    if np.isinf(values).any():
        row = int(np.argmax(np.isinf(values).any(axis=1)))
        raise MotionFileError(path, "infinite value", line=line_nos[row])
    return names, values


def _fps(time: FloatArray, path: Path) -> float:
    """Frame rate from the time column; the rows must be uniformly sampled."""
    if time.size < 2:
        raise MotionFileError(path, f"{time.size} row(s): a frame rate needs at least 2",
                              field="time")
    if np.isnan(time).any():
        raise MotionFileError(path, "NaN in the time column", field="time")
    dt = np.diff(time)
    step = float(np.median(dt))
    if not step > 0 or (dt <= 0).any():
        raise MotionFileError(path, "time column is not strictly increasing", field="time")
    worst = float(np.max(np.abs(dt - step)))
    if worst > UNIFORM_TOLERANCE * step:
        raise MotionFileError(path, f"not uniformly sampled: time steps range "
                                    f"{dt.min():.6g}..{dt.max():.6g} s around a median of "
                                    f"{step:.6g} s (resample it first)", field="time")
    # Whole-span rate: steps are printed rounded (0.0041667 s), the span is not.
    return check_fps((time.size - 1) / float(time[-1] - time[0]), path, field="time")


def unwrap_degrees(values: FloatArray) -> FloatArray:
    """Unwrap an angle series in degrees, ignoring NaN; median brought into (-180, 180]."""
    out = values.copy()
    ok = np.isfinite(out)
    if not ok.any():
        return out
    out[ok] = np.rad2deg(np.unwrap(np.deg2rad(out[ok])))
    turns = math.ceil((float(np.median(out[ok])) - 180.0) / 360.0)
    return out - 360.0 * turns


def _knee_negative(values: FloatArray) -> bool:
    """Whether a knee angle series looks negative-for-flexion (gait2392 convention)."""
    ok = values[np.isfinite(values)]
    return bool(ok.size) and float(np.percentile(ok, 5)) < -20.0 and float(
        np.percentile(ok, 95)) < 5.0


def _coordinate(name: str, notes: list[str]) -> str | None:
    """Return the coordinate a column holds, or None to drop it (non-coordinate paths)."""
    if "/" not in name:
        return name
    parts = [p for p in name.split("/") if p]
    if len(parts) >= 2 and parts[-1] == "value":
        return parts[-2]
    notes.append(f"column {name!r} is not a coordinate value: dropped")
    return None


def _convert(names: list[str], values: FloatArray, in_degrees: bool, knee_sign: KneeSign,
             notes: list[str]) -> tuple[list[str], list[AngleUnit], FloatArray]:
    """Rename, convert to degrees, unwrap and fix the knee sign, column by column."""
    channels: list[str] = []
    units: list[AngleUnit] = []
    cols: list[FloatArray] = []
    for k, name in enumerate(names):
        source = _coordinate(name, notes)
        if source is None:
            continue
        col = values[:, k]
        if _TRANSLATION.match(source):
            units.append("m")
        else:
            units.append("deg")
            col = unwrap_degrees(col if in_degrees else np.rad2deg(col))
            if source.startswith("knee_angle") and not source.endswith("_beta") and (
                    knee_sign == "gait2392" or (knee_sign == "auto" and _knee_negative(col))):
                col = -col
                notes.append(f"{name} is negative in flexion (gait2392 convention): negated")
        channels.append(CHANNEL_NAMES.get(source, source))
        cols.append(col)
    return channels, units, np.stack(cols, axis=1) if cols else np.zeros((len(values), 0))


def to_project_conventions(channels: list[str], units: list[AngleUnit], data: FloatArray,
                           notes: list[str]) -> tuple[list[str], list[AngleUnit], FloatArray]:
    """Trunk-relative hip flexion and trunk inclination (module docstring, "Mapping")."""
    cols = {c: data[:, i] for i, c in enumerate(channels)}
    lumbar = cols.get("lumbar_extension")
    extra_names: list[str] = []
    extra_cols: list[FloatArray] = []
    out = data.copy()
    for side, code in (("right", "r"), ("left", "l")):
        name = f"hip_flexion_{side}"
        if name not in cols:
            continue
        if lumbar is None:
            notes.append(f"no lumbar_extension: {name} taken relative to the pelvis "
                         "(torso assumed rigid on the pelvis)")
            continue
        out[:, channels.index(name)] = cols[name] - lumbar
        extra_names.append(f"hip_flexion_{code}")
        extra_cols.append(cols[name])
    if lumbar is not None and extra_names:
        notes.append("hip_flexion_{left,right} = hip_flexion_{l,r} - lumbar_extension "
                     "(thigh relative to the trunk); OpenSim's pelvis-relative values kept "
                     "as hip_flexion_{l,r}")
    if "pelvis_tilt" in cols and "trunk_inclination" not in cols:
        tilt = cols["pelvis_tilt"] + (lumbar if lumbar is not None else 0.0)
        extra_names.append("trunk_inclination")
        extra_cols.append(-tilt)
        notes.append("trunk_inclination = -(pelvis_tilt + lumbar_extension)"
                     if lumbar is not None else
                     "trunk_inclination = -pelvis_tilt (no lumbar_extension column)")
    if not extra_names:
        return channels, units, out
    degrees: list[AngleUnit] = ["deg"] * len(extra_names)
    return ([*channels, *extra_names], [*units, *degrees],
            np.column_stack([out, *extra_cols]))


def read(path: Path, *, in_degrees: bool | None = None,
         knee_sign: KneeSign = "auto") -> AngleSequence:
    """Read an OpenSim ``.mot``/``.sto`` coordinate file as joint angles.

    Args:
        path: the file.
        in_degrees: override the header's ``inDegrees`` (``False`` = radians).
        knee_sign: ``"auto"`` detects gait2392's negative knee flexion;
            ``"rajagopal"`` keeps the sign, ``"gait2392"`` negates it.

    Raises:
        MotionFileError: missing ``endheader``/``time`` column, counts that
            disagree with the table, bad numbers, or non-uniform sampling.
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    head = _parse_header(lines, path)
    degrees, notes = _in_degrees(head.fields, in_degrees, path)
    names, values = _table(lines, head.end_line + 1, path)
    for key, name, actual in (("nrows", "nRows", values.shape[0]),
                              ("ncolumns", "nColumns", len(names))):
        declared = _declared(head.fields, key, name, path)
        if declared is not None and declared != actual:
            raise MotionFileError(path, f"{name} is {declared} but the table has {actual}",
                                  field=name)
    fps = _fps(values[:, 0], path)
    channels, units, data = _convert(names[1:], values[:, 1:], degrees, knee_sign, notes)
    channels, units, data = to_project_conventions(channels, units, data, notes)
    if not channels:
        raise MotionFileError(path, "no coordinate columns besides time")
    source = SourceInfo(path=str(path), format="mot",
                        original_units="deg" if degrees else "rad", notes=tuple(notes),
                        extra={"time_start_s": float(values[0, 0]),
                               "original_columns": tuple(names[1:])})
    try:
        return AngleSequence(values=data, channels=tuple(channels), units=tuple(units),
                             fps=fps, source=source)
    except MotionDataError as exc:
        raise MotionFileError(path, str(exc)) from None
