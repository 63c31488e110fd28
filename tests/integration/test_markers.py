"""Joint centres from the real UI-PRMD Plug-in-Gait markers (synthetic recovery: tests/unit)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.tools.markers import PLUG_IN_GAIT_39, joint_centres_from_markers


@pytest.mark.integration
def test_marker_order_matches_source_md(uiprmd_dir: Path) -> None:
    text = (uiprmd_dir / "SOURCE.md").read_text()
    start = text.index("`LFHD")
    documented = text[start + 1: text.index("`", start + 1)].split()
    assert documented == list(PLUG_IN_GAIT_39)


REAL = ["m01_s01_e01_positions", "m01_s01_e06_positions", "m01_s01_e03_positions_inc",
        "m03_s01_e02_positions", "m03_s01_e07_positions_inc"]


def _real_markers(uiprmd_dir: Path, stem: str) -> np.ndarray:
    folder = "Incorrect Segmented Movements" if stem.endswith("_inc") else "Segmented Movements"
    with gzip.open(uiprmd_dir / folder / "Vicon" / "Positions" / f"{stem}.txt.gz", "rt") as fh:
        mm = np.loadtxt(fh, delimiter=",").reshape(-1, 39, 3)
    mm[(mm == 0).all(axis=2)] = np.nan  # Vicon gaps
    xyz = mm / 1000.0
    return np.stack([xyz[..., 0], xyz[..., 2], -xyz[..., 1]], axis=-1)  # Z up -> Y up


@pytest.mark.integration
@pytest.mark.parametrize("stem", REAL, ids=REAL)
def test_real_uiprmd_segments_plausible(uiprmd_dir: Path, stem: str) -> None:
    markers = _real_markers(uiprmd_dir, stem)
    pos, joints, _ = joint_centres_from_markers(markers, PLUG_IN_GAIT_39)
    g = {j: pos[:, joints.index(j)] for j in joints}
    m = {n: markers[:, i] for i, n in enumerate(PLUG_IN_GAIT_39)}
    for side, p in (("left", "L"), ("right", "R")):
        thigh = np.linalg.norm(g[f"{side}_hip"] - g[f"{side}_knee"], axis=1)
        assert 0.35 <= np.nanmedian(thigh) <= 0.50
        shank = np.linalg.norm(g[f"{side}_knee"] - g[f"{side}_ankle"], axis=1)
        raw = np.linalg.norm(m[p + "KNE"] - m[p + "ANK"], axis=1)
        assert 0.33 <= np.nanmedian(shank) <= 0.50
        # Knee-to-ankle distance is not constant here: the KNE marker slides over the
        # condyle in deep flexion (raw KNE-ANK varies by several cm). The centres must not
        # add much to that artefact.
        assert np.nanstd(shank) <= 1.4 * np.nanstd(raw) + 0.003
    hip_width = np.linalg.norm(g["left_hip"] - g["right_hip"], axis=1)
    assert 0.15 <= np.nanmedian(hip_width) <= 0.28
    _assert_hips_inside_pelvis(m, g)


def _assert_hips_inside_pelvis(m: dict[str, np.ndarray], g: dict[str, np.ndarray]) -> None:
    o = 0.5 * (m["LASI"] + m["RASI"])
    z = m["RASI"] - m["LASI"]
    half_width = np.linalg.norm(z, axis=1) / 2
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    depth = o - 0.5 * (m["LPSI"] + m["RPSI"])
    x = depth - np.einsum("ij,ij->i", depth, z)[:, None] * z
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.cross(z, x)
    pd = np.einsum("ij,ij->i", depth, x)
    for side, sign in (("left", -1.0), ("right", 1.0)):
        rel = g[f"{side}_hip"] - o
        lateral = sign * np.einsum("ij,ij->i", rel, z)
        assert np.all((lateral > 0) & (lateral < half_width))  # between the ASIS markers
        ap = np.einsum("ij,ij->i", rel, x)
        assert np.all((ap < 0) & (ap > -pd))  # behind the ASIS, in front of the PSIS
        assert np.all(np.einsum("ij,ij->i", rel, y) < 0)  # below the ASIS
