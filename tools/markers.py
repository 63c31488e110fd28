"""Joint centres from Vicon Plug-in-Gait skin markers (plain numpy).

Readers that meet Plug-in-Gait marker names (UI-PRMD CSV, C3D, TRC) call
:func:`joint_centres_from_markers` to turn markers on the skin into the
canonical joints of :mod:`sportsgpt.tools.skeleton`. Input and output are in
metres, Y up; NaN marks a missing sample and propagates.

Methods, and where they come from
---------------------------------
* **Hip joint centres**: the regression of Harrington et al. (2007), with
  pelvic width, pelvic depth and leg length as predictors -- see
  :func:`harrington_hip_centres`.
  Harrington M.E., Zavatsky A.B., Lawson S.E.M., Yuan Z., Theologis T.N.
  "Prediction of the hip joint centre in adults, children, and patients with
  cerebral palsy based on magnetic resonance imaging." *J Biomech*
  2007;40(3):595-602. doi:10.1016/j.jbiomech.2006.02.003
* **Knee and ankle centres**: the Plug-in-Gait / Conventional Gait Model
  "chord function" -- see :func:`chord_joint_centre`. Knee: wand ``THI``,
  proximal centre = hip centre, marker ``KNE``, offset = knee width / 2 +
  marker radius. Ankle: wand ``TIB``, proximal centre = knee centre, marker
  ``ANK``, offset = ankle width / 2 + marker radius. Tibial torsion is taken
  as zero. Knee and ankle widths are subject measurements that marker files
  do not carry; the defaults below are assumptions and are reported in the
  notes.
* **Pelvis** = midpoint of the two hip centres. **Heel** = ``HEE`` marker,
  **toe** = ``TOE`` marker.
* **Thorax** = mean of ``C7`` and ``CLAV``. **Head** = mean of the four head
  markers (``LFHD RFHD LBHD RBHD``). **Neck** = midpoint of thorax and head:
  a geometric convention for "base of the head", not an anatomical landmark.
* **Shoulder** = ``SHO`` marker (acromion) itself, no offset: Plug-in-Gait's
  shoulder centre needs thorax wand markers and a shoulder offset that this
  marker set does not provide.
* **Elbow** = ``ELB`` (lateral epicondyle) moved medially by elbow width / 2 +
  marker radius along the line between the shoulder markers (``LSHO -> RSHO``
  for the left arm, the reverse for the right). This is a simplification of
  Plug-in-Gait's elbow chord construction; its error is at most the offset
  when the upper arm points along the shoulder line.
* **Wrist** = midpoint of ``WRA`` and ``WRB`` (Plug-in-Gait's ``WRI`` point;
  Plug-in-Gait further shifts it by half the wrist thickness, omitted here).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.skeleton import canonical_order

FloatArray = npt.NDArray[np.float64]

PLUG_IN_GAIT_39: Final[tuple[str, ...]] = (
    "LFHD", "RFHD", "LBHD", "RBHD", "C7", "T10", "CLAV", "STRN", "RBAK",
    "LSHO", "LUPA", "LELB", "LFRM", "LWRA", "LWRB", "LFIN",
    "RSHO", "RUPA", "RELB", "RFRM", "RWRA", "RWRB", "RFIN",
    "LASI", "RASI", "LPSI", "RPSI",
    "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE",
    "RTHI", "RKNE", "RTIB", "RANK", "RHEE", "RTOE",
)
"""The 39 markers of the Vicon Plug-in-Gait full-body set, in UI-PRMD column order."""

DEFAULT_KNEE_WIDTH_M: Final[float] = 0.100
"""Assumed knee width (femoral epicondyles) when none is measured: a typical adult value."""

DEFAULT_ANKLE_WIDTH_M: Final[float] = 0.070
"""Assumed ankle width (malleoli) when none is measured: a typical adult value."""

DEFAULT_ELBOW_WIDTH_M: Final[float] = 0.070
"""Assumed elbow width (humeral epicondyles) when none is measured: a typical adult value."""

HARRINGTON_2007: Final[str] = (
    "Harrington et al. 2007, J Biomech 40(3):595-602, doi:10.1016/j.jbiomech.2006.02.003")

SideValue = float | Mapping[str, float] | None
"""A per-side subject measurement: one value for both sides, ``{"left": .., "right": ..}``,
or None for the default/estimate."""

_SIDES: Final[dict[str, str]] = {"left": "L", "right": "R"}


# --- small vector helpers ------------------------------------------------------------------
def _norm(v: FloatArray) -> FloatArray:
    out: FloatArray = np.sqrt(np.einsum("...i,...i->...", v, v))
    return out


def _unit(v: FloatArray) -> FloatArray:
    """Return unit vectors along the last axis; NaN where the length is zero or NaN."""
    n = _norm(v)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(n > 0, v / np.where(n > 0, n, 1.0), np.nan)
    return out


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    out: FloatArray = np.einsum("...i,...i->...", a, b)
    return out


# --- published constructions --------------------------------------------------------------
def chord_joint_centre(wand: FloatArray, proximal: FloatArray, marker: FloatArray,
                       delta: float) -> FloatArray:
    """Plug-in-Gait "chord function": a joint centre from a wand, a proximal centre and a marker.

    The joint centre ``J`` lies in the plane of ``wand``, ``proximal`` and
    ``marker``, at distance ``delta`` from ``marker``, on the far side of the
    line proximal-marker from the wand, and such that ``marker - J`` is
    perpendicular to ``proximal - J`` (``J`` is on the circle whose diameter is
    proximal-marker). This is the construction of the Conventional Gait Model
    / Vicon Plug-in-Gait used for the knee (wand ``THI``, hip centre, ``KNE``)
    and the ankle (wand ``TIB``, knee centre, ``ANK``); the open
    implementations pyCGM (``findJointC``) and pyCGM2 compute the same point.

    Args:
        wand: (..., 3) wand/plane marker.
        proximal: (..., 3) proximal joint centre.
        marker: (..., 3) lateral marker at the joint.
        delta: joint half-width plus marker radius, same units as the points.

    Returns:
        (..., 3) joint centres; NaN where an input is NaN, where the three
        points are collinear, or where ``delta`` is not shorter than the
        proximal-marker distance (no solution).
    """
    seg = proximal - marker
    d = _norm(seg)
    u = _unit(seg)
    n = _unit(np.cross(wand - marker, seg))
    w = np.cross(n, u)  # in-plane, perpendicular to u, pointing away from the wand
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_t = np.where(d > delta, delta / np.where(d > 0, d, 1.0), np.nan)
        sin_t = np.sqrt(1.0 - cos_t * cos_t)
    out: FloatArray = marker + delta * (cos_t[..., None] * u + sin_t[..., None] * w)
    return out


def harrington_hip_centres(lasi: FloatArray, rasi: FloatArray, lpsi: FloatArray,
                           rpsi: FloatArray, *, leg_length_left_m: float,
                           leg_length_right_m: float,
                           marker_radius_m: float) -> tuple[FloatArray, FloatArray]:
    """Hip joint centres by the regression of Harrington et al. (2007).

    Reference: Harrington M.E., Zavatsky A.B., Lawson S.E.M., Yuan Z.,
    Theologis T.N. "Prediction of the hip joint centre in adults, children,
    and patients with cerebral palsy based on magnetic resonance imaging."
    *Journal of Biomechanics* 2007;40(3):595-602,
    doi:10.1016/j.jbiomech.2006.02.003.

    Pelvis frame (origin at the ASIS midpoint): ``z`` from LASI to RASI
    (to the right), ``x`` anterior (the part of PSIS-midpoint -> ASIS-midpoint
    perpendicular to ``z``), ``y = z x x`` (superior). With pelvic width
    ``PW`` (inter-ASIS distance), pelvic depth ``PD`` (ASIS midpoint to PSIS
    midpoint) and leg length ``LL``, all in mm, the hip centre is at::

        x = -0.24 PD - 9.9
        y = -0.16 PW - 0.04 LL - 7.1
        z = +/-(0.28 PD + 0.16 PW + 7.9)      (+ right, - left)

    Because the origin is the midpoint of marker centres, which sit one
    marker radius in front of the skin, ``x`` is further reduced by the
    marker radius (as pyCGM2's ``harringtonRegression`` does; pyCGM2 also
    subtracts a 2 mm base plate, which is not done here). The regression is
    evaluated frame by frame.

    Args:
        lasi: (..., 3) left ASIS marker, metres.
        rasi: (..., 3) right ASIS marker, metres.
        lpsi: (..., 3) left PSIS marker, metres.
        rpsi: (..., 3) right PSIS marker, metres.
        leg_length_left_m: left leg length (ASIS to medial malleolus), metres.
        leg_length_right_m: right leg length, metres.
        marker_radius_m: marker radius in metres.

    Returns:
        (left, right) hip centres, each (..., 3), in metres.
    """
    o = 0.5 * (lasi + rasi)
    mid_psi = 0.5 * (lpsi + rpsi)
    z = _unit(rasi - lasi)
    depth_vec = o - mid_psi
    x = _unit(depth_vec - _dot(depth_vec, z)[..., None] * z)
    y = np.cross(z, x)
    pw = _norm(rasi - lasi) * 1000.0
    pd = _norm(depth_vec) * 1000.0
    hx = (-0.24 * pd - 9.9) / 1000.0 - marker_radius_m
    hz = (0.28 * pd + 0.16 * pw + 7.9) / 1000.0
    centres = []
    for ll, side in ((leg_length_left_m, -1.0), (leg_length_right_m, 1.0)):
        hy = (-0.16 * pw - 0.04 * ll * 1000.0 - 7.1) / 1000.0
        centres.append(o + hx[..., None] * x + hy[..., None] * y + side * hz[..., None] * z)
    return centres[0], centres[1]


def estimate_leg_length(asi: FloatArray, kne: FloatArray, ank: FloatArray) -> float:
    """Leg length proxy: median over frames of ``|ASI-KNE| + |KNE-ANK|`` (metres).

    Plug-in-Gait's leg length is measured ASIS to medial malleolus with the
    subject standing. The path through the lateral knee marker to the lateral
    malleolus marker stays close to that length whatever the knee flexion.
    NaN when no frame has all three markers.
    """
    path = _norm(asi - kne) + _norm(kne - ank)
    finite = path[np.isfinite(path)]
    return float(np.median(finite)) if finite.size else math.nan


# --- the public entry point ----------------------------------------------------------------
def _side_value(value: SideValue, side: str, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        unknown = set(value) - set(_SIDES)
        if unknown:
            raise MotionDataError(f"{what}: keys must be 'left'/'right', got {sorted(unknown)}")
        if side not in value:
            return None
        raw = value[side]
    else:
        raw = value
    try:
        v = float(raw)
    except (TypeError, ValueError):
        raise MotionDataError(f"{what} must be a number of metres, got {raw!r}") from None
    if not math.isfinite(v) or not 0.0 < v < 3.0:
        raise MotionDataError(f"{what} must be a finite length in (0, 3) m, got {v!r}")
    return v


def _marker_index(names: Sequence[str], n_markers: int) -> dict[str, int]:
    if len(names) != n_markers:
        raise MotionDataError(f"{len(names)} marker names for {n_markers} markers")
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        key = str(name).rsplit(":", 1)[-1].strip().upper()  # "Subject:LASI" -> "LASI"
        if key in index:
            raise MotionDataError(f"marker {key!r} appears twice in the marker names")
        index[key] = i
    return index


class _Builder:
    """Collects joints and notes while the centres are computed."""

    def __init__(self, markers: FloatArray, index: dict[str, int], radius: float) -> None:
        self.m = markers
        self.index = index
        self.radius = radius
        self.joints: dict[str, FloatArray] = {}
        self.notes: list[str] = []

    def has(self, *names: str) -> bool:
        return all(n in self.index for n in names)

    def get(self, name: str) -> FloatArray:
        return self.m[:, self.index[name], :]

    def mean(self, *names: str) -> FloatArray:
        out: FloatArray = np.mean(np.stack([self.get(n) for n in names]), axis=0)
        return out

    def hips(self, leg_length_m: SideValue) -> None:
        if not self.has("LASI", "RASI", "LPSI", "RPSI"):
            return
        lengths: dict[str, float] = {}
        for side, p in _SIDES.items():
            given = _side_value(leg_length_m, side, "leg_length_m")
            if given is not None:
                lengths[side] = given
                continue
            if not self.has(f"{p}ASI", f"{p}KNE", f"{p}ANK"):
                self.notes.append(f"{side} leg length neither given nor estimable "
                                  f"({p}KNE/{p}ANK missing): hip centres left out")
                return
            est = estimate_leg_length(self.get(f"{p}ASI"), self.get(f"{p}KNE"),
                                      self.get(f"{p}ANK"))
            if not math.isfinite(est):
                self.notes.append(f"{side} leg length not estimable (no frame with "
                                  f"{p}ASI, {p}KNE and {p}ANK): hip centres left out")
                return
            lengths[side] = est
            self.notes.append(f"{side} leg length not given: estimated as the median "
                              f"{p}ASI-{p}KNE-{p}ANK marker path, {est:.3f} m")
        left, right = harrington_hip_centres(
            self.get("LASI"), self.get("RASI"), self.get("LPSI"), self.get("RPSI"),
            leg_length_left_m=lengths["left"], leg_length_right_m=lengths["right"],
            marker_radius_m=self.radius)
        self.joints["left_hip"], self.joints["right_hip"] = left, right
        self.joints["pelvis"] = 0.5 * (left + right)
        self.notes.append(f"hip centres: Harrington regression ({HARRINGTON_2007}); "
                          "pelvis = midpoint of the hip centres")

    def chord(self, joint: str, wand: str, proximal: str, marker: str,
              width: SideValue, default: float, what: str) -> None:
        for side, p in _SIDES.items():
            prox = f"{side}_{proximal}"
            if prox not in self.joints or not self.has(p + wand, p + marker):
                continue
            given = _side_value(width, side, what)
            w = default if given is None else given
            if given is None:
                self.notes.append(f"{side} {what} not measured: assumed {w:.3f} m")
            self.joints[f"{side}_{joint}"] = chord_joint_centre(
                self.get(p + wand), self.joints[prox], self.get(p + marker),
                w / 2.0 + self.radius)

    def upper_body(self, elbow_width_m: SideValue) -> None:
        if self.has("C7", "CLAV"):
            self.joints["thorax"] = self.mean("C7", "CLAV")
        if self.has("LFHD", "RFHD", "LBHD", "RBHD"):
            self.joints["head"] = self.mean("LFHD", "RFHD", "LBHD", "RBHD")
        if "thorax" in self.joints and "head" in self.joints:
            self.joints["neck"] = 0.5 * (self.joints["thorax"] + self.joints["head"])
        for side, p in _SIDES.items():
            if self.has(p + "SHO"):
                self.joints[f"{side}_shoulder"] = self.get(p + "SHO")
            if self.has(p + "WRA", p + "WRB"):
                self.joints[f"{side}_wrist"] = self.mean(p + "WRA", p + "WRB")
            if self.has(p + "ELB", "LSHO", "RSHO"):
                given = _side_value(elbow_width_m, side, "elbow_width_m")
                w = DEFAULT_ELBOW_WIDTH_M if given is None else given
                if given is None:
                    self.notes.append(f"{side} elbow width not measured: assumed {w:.3f} m")
                other = "R" if p == "L" else "L"
                medial = _unit(self.get(other + "SHO") - self.get(p + "SHO"))
                self.joints[f"{side}_elbow"] = (self.get(p + "ELB")
                                                + (w / 2.0 + self.radius) * medial)

    def feet(self) -> None:
        for side, p in _SIDES.items():
            if self.has(p + "HEE"):
                self.joints[f"{side}_heel"] = self.get(p + "HEE")
            if self.has(p + "TOE"):
                self.joints[f"{side}_toe"] = self.get(p + "TOE")


def joint_centres_from_markers(
    markers: FloatArray,
    names: Sequence[str],
    *,
    marker_diameter_m: float = 0.014,
    leg_length_m: SideValue = None,
    knee_width_m: SideValue = None,
    ankle_width_m: SideValue = None,
    elbow_width_m: SideValue = None,
) -> tuple[FloatArray, tuple[str, ...], list[str]]:
    """Canonical joint centres from Plug-in-Gait markers (see the module docstring for methods).

    Joints whose markers are missing from ``names`` are left out; NaN samples
    propagate to every joint computed from them.

    Args:
        markers: (T, M, 3) marker positions in metres, Y up.
        names: the M marker names (Plug-in-Gait labels such as ``LASI``; a
            ``Subject:`` prefix and letter case are ignored).
        marker_diameter_m: marker diameter (Plug-in-Gait default 14 mm).
        leg_length_m: leg length (ASIS to medial malleolus); estimated from
            the markers when not given (see :func:`estimate_leg_length`).
        knee_width_m: knee width; default :data:`DEFAULT_KNEE_WIDTH_M`.
        ankle_width_m: ankle width; default :data:`DEFAULT_ANKLE_WIDTH_M`.
        elbow_width_m: elbow width; default :data:`DEFAULT_ELBOW_WIDTH_M`.

    Returns:
        ``(positions (T, J, 3), joint names in canonical order, notes)``; the
        notes say which methods ran and which values were assumed or estimated.

    Raises:
        MotionDataError: wrong array shape, names that do not match, duplicate
            marker names, or a non-physical measurement.
    """
    arr = np.asarray(markers, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise MotionDataError(f"markers must have shape (T, M, 3), got {arr.shape}")
    index = _marker_index(names, arr.shape[1])
    if not (math.isfinite(marker_diameter_m) and 0.0 <= marker_diameter_m < 0.1):
        raise MotionDataError(f"marker_diameter_m must be in [0, 0.1) m, got {marker_diameter_m!r}")
    b = _Builder(arr, index, marker_diameter_m / 2.0)
    b.hips(leg_length_m)
    b.chord("knee", "THI", "hip", "KNE", knee_width_m, DEFAULT_KNEE_WIDTH_M, "knee width")
    b.chord("ankle", "TIB", "knee", "ANK", ankle_width_m, DEFAULT_ANKLE_WIDTH_M, "ankle width")
    if any(j.endswith("knee") for j in b.joints):
        b.notes.append("knee/ankle centres: Plug-in-Gait chord function (THI/TIB wand plane, "
                       "offset = width/2 + marker radius, no tibial torsion)")
    b.feet()
    b.upper_body(elbow_width_m)
    order = canonical_order(list(b.joints))
    if not order:
        return np.zeros((arr.shape[0], 0, 3)), (), b.notes
    pos = np.stack([b.joints[j] for j in order], axis=1)
    return pos, tuple(order), b.notes


__all__ = [
    "DEFAULT_ANKLE_WIDTH_M",
    "DEFAULT_ELBOW_WIDTH_M",
    "DEFAULT_KNEE_WIDTH_M",
    "PLUG_IN_GAIT_39",
    "chord_joint_centre",
    "estimate_leg_length",
    "harrington_hip_centres",
    "joint_centres_from_markers",
]
