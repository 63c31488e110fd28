"""Real sample recordings the demo offers, found in the data home (nothing is downloaded).

CMU jumps (``cmu-mocap-jumps``), UI-PRMD deep squats (``ui-prmd``, the first repetition of
each subject, done correctly and incorrectly) and the OpenCap ``.mot`` samples
(``opencap-samples``) are listed only when the data home holds them. The expert recordings
a shipped template was built from are found the same way, so the demo can draw the
template's skeleton beside the athlete's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel

from sportsgpt.core.errors import DatasetNotFoundError, SportsGPTError
from sportsgpt.core.settings import Settings

if TYPE_CHECKING:
    from sportsgpt.api import SportsGPT
    from sportsgpt.tools.analysis import Analysis
    from sportsgpt.tools.motion import MotionSequence

UIPRMD_SUBJECTS: Final = range(1, 11)
"""UI-PRMD subjects whose first deep-squat repetition is offered (correct and incorrect)."""


class Sample(BaseModel):
    """One sample recording: a stable id, a label for people, and its file."""

    id: str
    label: str
    dataset: str
    path: Path


def _cmu(settings: Settings) -> list[Sample]:
    from sportsgpt.tools.datasets import cmu_trial_path, list_cmu_trials

    return [Sample(id=f"cmu:{t}", label=f"CMU {t} (jump, optical mocap, 3D)",
                   dataset="cmu-mocap-jumps", path=cmu_trial_path(t, settings))
            for t in list_cmu_trials(settings)]


def _ui_prmd(settings: Settings) -> list[Sample]:
    from sportsgpt.tools.datasets import ui_prmd_path

    out = []
    for subject in UIPRMD_SUBJECTS:
        for correct in (True, False):
            try:
                path = ui_prmd_path("deep_squat", subject, 1, correct=correct, settings=settings)
            except DatasetNotFoundError:
                continue
            kind = "correct" if correct else "incorrect"
            out.append(Sample(id=f"ui-prmd:s{subject:02d}:{kind}",
                              label=f"UI-PRMD deep squat, subject {subject}, {kind} (3D)",
                              dataset="ui-prmd", path=path))
    return out


def _opencap(settings: Settings) -> list[Sample]:
    from sportsgpt.tools.datasets import data_home

    home = data_home("opencap-samples", settings)
    return [Sample(id=f"opencap:{p.stem}", label=f"OpenCap {p.stem} (joint angles only)",
                   dataset="opencap-samples", path=p) for p in sorted(home.glob("*.mot"))]


def list_samples(settings: Settings) -> list[Sample]:
    """Every sample recording the data home holds (a missing data set adds none)."""
    found: list[Sample] = []
    for lister in (_cmu, _ui_prmd, _opencap):
        try:
            found += lister(settings)
        except DatasetNotFoundError:
            continue
    return found


def sample_path(sample_id: str, settings: Settings) -> Path:
    """The file of a sample, by id.

    Raises:
        SportsGPTError: no sample has that id in this data home.
    """
    for s in list_samples(settings):
        if s.id == sample_id:
            return s.path
    raise SportsGPTError(f"no sample {sample_id!r} in the data home; samples: "
                         f"{', '.join(s.id for s in list_samples(settings)) or 'none'}")


def find_expert_file(name: str, settings: Settings) -> Path | None:
    """A template expert's recording (by file name) in any data set of the data home."""
    from sportsgpt.tools.datasets import DATASETS, data_home

    for dataset in DATASETS:
        try:
            home = data_home(dataset, settings)
        except DatasetNotFoundError:
            continue
        for path in sorted(home.rglob(name)):
            if path.is_file():
                return path
    return None


def template_expert_motion(analysis: Analysis, ctx: SportsGPT) -> MotionSequence | None:
    """The first expert recording of the analysis's template, read, when the data home has it."""
    from sportsgpt.api import load_motion
    from sportsgpt.tools.motion import MotionSequence

    for expert in analysis.template.provenance.experts:
        path = find_expert_file(expert.name, ctx.settings)
        if path is not None:
            motion = load_motion(path, ctx=ctx)
            if isinstance(motion, MotionSequence):
                return motion
    return None
