"""The data home: where SportsGPT finds sample data sets, and loaders for them.

Search order (like scikit-learn's dataset loaders):

1. ``$SPORTSGPT_DATA`` when set (a folder holding one sub-folder per set);
2. the user cache, ``<user cache>/sportsgpt/data`` (see :mod:`platformdirs`);
3. a ``shared/data`` folder beside the working directory or the source
   checkout (``../shared/data`` from a clone's root), when present.

Nothing is downloaded: a missing set raises :class:`DatasetNotFoundError`
saying where to get it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from sportsgpt.core.errors import DatasetNotFoundError
from sportsgpt.core.settings import Settings, get_settings
from sportsgpt.tools.motion import AngleSequence, MotionSequence

DATASETS: Final[dict[str, str]] = {
    "cmu-mocap-jumps": (
        "CMU Graphics Lab Motion Capture Database, subjects 16 and 118 (ASF/AMC): "
        "download from http://mocap.cs.cmu.edu (free for all uses; acknowledge "
        "'The data used in this project was obtained from mocap.cs.cmu.edu. The database "
        "was created with funding from NSF EIA-0196217.')"),
    "ui-prmd": (
        "UI-PRMD Vicon positions (Vakanski et al. 2018, doi:10.3390/data3010002, PDDL 1.0): "
        "https://webpages.uidaho.edu/ui-prmd/ ; keep the folders 'Segmented Movements' and "
        "'Incorrect Segmented Movements'"),
    "opencap-samples": (
        "OpenCap sample .mot files from github.com/stanfordnmbl/opencap-processing "
        "(Apache-2.0)"),
    "sportqa-subset": (
        "SportQA level-2 questions from github.com/haotianxia/SportQA (CC BY 4.0)"),
    "opencap-dropjumps": (
        "drop jumps and squats: optical markers, force plates and OpenCap smartphone "
        "keypoints, from github.com/keenon/nimblephysics (data/grf/Subject4, BSD-2-Clause) "
        "and github.com/stanfordnmbl/marker-enhancer (test_data, Apache-2.0)"),
}


def _candidate_homes(settings: Settings) -> list[tuple[str, Path]]:
    homes: list[tuple[str, Path]] = []
    if settings.data_home is not None:
        homes.append(("$SPORTSGPT_DATA", settings.data_home))
        return homes  # an explicit home is authoritative
    homes.append(("user cache", settings.cache_dir / "data"))
    here = Path(__file__).resolve()
    for base in (Path.cwd().resolve(), *here.parents):
        for cand in (base / "shared" / "data", base.parent / "shared" / "data"):
            if cand.is_dir() and ("shared data", cand) not in homes:
                homes.append(("shared data", cand))
    return homes


def data_home(name: str, settings: Settings | None = None) -> Path:
    """Folder of the named data set, searched in the documented order."""
    if name not in DATASETS:
        raise DatasetNotFoundError(f"unknown data set {name!r}; known: {sorted(DATASETS)}")
    settings = settings or get_settings()
    homes = _candidate_homes(settings)
    for _label, home in homes:
        if (home / name).is_dir():
            return home / name
    looked = "; ".join(f"{label}: {home}" for label, home in homes)
    raise DatasetNotFoundError(
        f"data set {name!r} not found (looked in {looked}). Get it from {DATASETS[name]} "
        f"and put it in a folder named {name!r} under $SPORTSGPT_DATA.")


def cmu_trial_path(trial: str, settings: Settings | None = None) -> Path:
    """Path of a CMU AMC trial such as ``"16_01"``."""
    path = data_home("cmu-mocap-jumps", settings) / f"{trial}.amc"
    if not path.is_file():
        raise DatasetNotFoundError(f"CMU trial {trial!r} is not in {path.parent}")
    return path


def load_cmu_trial(trial: str, settings: Settings | None = None) -> MotionSequence:
    """Read a CMU jump trial (AMC with its subject's ASF) as canonical joints.

    Example:
        >>> m = load_cmu_trial("16_01")  # doctest: +SKIP
        >>> m.fps
        120.0
    """
    from sportsgpt.tools.io.asf_amc import read

    return read(cmu_trial_path(trial, settings))


def list_cmu_trials(settings: Settings | None = None) -> list[str]:
    """Trial ids (``"16_01"``...) present in the data home."""
    home = data_home("cmu-mocap-jumps", settings)
    return sorted(p.stem for p in home.glob("*.amc"))


UIPRMD_MOVEMENTS: Final[dict[str, str]] = {"deep_squat": "m01", "inline_lunge": "m03"}


def ui_prmd_path(movement: str, subject: int, episode: int, *, correct: bool = True,
                 settings: Settings | None = None) -> Path:
    """Path of one UI-PRMD Vicon repetition file."""
    code = UIPRMD_MOVEMENTS.get(movement, movement)
    home = data_home("ui-prmd", settings)
    folder = "Segmented Movements" if correct else "Incorrect Segmented Movements"
    name = f"{code}_s{subject:02d}_e{episode:02d}_positions{'' if correct else '_inc'}.txt"
    matches = sorted((home / folder).rglob(name + "*"))
    if not matches:
        raise DatasetNotFoundError(f"UI-PRMD file {name} not found under {home / folder}")
    return matches[0]


def load_ui_prmd(movement: Literal["deep_squat", "inline_lunge"] | str, subject: int,
                 episode: int, *, correct: bool = True,
                 settings: Settings | None = None) -> MotionSequence:
    """Read one UI-PRMD Vicon repetition with joint centres from its markers."""
    from sportsgpt.tools.io.vicon_csv import read

    return read(ui_prmd_path(movement, subject, episode, correct=correct, settings=settings))


def load_opencap_sample(name: Literal["jump2", "squats1_videoAndMocap"] | str,
                        settings: Settings | None = None) -> AngleSequence:
    """Read one OpenCap sample ``.mot`` (joint angles)."""
    from sportsgpt.tools.io.opensim import read

    path = data_home("opencap-samples", settings) / f"{name}.mot"
    if not path.is_file():
        raise DatasetNotFoundError(f"OpenCap sample {name!r} is not in {path.parent}")
    return read(path)
