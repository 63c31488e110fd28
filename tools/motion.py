"""The motion model every stage of SportsGPT shares.

Conventions, stated once:

* ``positions`` has shape ``(T, J, D)``: time first, then joints, then
  coordinates. ``D`` is 3 for 3D data and 2 for image keypoints. dtype float64.
* 3D data is in metres in a right-handed frame with **Y up**. Once
  :func:`sportsgpt.tools.preprocess.normalise_orientation` has run, the
  athlete faces **+X** (``facing="+x"``): X-Y is the sagittal plane, Z-Y the
  frontal plane and +Z points to the athlete's right. Before that
  ``facing="unknown"``.
* 2D data: x is the image's horizontal axis (to the right), y points **up**
  (image rows flipped). Units are pixels unless a pixel-to-metre scale was
  applied. ``view`` says which anatomical plane the camera sees: ``sagittal``
  (side), ``frontal`` (front or back), ``oblique`` (in between: neither plane is
  seen undistorted) or ``unknown`` (see :mod:`sportsgpt.tools.view`, which detects it).
* NaN marks a missing sample; nothing else does (no zeros for "not detected").
* ``confidence`` (optional) has shape ``(T, J)`` in [0, 1].

:class:`AngleSequence` is the angles-only counterpart, for sources (OpenSim
``.mot``) and computations that carry joint angles rather than positions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sportsgpt.core.errors import MissingJointError, MotionDataError

FloatArray = npt.NDArray[np.float64]

MIN_FPS = 1.0
"""Lowest frame rate accepted, in Hz.

Human movement happens at 0.5-15 Hz (a jump's flight lasts 0.3-0.8 s, a squat 1-4 s);
below 1 Hz a recording samples fewer than one frame per phase, so no event, angle
velocity or timing metric can be measured. A rate that low is a wrong flag (a period
given in seconds, a typo), not a recording, and every path refuses it here.
"""

MAX_FPS = 10_000.0
"""Highest frame rate accepted, in Hz (high-speed cameras for sport reach a few kHz)."""

Units = Literal["m", "px"]
View = Literal["3d", "sagittal", "frontal", "oblique", "unknown"]
Facing = Literal["+x", "unknown"]


def _validation_message(exc: ValidationError) -> str:
    """One readable line from a pydantic error (our own messages unwrapped)."""
    parts = []
    for err in exc.errors():
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        loc = ".".join(str(x) for x in err.get("loc", ()))
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


class _Validated(BaseModel):
    """Base that turns pydantic's ValidationError into :class:`MotionDataError`."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise MotionDataError(_validation_message(exc)) from None


class SourceInfo(BaseModel):
    """Where a motion came from and what the reader did to it."""

    model_config = ConfigDict(frozen=True)

    path: str | None = None
    format: str = "array"
    original_units: str | None = None
    original_up_axis: str | None = None
    original_joint_names: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = Field(default_factory=dict)


def _check_fps(fps: float) -> float:
    if not np.isfinite(fps) or not MIN_FPS <= fps <= MAX_FPS:
        raise MotionDataError(f"fps must be a finite number from {MIN_FPS:g} to {MAX_FPS:g} Hz "
                              f"(a human movement recording), got {fps!r}")
    return float(fps)


class MotionSequence(_Validated):
    """Joint positions over time with named joints, frame rate and units.

    Example:
        >>> import numpy as np
        >>> m = MotionSequence(positions=np.zeros((4, 2, 3)), joints=("pelvis", "head"), fps=100)
        >>> m.n_frames, m.n_joints, m.dim, m.duration_s
        (4, 2, 3, 0.04)
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    positions: FloatArray
    joints: tuple[str, ...]
    fps: float
    units: Units = "m"
    facing: Facing = "unknown"
    view: View = "3d"
    confidence: FloatArray | None = None
    source: SourceInfo = Field(default_factory=SourceInfo)

    @field_validator("positions", mode="before")
    @classmethod
    def _as_float_array(cls, v: Any) -> FloatArray:
        try:
            arr = np.array(v, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise MotionDataError(f"positions are not numeric: {exc}") from None
        if arr.ndim != 3 or arr.shape[2] not in (2, 3):
            raise MotionDataError(f"positions must have shape (T, J, 2|3), got {arr.shape}")
        if np.isinf(arr).any():
            raise MotionDataError("positions contain inf; use NaN for missing samples")
        arr.setflags(write=False)
        return arr

    @field_validator("confidence", mode="before")
    @classmethod
    def _as_conf(cls, v: Any) -> FloatArray | None:
        if v is None:
            return None
        arr = np.array(v, dtype=np.float64, copy=True)
        if arr.ndim != 2:
            raise MotionDataError(f"confidence must have shape (T, J), got {arr.shape}")
        finite = arr[np.isfinite(arr)]
        if np.isinf(arr).any() or (finite.size and (finite.min() < 0 or finite.max() > 1)):
            raise MotionDataError("confidence values must lie in [0, 1] (NaN for unknown)")
        arr.setflags(write=False)
        return arr

    @field_validator("fps")
    @classmethod
    def _fps(cls, v: float) -> float:
        return _check_fps(v)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        t, j, d = self.positions.shape
        if len(self.joints) != j:
            raise MotionDataError(f"{len(self.joints)} joint names for {j} joints in positions")
        if len(set(self.joints)) != j:
            dup = sorted({n for n in self.joints if self.joints.count(n) > 1})
            raise MotionDataError(f"duplicate joint names: {dup}")
        if self.confidence is not None and self.confidence.shape != (t, j):
            raise MotionDataError(
                f"confidence shape {self.confidence.shape} does not match positions {(t, j)}")
        if d == 2 and self.view == "3d":
            raise MotionDataError("2D positions need view 'sagittal', 'frontal', 'oblique' or "
                                  "'unknown'")
        if d == 3 and self.view != "3d":
            raise MotionDataError("3D positions must have view '3d'")
        return self

    # --- read-only helpers --------------------------------------------------
    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.positions.shape[0])

    @property
    def n_joints(self) -> int:
        """Number of joints J."""
        return int(self.positions.shape[1])

    @property
    def dim(self) -> int:
        """Spatial dimension D (2 or 3)."""
        return int(self.positions.shape[2])

    @property
    def duration_s(self) -> float:
        """Duration in seconds, ``T / fps``."""
        return self.n_frames / self.fps

    @property
    def time_s(self) -> FloatArray:
        """Time stamp of each frame in seconds, starting at 0."""
        return np.arange(self.n_frames, dtype=np.float64) / self.fps

    def has(self, *joints: str) -> bool:
        """True when every named joint is present."""
        return all(j in self.joints for j in joints)

    def require(self, *joints: str, what: str = "this computation") -> None:
        """Raise :class:`MissingJointError` unless every named joint is present."""
        missing = [j for j in joints if j not in self.joints]
        if missing:
            raise MissingJointError(missing, self.joints, what)

    def index(self, joint: str) -> int:
        """Column index of a joint."""
        try:
            return self.joints.index(joint)
        except ValueError:
            raise MissingJointError([joint], self.joints) from None

    def joint(self, name: str) -> FloatArray:
        """Positions of one joint, shape ``(T, D)`` (read-only view)."""
        return self.positions[:, self.index(name), :]

    def select(self, joints: list[str] | tuple[str, ...]) -> MotionSequence:
        """A new motion with only the named joints, in the given order."""
        idx = [self.index(j) for j in joints]
        conf = None if self.confidence is None else self.confidence[:, idx]
        return self.replace(positions=self.positions[:, idx, :], joints=tuple(joints),
                            confidence=conf)

    def replace(self, **changes: Any) -> MotionSequence:
        """A validated copy with some fields changed."""
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(changes)
        return type(self)(**data)

    def slice_frames(self, start: int, stop: int) -> MotionSequence:
        """Frames ``start:stop`` as a new motion."""
        conf = None if self.confidence is None else self.confidence[start:stop]
        return self.replace(positions=self.positions[start:stop], confidence=conf)

    def missing_fraction(self) -> float:
        """Share of (frame, joint) samples that are NaN."""
        if self.positions.size == 0:
            return 0.0
        return float(np.isnan(self.positions).any(axis=2).mean())

    @property
    def source_path(self) -> Path | None:
        """The file this motion was read from, if any."""
        return Path(self.source.path) if self.source.path else None


AngleUnit = Literal["deg", "m", "m/s", "m/s^2", "1"]


class AngleSequence(_Validated):
    """Joint angles (and optional translations) over time, shape ``(T, C)``.

    Channel names follow the kinematics module's conventions where a
    source has an equivalent (``knee_flexion_left``, ``hip_flexion_right``,
    ``pelvis_height``...); other channels keep their source names. Angles are
    in degrees, unwrapped (continuous); translations are in metres; derived
    signals carry their own units (m/s, m/s^2, "1" for 0/1 contact flags).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    values: FloatArray
    channels: tuple[str, ...]
    units: tuple[AngleUnit, ...]
    fps: float
    source: SourceInfo = Field(default_factory=SourceInfo)

    @field_validator("values", mode="before")
    @classmethod
    def _as_float_array(cls, v: Any) -> FloatArray:
        try:
            arr = np.array(v, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise MotionDataError(f"angle values are not numeric: {exc}") from None
        if arr.ndim != 2:
            raise MotionDataError(f"angle values must have shape (T, C), got {arr.shape}")
        if np.isinf(arr).any():
            raise MotionDataError("angle values contain inf; use NaN for missing samples")
        arr.setflags(write=False)
        return arr

    @field_validator("fps")
    @classmethod
    def _fps(cls, v: float) -> float:
        return _check_fps(v)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        c = self.values.shape[1]
        if len(self.channels) != c or len(self.units) != c:
            raise MotionDataError(
                f"{c} channels in values, {len(self.channels)} names, {len(self.units)} units")
        if len(set(self.channels)) != c:
            raise MotionDataError("duplicate channel names")
        return self

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.values.shape[0])

    @property
    def duration_s(self) -> float:
        """Duration in seconds."""
        return self.n_frames / self.fps

    def channel(self, name: str) -> FloatArray:
        """One channel, shape ``(T,)``."""
        try:
            return self.values[:, self.channels.index(name)]
        except ValueError:
            raise MissingJointError([name], self.channels, "this computation") from None

    def has(self, *names: str) -> bool:
        """True when every named channel is present."""
        return all(n in self.channels for n in names)
