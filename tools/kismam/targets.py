"""Template-derived targets: each metric's expert spread, recomputed from the recordings.

A catalog target with ``from: template`` (or ``both``) stores the expert recordings it
comes from and a floor for the spread (``experts.recordings``, ``experts.sd_floor``);
``docs/kismam.md`` states the rule: ``s = max(sd, sd_floor)`` (``sd_floor`` is half the
metric's smallest meaningful change, so a bound is never closer than one SMC to the experts'
mean) and the bound(s) at ``mean ± 2 s``; ``experts.athletes`` counts the distinct
athletes; a target conditioned on a covariate (``given``) uses the experts'
regression line on that covariate and the sd of their residuals. This module applies
that rule, so the numbers in ``graph_kb/movements/*/catalog.json`` are reproducible
(``python -m sportsgpt.tools.kismam.targets --check`` compares them with a fresh
derivation; ``--write`` rewrites them) and the diagnosis benchmark can derive targets
**without** the recording under test.

Each expert's keyframes come from the movement it was recorded as
(:func:`recording_movement`) through the same pipeline as
:func:`~sportsgpt.tools.kismam.assess.assess`, so a metric's value is exactly what an
athlete's recording would get; with several repetitions the best-matching one is used.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Final

import numpy as np

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.graph_kb.catalog import (
    BOUND_Z,
    MetricSpec,
    MovementCatalog,
    catalog_path,
    load_catalog,
)
from sportsgpt.graph_kb.movements import movement_ids
from sportsgpt.tools.datasets import data_home, load_cmu_trial, load_ui_prmd
from sportsgpt.tools.io import read_motion
from sportsgpt.tools.kismam.assess import evaluate_metrics, repetitions
from sportsgpt.tools.motion import AngleSequence, MotionSequence
from sportsgpt.tools.motiondtw.templates import load_template
from sportsgpt.tools.prepare import prepare

IN_PLACE_CMU: Final = ("16_01", "16_02", "16_03", "16_04")
"""CMU trials that are jumps in place (CMU: "jump", "high jump"); the other CMU jump trials
in the shared data are forward jumps (see the data's SOURCE.md)."""
UI_PRMD_NAME: Final = re.compile(r"^m01_s(\d\d)_e(\d\d)$")
CMU_NAME: Final = re.compile(r"^(\d+_\d+)(?:\.amc)?$")
DROP_JUMP_NAME: Final = re.compile(r"^(DJ\d+)(?:\.trc)?$")
"""opencap-dropjumps marker trials (one athlete, ``markers/DJ1.trc``...)."""

ExpertValues = Mapping[str, Mapping[str, float]]
"""Recording name -> metric id -> value (metrics that could not be assessed are absent)."""


class TargetDerivationError(SportsGPTError):
    """A target cannot be derived (unknown recording name, no expert value)."""


def recording_movement(name: str) -> str:
    """The movement an expert recording of the shared data was recorded as."""
    if UI_PRMD_NAME.match(name):
        return "deep_squat"
    if DROP_JUMP_NAME.match(name):
        return "drop_jump"
    m = CMU_NAME.match(name)
    if m is None:
        raise TargetDerivationError(f"unknown expert recording name {name!r}")
    return "countermovement_jump" if m.group(1) in IN_PLACE_CMU else "standing_long_jump"


def athlete_of(name: str) -> str:
    """The athlete an expert recording belongs to (CMU subject ``16``, UI-PRMD ``s03``)."""
    sq = UI_PRMD_NAME.match(name)
    if sq is not None:
        return f"ui-prmd s{sq.group(1)}"
    if DROP_JUMP_NAME.match(name):
        return "opencap-dropjumps subject4"
    m = CMU_NAME.match(name)
    if m is None:
        return name
    return f"cmu {m.group(1).split('_')[0]}"


def load_expert(name: str) -> MotionSequence | AngleSequence:
    """Load an expert recording named as in a catalog (``16_01``, ``m01_s03_e07``)."""
    sq = UI_PRMD_NAME.match(name)
    if sq is not None:
        return load_ui_prmd("deep_squat", int(sq.group(1)), int(sq.group(2)), correct=True)
    dj = DROP_JUMP_NAME.match(name)
    if dj is not None:
        return read_motion(data_home("opencap-dropjumps") / "markers" / f"{dj.group(1)}.trc")
    m = CMU_NAME.match(name)
    if m is None:
        raise TargetDerivationError(f"unknown expert recording name {name!r}")
    return load_cmu_trial(m.group(1))


def metric_values(motion: MotionSequence | AngleSequence, movement: str,
                  specs: Iterable[MetricSpec]) -> dict[str, float]:
    """Values of ``specs`` on the best-matching repetition of ``movement`` in a recording.

    Keyframes come from ``movement``'s packaged template exactly as in
    :func:`~sportsgpt.tools.kismam.assess.assess`; ``specs`` may come from another
    movement's catalog (the CMJ arm-swing targets are measured on forward jumps).
    """
    prep = prepare(motion)
    reps, _ = repetitions(prep, load_template(movement))
    if not reps:
        raise TargetDerivationError(f"{motion.source.path}: no {movement} found")
    best = max(reps, key=lambda r: r.match_quality or 0.0)
    results = evaluate_metrics(specs, prep, best.frames)
    return {k: float(r.value) for k, r in results.items() if r.value is not None}


def _specs_by_recording(catalogs: Iterable[MovementCatalog]) -> dict[str, list[MetricSpec]]:
    """Per expert recording, the metrics to measure on it (covariates included)."""
    out: dict[str, dict[str, MetricSpec]] = {}
    for c in catalogs:
        for m in c.metrics:
            if m.target is None or m.target.experts is None:
                continue
            given = m.target.given
            names = list(m.target.experts.recordings)
            if given is not None:
                names += given.slope_recordings or []
            for r in names:
                specs = out.setdefault(r, {})
                if given is not None:
                    specs.setdefault(given.metric, c.metric(given.metric))
                specs.setdefault(m.id, m)
    return {r: list(specs.values()) for r, specs in sorted(out.items())}


def expert_values(catalogs: Iterable[MovementCatalog]) -> dict[str, dict[str, float]]:
    """Values of the template-target metrics on each expert recording the catalogs name."""
    return {n: metric_values(load_expert(n), recording_movement(n), specs)
            for n, specs in _specs_by_recording(catalogs).items()}


def _pairs(metric_id: str, covariate: str, names: Iterable[str], values: ExpertValues
           ) -> tuple[np.ndarray, np.ndarray]:
    rows = [(values[r][covariate], values[r][metric_id]) for r in names
            if metric_id in values.get(r, {}) and covariate in values.get(r, {})]
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def _fit_slope(given: Mapping[str, Any], metric_id: str, names: list[str],
               values: ExpertValues, exclude: frozenset[str]) -> dict[str, Any]:
    cov = str(given["metric"])
    own = given.get("slope_recordings") is None
    slope_names = names if own else [r for r in given["slope_recordings"] if r not in exclude]
    xs, ys = _pairs(metric_id, cov, slope_names, values)
    if len(xs) < 3 or float(np.ptp(xs)) == 0.0:
        raise TargetDerivationError(f"{metric_id}: needs at least 3 recordings with "
                                    f"different {cov} to fit its slope, got {len(xs)}")
    return {**given, "slope": round(float(np.polyfit(xs, ys, 1)[0]), 4),
            "x_low": round(float(xs.min()), 3), "x_high": round(float(xs.max()), 3),
            "r": round(float(np.corrcoef(xs, ys)[0, 1]), 3), "n_slope": len(xs)}


def derive_given(given: Mapping[str, Any], metric_id: str, names: list[str],
                 values: ExpertValues, exclude: frozenset[str] = frozenset(), *,
                 fixed_slope: bool = False) -> tuple[dict[str, Any], float, float, int]:
    """A conditioned target's line: the ``given`` dict, the experts' mean and spread, n.

    The slope is the least-squares slope of the metric on the covariate over
    ``given.slope_recordings`` (default: the experts), or with ``fixed_slope`` the one
    ``given`` already holds (a per-athlete baseline keeps the experts' slope); the line
    goes through the recordings' means; the spread is the sd of their residuals around it
    (``ddof`` 2 when the slope was fitted on them, else 1), floored as usual.
    """
    fitted = not fixed_slope and given.get("slope_recordings") is None
    line = dict(given) if fixed_slope else _fit_slope(given, metric_id, names, values, exclude)
    x, y = _pairs(metric_id, str(given["metric"]), names, values)
    if len(x) == 0:
        raise TargetDerivationError(f"{metric_id}: no expert value among {names}")
    resid = y - float(line["slope"]) * x
    ddof = 2 if fitted else 1
    sd = float(np.std(resid, ddof=ddof)) if len(x) > ddof else 0.0
    return {**line, "x_mean": round(float(x.mean()), 3)}, float(y.mean()), sd, len(x)


def _spread(values: list[float], floor: float) -> tuple[float, float, float]:
    mean = float(np.mean(values))
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return mean, sd, max(sd, floor)


def derive_target(target: dict[str, Any], metric_id: str, values: ExpertValues,
                  exclude: frozenset[str] = frozenset(), *,
                  fixed_slope: bool = False) -> dict[str, Any]:
    """A catalog target (raw JSON dict) with its expert spread recomputed.

    The recordings are the target's own minus ``exclude``; the target keeps its shape
    (two-sided, low-only or high-only), ``from``, sources and note. ``fixed_slope`` keeps
    a conditioned target's slope (:func:`derive_given`).
    """
    experts = target["experts"]
    names = [r for r in experts["recordings"] if r not in exclude]
    floor = float(experts["sd_floor"])
    out = copy.deepcopy(target)
    if target.get("given") is not None:
        out["given"], mean, sd, n = derive_given(target["given"], metric_id, names, values,
                                                 exclude, fixed_slope=fixed_slope)
        s = max(sd, floor)
    else:
        vals = [values[r][metric_id] for r in names if metric_id in values.get(r, {})]
        if not vals:
            raise TargetDerivationError(f"{metric_id}: no expert value among {names}")
        mean, sd, s = _spread(vals, floor)
        n = len(vals)
    out["experts"] = {**experts, "recordings": names, "n": n, "mean": round(mean, 3),
                      "sd": round(sd, 3), "athletes": len({athlete_of(r) for r in names})}
    two_sided = target.get("low") is not None and target.get("high") is not None
    if target.get("low") is not None:
        out["low"] = round(mean - BOUND_Z * s, 2)
    if target.get("high") is not None:
        out["high"] = round(mean + BOUND_Z * s, 2)
    if not two_sided:
        out["sd"] = round(s, 3)
    return out


def derive_catalog_json(raw: dict[str, Any], values: ExpertValues,
                        exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A catalog (raw JSON dict) with every template-derived target recomputed."""
    out = copy.deepcopy(raw)
    for metric in out["metrics"]:
        target = metric.get("target")
        if target is not None and target.get("experts") is not None:
            metric["target"] = derive_target(target, metric["id"], values, exclude)
    return out


def raw_catalog(movement: str) -> dict[str, Any]:
    """The packaged catalog file of ``movement`` as a JSON dict (unvalidated)."""
    raw: dict[str, Any] = json.loads(catalog_path(movement).read_text(encoding="utf-8"))
    return raw


def derive_catalog(movement: str, values: ExpertValues,
                   exclude: Iterable[str] = ()) -> MovementCatalog:
    """The packaged catalog of ``movement`` with template targets derived from ``values``.

    The ``exclude`` recordings (e.g. the one under test) are left out of every spread.
    """
    derived = derive_catalog_json(raw_catalog(movement), values, frozenset(exclude))
    return MovementCatalog.model_validate(derived)


def differences(movement: str, values: ExpertValues, rel_tol: float = 0.02
                ) -> list[str]:
    """Template targets of the packaged catalog that a fresh derivation does not reproduce.

    A bound differs when it moves by more than ``rel_tol`` of the target's sd.
    """
    shipped = load_catalog(movement)
    fresh = derive_catalog(movement, values)
    out = []
    for old, new in zip(shipped.metrics, fresh.metrics, strict=True):
        if old.target is None or new.target is None or old.target.experts is None:
            continue
        tol = rel_tol * new.target.scale
        g_old, g_new = old.target.given, new.target.given
        if (g_old is None) != (g_new is None) or (
                g_old is not None and g_new is not None
                and not math.isclose(g_old.slope, g_new.slope, rel_tol=rel_tol, abs_tol=1e-3)):
            out.append(f"{movement}.{old.id}.given: catalog "
                       f"{g_old.slope if g_old else None} vs derived "
                       f"{g_new.slope if g_new else None}")
        for bound in ("low", "high"):
            a, b = getattr(old.target, bound), getattr(new.target, bound)
            if a is not None and b is not None and not math.isclose(a, b, abs_tol=tol):
                out.append(f"{movement}.{old.id}.{bound}: catalog {a} vs derived {b}")
    return out


def write_catalogs(values: ExpertValues, movements: Iterable[str] | None = None) -> None:
    """Rewrite the packaged catalog files with freshly derived template targets.

    ``movements``: the ids to rewrite (default: every movement of the registry).
    """
    for movement in movement_ids() if movements is None else movements:
        path = catalog_path(movement)
        raw = json.loads(path.read_text(encoding="utf-8"))
        derived = derive_catalog_json(raw, values)
        MovementCatalog.model_validate(derived)
        path.write_text(json.dumps(derived, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    load_catalog.cache_clear()


def main(argv: list[str] | None = None) -> int:
    """``--check`` (default) or ``--write`` the template targets of the packaged catalogs."""
    parser = argparse.ArgumentParser(prog="python -m sportsgpt.tools.kismam.targets",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="list targets the catalog files do not reproduce (default)")
    mode.add_argument("--write", action="store_true", help="rewrite the catalog files")
    args = parser.parse_args(argv)
    catalogs = [load_catalog(m) for m in movement_ids()]
    print("assessing the expert recordings ...", file=sys.stderr)
    values = expert_values(catalogs)
    if args.write:
        write_catalogs(values)
        print("catalog targets rewritten", file=sys.stderr)
        return 0
    diffs = [d for m in movement_ids() for d in differences(m, values)]
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
