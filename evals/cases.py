"""Eval cases as data: a schema-validated JSONL file, one :class:`EvalCase` per line.

A case is a question, optionally about a recording, with the labels a good answer is
scored against::

    {"id": "inj-16_01-knee-severe", "movement": "countermovement_jump",
     "recording": "data:cmu-mocap-jumps/16_01.amc",
     "inject": {"fault": "insufficient_knee_extension_at_takeoff", "magnitude": "severe"},
     "question": "What's wrong with my jump?",
     "labels": {"faults": ["insufficient_knee_extension_at_takeoff"]}}

* ``recording``: ``data:<data set>/<path inside it>`` (found in the data home, see
  :func:`sportsgpt.tools.datasets.data_home`) or a path relative to the case file.
* ``inject``: the recording is a CMU AMC trial and the fault is injected at run time by
  :mod:`sportsgpt.evals.fault_injection` (deterministic: no copy of shared data ships).
* ``labels.faults``: the faults a diagnosis should name; empty for a clean recording.
  ``labels.any_fault``: the recording is known to be faulty without knowing which fault
  (UI-PRMD's incorrect squats): scored only by detection, never per fault.
* ``must_mention``: phrases a good answer contains (questions without a recording);
  ``sources``: source ids a good answer cites; ``choices``/``answer``: a multiple-choice
  probe (SportQA).

Fault and movement ids are checked against the movement registry (``sportsgpt.api``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sportsgpt.core.errors import SportsGPTError

DATA_PREFIX = "data:"


class EvalCaseError(SportsGPTError, ValueError):
    """A case file or case that does not validate (names the file, line and value)."""


@cache
def registry_faults() -> dict[str, frozenset[str]]:
    """Fault ids per movement, from the registry (through the public API)."""
    from sportsgpt.api import movements

    return {m.id: frozenset(m.faults) for m in movements()}


def all_faults() -> frozenset[str]:
    """Every fault id of every movement."""
    return frozenset().union(*registry_faults().values())


class InjectSpec(BaseModel):
    """A fault injected into a real CMU recording (see :mod:`~.fault_injection`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fault: str
    magnitude: Literal["mild", "moderate", "severe"]
    seed: int = Field(0, description="recorded for the audit; the injection itself is "
                                     "deterministic and draws no random numbers")


class Labels(BaseModel):
    """What a diagnosis of the case should say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    faults: list[str] = Field(default_factory=list)
    any_fault: bool = Field(False, description="faulty, fault unknown: detection only")


class EvalCase(BaseModel):
    """One eval case (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    set: str = Field("custom", description="which shipped set (or 'custom')")
    recording: str | None = None
    inject: InjectSpec | None = None
    movement: str | None = None
    question: str = Field(min_length=1)
    labels: Labels = Field(default_factory=Labels)
    must_mention: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    choices: dict[str, str] | None = None
    answer: str | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _check(self) -> EvalCase:
        known = registry_faults()
        if self.movement is not None and self.movement not in known:
            raise ValueError(f"unknown movement {self.movement!r}; known: {sorted(known)}")
        allowed = known[self.movement] if self.movement else all_faults()
        bad = [f for f in self.labels.faults if f not in allowed]
        if bad:
            where = f"movement {self.movement!r}" if self.movement else "any movement"
            raise ValueError(f"unknown fault id(s) {bad} for {where}; allowed: "
                             f"{sorted(allowed)}")
        if self.labels.any_fault and self.labels.faults:
            raise ValueError("labels.any_fault is for recordings whose fault is unknown; "
                             f"it cannot go with faults {self.labels.faults}")
        if self.inject is not None:
            if self.recording is None or not self.recording.endswith(".amc"):
                raise ValueError(f"inject needs a CMU .amc recording, got {self.recording!r}")
            if self.inject.fault not in allowed:
                raise ValueError(f"cannot inject unknown fault {self.inject.fault!r}")
            if self.labels.faults != [self.inject.fault]:
                raise ValueError(f"an injected case is labelled with its fault: expected "
                                 f"[{self.inject.fault!r}], got {self.labels.faults}")
        if (self.choices is None) != (self.answer is None):
            raise ValueError("choices and answer go together (a multiple-choice probe)")
        if self.choices is not None and self.answer not in self.choices:
            raise ValueError(f"answer {self.answer!r} is not one of {sorted(self.choices)}")
        return self

    @property
    def has_recording(self) -> bool:
        """Whether the case is about a recording."""
        return self.recording is not None

    @property
    def scored_for_diagnosis(self) -> bool:
        """Cases with a recording are scored for diagnosis (faults, clean or any-fault)."""
        return self.has_recording


def load_cases(path: str | Path) -> list[EvalCase]:
    """Every case of a JSONL file, validated; ids must be unique.

    Raises:
        EvalCaseError: a line that is not JSON or not a valid case (file, line, reason).
    """
    path = Path(path)
    if not path.is_file():
        raise EvalCaseError(f"{path}: no such case file")
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            case = EvalCase.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise EvalCaseError(f"{path}, line {n}: not JSON ({exc})") from None
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'case'}: {e['msg']}"
                                 for e in exc.errors(include_url=False))
            raise EvalCaseError(f"{path}, line {n}: invalid case: {problems}") from None
        if case.id in seen:
            raise EvalCaseError(f"{path}, line {n}: duplicate case id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise EvalCaseError(f"{path}: no cases")
    return cases


def write_cases(cases: Iterable[EvalCase], path: Path) -> None:
    """Write cases as JSONL (unset fields left out)."""
    lines = [json.dumps(c.model_dump(mode="json", exclude_defaults=True)) for c in cases]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def resolve_recording(case: EvalCase, case_file: Path) -> Path:
    """The recording's path: ``data:`` in the data home, otherwise beside the case file.

    Raises:
        EvalCaseError: the case has no recording, or the file does not exist.
        DatasetNotFoundError: the named data set is not in the data home.
    """
    from sportsgpt.api import data_home

    if case.recording is None:
        raise EvalCaseError(f"case {case.id!r} has no recording")
    if case.recording.startswith(DATA_PREFIX):
        name, _, rest = case.recording[len(DATA_PREFIX):].partition("/")
        path = data_home(name) / rest
    else:
        path = Path(case.recording)
        if not path.is_absolute():
            path = case_file.parent / path
    if not path.exists():
        raise EvalCaseError(f"case {case.id!r}: recording {case.recording!r} not found "
                            f"(looked at {path})")
    return path


def materialise(case: EvalCase, case_file: Path, work_dir: Path) -> Path | None:
    """The file the systems are given: the recording, or the injected variant as ``.npz``.

    Injected variants are written once to ``work_dir/recordings/<id>.npz`` (positions in
    metres, canonical joints, the trial's frame rate), so a rerun reads the same bytes.
    """
    if case.recording is None:
        return None
    source = resolve_recording(case, case_file)
    if case.inject is None:
        return source
    import numpy as np

    from sportsgpt.evals.fault_injection import inject

    out = work_dir / "recordings" / f"{case.id}.npz"
    if not out.is_file():
        injected = inject(source, case.inject.fault, case.inject.magnitude)
        motion = injected.motion
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp.npz")
        np.savez(tmp, positions=motion.positions, joint_names=np.array(motion.joints),
                 fps=np.float64(motion.fps), units="m", up_axis="y")
        tmp.replace(out)
    return out
