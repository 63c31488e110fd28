"""Stage-1 match thresholds from positive and negative costs on the shared data.

Usage::

    .venv/bin/python -m sportsgpt.tools.motiondtw.calibrate [--out PATH] [--write]

For each shipped movement it collects the best stage-1 cost (normalised, over
the amplitude scales; :func:`~sportsgpt.tools.motiondtw.templates.stage1_profile`)
of recordings that *are* the movement (positives) and of recordings that are
not (negatives), and proposes the threshold in the gap between them: the
geometric mean of the highest positive and the lowest negative (equal ratio
margins on both sides; costs are squared distances, so ratios, not
differences, compare them). The report goes to
``graph_kb/movements/CALIBRATION.md``. The shipped thresholds (``match_threshold``
in each ``graph_kb/movements/<id>/movement.json`` and in its ``template.json``)
were set from this report (two decimals); ``--write`` writes the proposed
threshold of every movement with a gap into both files and leaves a movement
whose positives and negatives overlap to a choice by hand. The deep squat has
no clean gap: one UI-PRMD incorrect repetition (s01 e10, knee flexion only
about 50 deg) costs more than the cheapest lunge and is left out of the
highest positive, and the
leave-subject-out correct repetitions show that subjects unlike the
template's (subject 2 stands with 20-25 deg of knee flexion) cost more; the
report lists both.

Data (``shared/data``; the positives are *all* of the shared recordings of the
movement, so these are in-sample choices, reported as such):

* ``deep_squat``: positives: UI-PRMD correct repetitions (subjects 1-5; each
  against a template built without its subject), incorrect repetitions (not
  in the template), and each repetition of OpenCap ``squats1_videoAndMocap``;
  negatives: UI-PRMD inline lunges (correct and incorrect), every CMU jump and
  OpenCap ``jump2``.
* ``countermovement_jump``: positives: CMU 16_01 and 16_02 (each against a
  template of the other), 16_03, 16_04 and OpenCap ``jump2``; negatives:
  UI-PRMD deep squats and lunges, OpenCap squats.
* ``standing_long_jump``: positives: CMU subject 118 (each against a template
  without it) and 16_05-16_10; negatives: as for the countermovement jump.
* ``drop_jump``: positives: the three optical-marker drop jumps of one lab
  athlete (``opencap-dropjumps`` ``markers/DJ1-3``, each against a template of
  the other two) and the OpenCap smartphone keypoints of a drop jump
  (``video-keypoints/drop_vertical_jump.trc``, against the shipped template);
  negatives: UI-PRMD deep squats and lunges, every CMU jump, OpenCap ``jump2``
  and squats, and the squats of the drop-jump data set (markers and phone
  keypoints). Countermovement jumps are negatives here: a drop jump starts
  with a drop from a box, which a jump from the floor lacks.
* The drop jumps are negatives of the deep squat (the phone drop jump matched
  the squat template within its threshold); they are neither positives nor
  negatives of the jumps from the floor, whose templates see a landing and a
  rebound much like their own countermovement.
* Every template also gets the second-best, non-overlapping window of its
  single-movement positives as a negative ("rest of the recording").

Forward and vertical jumps match each other's templates (both are jumps with
a countermovement); they are neither positives nor negatives of each other.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sportsgpt.graph_kb.movements import calibration_path, clear_caches, spec_path, template_path
from sportsgpt.tools.datasets import (
    data_home,
    list_cmu_trials,
    load_cmu_trial,
    load_opencap_sample,
)
from sportsgpt.tools.io import read_motion
from sportsgpt.tools.motion import AngleSequence, MotionSequence
from sportsgpt.tools.motiondtw.align import align_channels
from sportsgpt.tools.motiondtw.features import motion_channels
from sportsgpt.tools.motiondtw.templates import Template, build_template, load_template

IN_PLACE = ("16_01", "16_02", "16_03", "16_04")
SUBJECTS = (1, 2, 3, 4, 5)
EPISODES = tuple(range(1, 11))
DROP_JUMPS = ("DJ1", "DJ2", "DJ3")
NOTES = {
    "drop_jump": (
        "The positives are few: one lab athlete (three marker trials, each against a "
        "template of the other two, so the template itself is that one athlete) plus one "
        "smartphone recording of another person. The threshold is an in-sample choice from "
        "four recordings; other athletes, box heights or camera views may cost more."),
}
"""A sentence under a movement's heading of the report (limits of its calibration data)."""


@dataclass
class Costs:
    """Best stage-1 costs per group, split into positives and negatives."""

    positives: dict[str, list[float]] = field(default_factory=dict)
    negatives: dict[str, list[float]] = field(default_factory=dict)

    def add(self, positive: bool, group: str, value: float) -> None:
        """Record one cost."""
        (self.positives if positive else self.negatives).setdefault(group, []).append(value)

    def threshold(self) -> tuple[float, float, float]:
        """Highest positive, lowest negative and their geometric mean."""
        hi = max(max(v) for v in self.positives.values())
        lo = min(min(v) for v in self.negatives.values())
        return hi, lo, math.sqrt(hi * lo)


def _second(c: Costs, rest: list[float]) -> None:
    if rest:
        c.add(False, "second-best window", rest[0])


def best_costs(kin: AngleSequence, tpl: Template, n: int = 2) -> list[float]:
    """The ``n`` lowest non-overlapping stage-1 costs of a recording (any threshold)."""
    al = align_channels(kin, tpl, threshold=math.inf, max_matches=n, refine=False)
    return sorted(s.normalized_cost for s in al.spans)


def _ui_prmd(movement: str, correct: bool) -> dict[tuple[int, int], AngleSequence]:
    from sportsgpt.core.errors import DatasetNotFoundError
    from sportsgpt.tools.datasets import load_ui_prmd

    out = {}
    for s in SUBJECTS:
        for e in EPISODES:
            try:
                out[(s, e)] = motion_channels(load_ui_prmd(movement, subject=s, episode=e,
                                                           correct=correct))
            except DatasetNotFoundError:
                continue  # inline lunge: subject 3 is missing in the source
    return out


def collect() -> dict[str, Costs]:
    """Positive and negative costs of every shipped template (module docstring)."""
    squats = {c: _ui_prmd("deep_squat", c) for c in (True, False)}
    lunges = {c: _ui_prmd("inline_lunge", c) for c in (True, False)}
    cmu = {n: motion_channels(load_cmu_trial(n)) for n in list_cmu_trials()}
    oc = {n: motion_channels(load_opencap_sample(n)) for n in ("jump2", "squats1_videoAndMocap")}
    out = {m: Costs() for m in ("deep_squat", "countermovement_jump", "standing_long_jump",
                                "drop_jump")}
    sq = load_template("deep_squat")
    for subject in SUBJECTS:
        tpl = build_template([k for (s, _), k in squats[True].items() if s != subject],
                             "deep_squat")
        for (s, _), kin in squats[True].items():
            if s == subject:
                first, *rest = best_costs(kin, tpl)
                out["deep_squat"].add(True, "UI-PRMD correct (leave-subject-out)", first)
                _second(out["deep_squat"], rest)
    for kin in squats[False].values():
        first, *rest = best_costs(kin, sq)
        out["deep_squat"].add(True, "UI-PRMD incorrect", first)
        _second(out["deep_squat"], rest)
    for c in best_costs(oc["squats1_videoAndMocap"], sq, 6)[:5]:
        out["deep_squat"].add(True, "OpenCap squats1 (5 repetitions)", c)
    for correct, group in lunges.items():
        for kin in group.values():
            out["deep_squat"].add(False, f"UI-PRMD lunge ({'in' if not correct else ''}correct)",
                                  best_costs(kin, sq, 1)[0])
    for kin in [*cmu.values(), oc["jump2"]]:
        out["deep_squat"].add(False, "jumps (CMU, OpenCap jump2)", best_costs(kin, sq, 1)[0])
    _jumps(out, cmu, oc["jump2"])
    for movement in ("countermovement_jump", "standing_long_jump"):
        tpl = load_template(movement)
        for correct, group in squats.items():
            for kin in group.values():
                out[movement].add(False, f"UI-PRMD squat ({'in' if not correct else ''}correct)",
                                  best_costs(kin, tpl, 1)[0])
        for group in lunges.values():
            for kin in group.values():
                out[movement].add(False, "UI-PRMD lunge", best_costs(kin, tpl, 1)[0])
        out[movement].add(False, "OpenCap squats1",
                          best_costs(oc["squats1_videoAndMocap"], tpl, 1)[0])
    _drop_jumps(out, squats, lunges, [*cmu.values(), oc["jump2"]],
                oc["squats1_videoAndMocap"])
    return out


def _drop_jumps(out: dict[str, Costs], squats: dict[bool, dict[tuple[int, int], AngleSequence]],
                lunges: dict[bool, dict[tuple[int, int], AngleSequence]],
                jumps: list[AngleSequence], opencap_squats: AngleSequence) -> None:
    """The drop-jump group (module docstring) and the drop jumps as deep-squat negatives."""
    home = data_home("opencap-dropjumps")
    trials = {n: motion_channels(read_motion(home / "markers" / f"{n}.trc")) for n in DROP_JUMPS}
    phone = motion_channels(read_motion(home / "video-keypoints" / "drop_vertical_jump.trc"))
    c, dj = out["drop_jump"], load_template("drop_jump")
    for name, kin in trials.items():
        tpl = build_template([k for n, k in trials.items() if n != name], "drop_jump")
        first, *rest = best_costs(kin, tpl)
        c.add(True, "DJ1-3 markers, one athlete (leave-one-out)", first)
        _second(c, rest)
    first, *rest = best_costs(phone, dj)
    c.add(True, "OpenCap phone drop jump (keypoints)", first)
    _second(c, rest)
    for correct, group in squats.items():
        for kin in group.values():
            c.add(False, f"UI-PRMD squat ({'in' if not correct else ''}correct)",
                  best_costs(kin, dj, 1)[0])
    for group in lunges.values():
        for kin in group.values():
            c.add(False, "UI-PRMD lunge", best_costs(kin, dj, 1)[0])
    for kin in jumps:
        c.add(False, "jumps from the floor (CMU, OpenCap jump2)", best_costs(kin, dj, 1)[0])
    c.add(False, "OpenCap squats1", best_costs(opencap_squats, dj, 1)[0])
    squat_trials = [motion_channels(read_motion(home / "markers" / "squats1.trc")),
                    motion_channels(read_motion(home / "video-keypoints" / "squats.trc"))]
    for kin in squat_trials:
        c.add(False, "drop-jump set squats (markers, phone)", best_costs(kin, dj, 1)[0])
    sq = load_template("deep_squat")
    for kin in [*trials.values(), phone]:
        out["deep_squat"].add(False, "drop jumps (DJ1-3 markers, phone)",
                              best_costs(kin, sq, 1)[0])


def _jumps(out: dict[str, Costs], cmu: dict[str, AngleSequence], jump2: AngleSequence) -> None:
    cmj, slj = load_template("countermovement_jump"), load_template("standing_long_jump")
    for test in ("16_01", "16_02"):
        other: list[MotionSequence | AngleSequence] = [
            k for n, k in cmu.items() if n in ("16_01", "16_02") and n != test]
        first, *rest = best_costs(cmu[test], build_template(other, "countermovement_jump"))
        out["countermovement_jump"].add(True, "CMU 16_01/16_02 (leave-one-out)", first)
        _second(out["countermovement_jump"], rest)
    for name in ("16_03", "16_04"):
        first, *rest = best_costs(cmu[name], cmj)
        out["countermovement_jump"].add(True, "CMU 16_03/16_04", first)
        _second(out["countermovement_jump"], rest)
    out["countermovement_jump"].add(True, "OpenCap jump2", best_costs(jump2, cmj, 1)[0])
    subject118 = [n for n in cmu if n.startswith("118_")]
    for name in cmu:
        if name in IN_PLACE:
            continue
        if name in subject118:
            tpl = build_template([cmu[n] for n in subject118 if n != name], "standing_long_jump")
            group = "CMU 118 (leave-one-out)"
        else:
            tpl, group = slj, "CMU 16_05-16_10"
        first, *rest = best_costs(cmu[name], tpl)
        out["standing_long_jump"].add(True, group, first)
        _second(out["standing_long_jump"], rest)


def report(costs: dict[str, Costs]) -> str:
    """Markdown: per movement, the groups' cost ranges and the proposed threshold."""
    lines = ["# Stage-1 match thresholds (MotionDTW)", "",
             "Made by: `python -m sportsgpt.tools.motiondtw.calibrate` "
             "(see its docstring for the data and the rule).", ""]
    for movement, c in costs.items():
        hi, lo, mid = c.threshold()
        shipped = load_template(movement).match_threshold
        lines += [f"## {movement}", "",
                  f"Highest positive {hi:.2f}, lowest negative {lo:.2f}: "
                  + (f"gap, geometric mean {mid:.2f}" if hi < lo else "**overlap**")
                  + f"; shipped threshold {shipped:.2f}.", "",
                  *([NOTES[movement], ""] if movement in NOTES else []),
                  "| kind | group | n | min | median | max | above / below the threshold |",
                  "|---|---|---|---|---|---|---|"]
        for kind, groups in (("positive", c.positives), ("negative", c.negatives)):
            for g, v in groups.items():
                a = np.asarray(v)
                wrong = int((a > shipped).sum()) if kind == "positive" else int(
                    (a <= shipped).sum())
                lines.append(f"| {kind} | {g} | {a.size} | {a.min():.2f} | "
                             f"{np.median(a):.2f} | {a.max():.2f} | {wrong} "
                             f"{'missed' if kind == 'positive' else 'false matches'} |")
        lines.append("")
    return "\n".join(lines)


def _set_threshold(path: Path, value: float) -> None:
    """Rewrite ``match_threshold`` in a movement or template JSON file, nothing else."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["match_threshold"] = value
    path.write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")


def write_thresholds(costs: dict[str, Costs]) -> list[str]:
    """Write each gap's threshold (two decimals) into the movement's files; what was done.

    A movement whose positives and negatives overlap is left as it is (its line says so).
    """
    lines = []
    for movement, c in costs.items():
        hi, lo, mid = c.threshold()
        if hi >= lo:
            lines.append(f"{movement}: overlap ({hi:.2f} >= {lo:.2f}), threshold not written")
            continue
        value = round(mid, 2)
        for path in (spec_path(movement), template_path(movement)):
            _set_threshold(path, value)
        lines.append(f"{movement}: match_threshold {value:.2f} written")
    clear_caches()
    return lines


def main() -> None:
    """Collect the costs, write the report and, with ``--write``, the thresholds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(calibration_path()), help="report to write")
    parser.add_argument("--write", action="store_true",
                        help="write each movement's threshold (where there is a gap) into its "
                             "movement.json and template.json")
    args = parser.parse_args()
    costs = collect()
    if args.write:
        for line in write_thresholds(costs):
            print(line)
    text = report(costs)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
