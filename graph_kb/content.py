"""Load and check the curated knowledge files and turn them into graph nodes and relations.

>>> content = load_content()
>>> nodes, relations = content.to_graph()
>>> any(n.label == "Fault" and n.id == "stiff_landing" for n in nodes)
True

Every check failure raises :class:`~sportsgpt.graph_kb.schema.KnowledgeDataError`
naming the file and the offending field; nothing is silently dropped.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from sportsgpt.graph_kb.movements import fault_ids, metric_ids, movement_ids, movement_spec
from sportsgpt.graph_kb.schema import (
    NODE_LABELS,
    RELATION_TYPES,
    GraphData,
    KnowledgeDataError,
    MovementRecord,
    keyframe_node_id,
    phase_node_id,
)
from sportsgpt.graph_kb.support import NEVER_CITE, check_partly_scope, check_text
from sportsgpt.graph_kb.types import Node, Relation, Source

DATA_DIR: Final = Path(__file__).resolve().parent / "data"
"""Folder of the shipped knowledge files."""
SOURCES_FILE: Final = "sources.json"
GRAPH_FILE: Final = "graph.json"
MIN_DRILLS_PER_FAULT: Final = 2
MIN_CUES_PER_FAULT: Final = 2

_SOURCES_ADAPTER: Final = TypeAdapter(list[Source])


def _read_json(path: Path) -> Any:
    """Parse one JSON file, turning I/O and syntax errors into KnowledgeDataError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeDataError(str(path), f"cannot read the file ({exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON at line {exc.lineno}: {exc.msg}"
        raise KnowledgeDataError(str(path), reason) from exc


def _validation_error(path: Path, exc: ValidationError) -> KnowledgeDataError:
    """The first pydantic error, with its field path."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    return KnowledgeDataError(str(path), f"{first['msg']} ({exc.error_count()} error(s))",
                              field=field)


def _unique(path: Path, section: str, ids: Iterable[str]) -> None:
    """Raise on a repeated id within one section."""
    counts = Counter(ids)
    repeated = sorted(i for i, n in counts.items() if n > 1)
    if repeated:
        raise KnowledgeDataError(str(path), f"repeated id(s) {repeated}", field=section)


def _known(path: Path, field: str, refs: Iterable[str], known: Iterable[str]) -> None:
    """Raise when a reference names an id that does not exist."""
    missing = sorted(set(refs) - set(known))
    if missing:
        raise KnowledgeDataError(str(path), f"unknown id(s) {missing}", field=field)


@dataclass(frozen=True)
class Content:
    """The validated curated knowledge: sources plus the graph data."""

    sources: tuple[Source, ...]
    graph: GraphData

    def source_ids(self) -> frozenset[str]:
        """Ids of every source."""
        return frozenset(s.id for s in self.sources)

    def drills_for(self, fault_id: str) -> list[str]:
        """Ids of the drills that correct a fault, in file order."""
        return [d.id for d in self.graph.drills if fault_id in d.corrects]

    def cues_for(self, fault_id: str) -> list[str]:
        """Ids of the cues that address a fault, in file order."""
        return [c.id for c in self.graph.cues if fault_id in c.addresses]

    def to_graph(self) -> tuple[list[Node], list[Relation]]:
        """Nodes and relations, sorted by (label order, id) and (type, endpoints)."""
        nodes = _nodes(self)
        relations = _relations(self)
        order = {label: i for i, label in enumerate(NODE_LABELS)}
        nodes.sort(key=lambda n: (order[n.label], n.id))
        relations.sort(key=lambda r: (r.type, r.start_label, r.start_id, r.end_label, r.end_id))
        return nodes, relations


def load_content(data_dir: Path | None = None) -> Content:
    """Read ``sources.json`` and ``graph.json`` from ``data_dir`` and check them.

    Args:
        data_dir: Folder holding the two files; the shipped ``graph_kb/data`` by default.

    Returns:
        The validated :class:`Content`.

    Raises:
        KnowledgeDataError: A file is missing, unreadable, malformed, or refers to
            ids that do not exist, or a fault lacks causes, drills, cues or sources.
    """
    folder = DATA_DIR if data_dir is None else data_dir
    sources_path, graph_path = folder / SOURCES_FILE, folder / GRAPH_FILE
    try:
        sources = _SOURCES_ADAPTER.validate_python(_read_json(sources_path))
    except ValidationError as exc:
        raise _validation_error(sources_path, exc) from exc
    try:
        graph = GraphData.model_validate(_read_json(graph_path))
    except ValidationError as exc:
        raise _validation_error(graph_path, exc) from exc
    content = Content(sources=tuple(sources), graph=graph)
    _check_sources(sources_path, content.sources)
    _check_graph(graph_path, content)
    return content


def _check_sources(path: Path, sources: tuple[Source, ...]) -> None:
    """Unique ids; every source checkable (DOI or URL) and with a verification note."""
    _unique(path, "id", (s.id for s in sources))
    for i, s in enumerate(sources):
        if not (s.doi or s.url):
            raise KnowledgeDataError(str(path), f"source {s.id!r} has neither DOI nor URL",
                                     field=f"{i}.doi")
        if not s.verified.strip():
            raise KnowledgeDataError(str(path), f"source {s.id!r} says nothing on how it was "
                                     "verified", field=f"{i}.verified")
        if s.id in NEVER_CITE:
            raise KnowledgeDataError(str(path), f"source {s.id!r} is a REFERENCES.md 'no' row",
                                     field=f"{i}.id")
        if s.verification is None:
            raise KnowledgeDataError(str(path), f"source {s.id!r} has no verification "
                                     "('yes' or 'partly')", field=f"{i}.verification")
        if not (s.supports and s.support_terms):
            raise KnowledgeDataError(str(path), f"source {s.id!r} does not say what it "
                                     "supports", field=f"{i}.supports")
        if any(term != term.lower() or not term.strip() for term in s.support_terms):
            raise KnowledgeDataError(str(path), f"source {s.id!r} has a support term that is "
                                     "empty or not lower case", field=f"{i}.support_terms")


def _check_graph(path: Path, content: Content) -> None:
    """Referential integrity of ``graph.json`` and the KISMAM contract."""
    g = content.graph
    sections: Mapping[str, Iterable[str]] = {
        "sports": (x.id for x in g.sports), "movements": (x.id for x in g.movements),
        "metrics": (x.id for x in g.metrics), "faults": (x.id for x in g.faults),
        "causes": (x.id for x in g.causes), "drills": (x.id for x in g.drills),
        "cues": (x.id for x in g.cues), "body_regions": (x.id for x in g.body_regions),
        "muscles": (x.id for x in g.muscles), "injury_risks": (x.id for x in g.injury_risks),
        "contraindications": (x.id for x in g.contraindications)}
    for section, ids in sections.items():
        _unique(path, section, ids)
    _check_movements(path, g)
    _check_references(path, content)
    _check_kismam(path, g)
    _check_fault_coverage(path, content)
    _check_progressions(path, g)
    _check_support(path, content)


def _check_movements(path: Path, g: GraphData) -> None:
    """Keyframe and phase names unique per movement; phases bound existing keyframes."""
    for m in g.movements:
        names = [k.name for k in m.keyframes]
        _unique(path, f"movements.{m.id}.keyframes", names)
        _unique(path, f"movements.{m.id}.phases", (p.name for p in m.phases))
        for p in m.phases:
            _known(path, f"movements.{m.id}.phases.{p.name}", (p.start, p.end), names)
            if names.index(p.start) >= names.index(p.end):
                raise KnowledgeDataError(str(path), f"phase {p.name!r} of {m.id!r} ends before "
                                         "it starts", field=f"movements.{m.id}.phases")


def _check_references(path: Path, content: Content) -> None:
    """Every id a record names exists."""
    g = content.graph
    movements = {m.id: m for m in g.movements}
    metric_ids = [x.id for x in g.metrics]
    cause_ids = [x.id for x in g.causes]
    fault_ids = [x.id for x in g.faults]
    drill_ids = [x.id for x in g.drills]
    regions = [x.id for x in g.body_regions]
    sources = content.source_ids()
    for s in g.sports:
        _known(path, f"sports.{s.id}.movements", s.movements, movements)
    for mt in g.metrics:
        _known(path, f"metrics.{mt.id}.movements", mt.movements, movements)
        _known(path, f"metrics.{mt.id}.source_ids", mt.source_ids, sources)
        if set(mt.measured_at) != set(mt.movements):
            raise KnowledgeDataError(str(path), "measured_at must name exactly the metric's "
                                     "movements", field=f"metrics.{mt.id}.measured_at")
        for mv, where in mt.measured_at.items():
            _known(path, f"metrics.{mt.id}.measured_at.{mv}", [where], _instants(movements[mv]))
    for f in g.faults:
        _known(path, f"faults.{f.id}.movements", f.movements, movements)
        _known(path, f"faults.{f.id}.metrics", f.metrics, metric_ids)
        _known(path, f"faults.{f.id}.causes", f.causes, cause_ids)
        _known(path, f"faults.{f.id}.risks", f.risks, (r.id for r in g.injury_risks))
        _known(path, f"faults.{f.id}.source_ids", f.source_ids, sources)
    for c in g.causes:
        _known(path, f"causes.{c.id}.body_regions", c.body_regions, regions)
        _known(path, f"causes.{c.id}.muscles", c.muscles, (m.id for m in g.muscles))
        _known(path, f"causes.{c.id}.source_ids", c.source_ids, sources)
    for d in g.drills:
        _known(path, f"drills.{d.id}.corrects", d.corrects, fault_ids)
        _known(path, f"drills.{d.id}.targets", d.targets, cause_ids)
        _known(path, f"drills.{d.id}.progresses_to", d.progresses_to, drill_ids)
        _known(path, f"drills.{d.id}.contraindications", d.contraindications,
               (x.id for x in g.contraindications))
        _known(path, f"drills.{d.id}.source_ids", d.source_ids, sources)
    for q in g.cues:
        _known(path, f"cues.{q.id}.addresses", q.addresses, fault_ids)
        _known(path, f"cues.{q.id}.source_ids", q.source_ids, sources)
    for m in g.muscles:
        _known(path, f"muscles.{m.id}.body_region", [m.body_region], regions)
    for r in g.injury_risks:
        _known(path, f"injury_risks.{r.id}.source_ids", r.source_ids, sources)
    for x in g.contraindications:
        _known(path, f"contraindications.{x.id}.source_ids", x.source_ids, sources)


def support_problems(content: Content) -> list[str]:
    """Every breach of the support rule (``support.py``) in the graph records."""
    g = content.graph
    src = {s.id: s for s in content.sources}
    out: list[str] = []

    def text(*parts: str | None) -> str:
        return " ".join(p for p in parts if p)

    for mt in g.metrics:
        out += check_text(f"metrics.{mt.id}", text(mt.description, mt.target_note),
                          mt.source_ids, src)
    for f in g.faults:
        out += check_text(f"faults.{f.id}", text(f.description, f.coach_summary, f.caveat),
                          f.source_ids, src)
    for c in g.causes:
        out += check_text(f"causes.{c.id}", c.description, c.source_ids, src)
    for d in g.drills:
        where = f"drills.{d.id}"
        out += check_text(where, text(d.description, d.basis), d.source_ids, src)
        if d.dosage.dose_basis == "source":
            out += check_partly_scope(where, d.source_ids, src, dose=True)
            if not any(f"({s}" in d.basis and src[s].verification == "yes"
                       for s in d.source_ids if s in src):
                out.append(f"{where}: dose_basis 'source' but its basis names no cited "
                           "'yes' source that gives the dose")
    for q in g.cues:
        out += check_text(f"cues.{q.id}", text(q.text, q.note), q.source_ids, src)
    for r in g.injury_risks:
        out += check_text(f"injury_risks.{r.id}", r.statement, r.source_ids, src)
    for x in g.contraindications:
        out += check_text(f"contraindications.{x.id}", text(x.description, x.action),
                          x.source_ids, src)
    return out


def _check_support(path: Path, content: Content) -> None:
    """Raise on the first breach of the support rule."""
    problems = support_problems(content)
    if problems:
        where, _, reason = problems[0].partition(": ")
        raise KnowledgeDataError(str(path), f"{reason} ({len(problems)} problem(s))",
                                 field=where)


def _instants(movement: MovementRecord) -> list[str]:
    """Keyframe and phase names of a movement (what a metric can be measured at)."""
    return [k.name for k in movement.keyframes] + [p.name for p in movement.phases]


def _check_kismam(path: Path, g: GraphData) -> None:
    """Movements, their keyframes and phases, fault ids and metric ids are the registry's.

    The registry (:mod:`sportsgpt.graph_kb.movements`) derives them from each movement's
    ``movement.json`` and ``catalog.json``; the graph must describe exactly those.
    """
    found_movements = {m.id for m in g.movements}
    if found_movements != set(movement_ids()):
        raise KnowledgeDataError(
            str(path), f"movements differ from the registry's: missing "
            f"{sorted(set(movement_ids()) - found_movements)}, extra "
            f"{sorted(found_movements - set(movement_ids()))}", field="movements")
    for record in g.movements:
        spec = movement_spec(record.id)
        if tuple(k.name for k in record.keyframes) != spec.keyframes:
            raise KnowledgeDataError(
                str(path), f"keyframes of {record.id!r} differ from its movement.json: "
                f"{[k.name for k in record.keyframes]} vs {list(spec.keyframes)}",
                field=f"movements.{record.id}.keyframes")
        phases = [(p.name, p.start, p.end) for p in record.phases]
        if phases != [(p.name, p.start, p.end) for p in spec.phases]:
            raise KnowledgeDataError(
                str(path), f"phases of {record.id!r} differ from its movement.json",
                field=f"movements.{record.id}.phases")
    for movement in movement_ids():
        expected = set(fault_ids(movement))
        found = {f.id for f in g.faults if movement in f.movements}
        if found != expected:
            raise KnowledgeDataError(
                str(path), f"faults of {movement!r} differ from its catalog's: missing "
                f"{sorted(expected - found)}, extra {sorted(found - expected)}",
                field="faults")
    known_metrics = metric_ids()
    found_metrics = {m.id for m in g.metrics}
    if found_metrics != known_metrics:
        raise KnowledgeDataError(
            str(path), f"metric ids differ from the catalogs': missing "
            f"{sorted(known_metrics - found_metrics)}, extra "
            f"{sorted(found_metrics - known_metrics)}", field="metrics")


def _check_fault_coverage(path: Path, content: Content) -> None:
    """Every fault has enough drills and cues (causes and sources are schema-enforced)."""
    for f in content.graph.faults:
        if len(content.drills_for(f.id)) < MIN_DRILLS_PER_FAULT:
            raise KnowledgeDataError(str(path), f"fault {f.id!r} has fewer than "
                                     f"{MIN_DRILLS_PER_FAULT} drills", field=f"faults.{f.id}")
        if len(content.cues_for(f.id)) < MIN_CUES_PER_FAULT:
            raise KnowledgeDataError(str(path), f"fault {f.id!r} has fewer than "
                                     f"{MIN_CUES_PER_FAULT} cues", field=f"faults.{f.id}")


def _check_progressions(path: Path, g: GraphData) -> None:
    """Drill progressions form no cycle (a drill cannot progress back to itself)."""
    nxt = {d.id: d.progresses_to for d in g.drills}
    state: dict[str, int] = {}

    def visit(drill: str, trail: list[str]) -> None:
        if state.get(drill) == 1:
            raise KnowledgeDataError(str(path), "drill progressions form a cycle: "
                                     + " -> ".join([*trail, drill]), field="drills")
        if state.get(drill) == 2:
            return
        state[drill] = 1
        for follower in nxt[drill]:
            visit(follower, [*trail, drill])
        state[drill] = 2

    for drill in sorted(nxt):
        visit(drill, [])


# --------------------------------------------------------------------------- graph building

def _props(model: Any, exclude: set[str]) -> dict[str, Any]:
    """JSON-ready properties of a record, without the fields that became relations."""
    data: dict[str, Any] = model.model_dump(mode="json", exclude=exclude)
    return data


def _nodes(c: Content) -> list[Node]:
    """One node per record, per keyframe and phase, and per source."""
    g = c.graph
    out = [Node(id=s.id, label="Sport", props=_props(s, {"id", "movements"})) for s in g.sports]
    for m in g.movements:
        out.append(Node(id=m.id, label="Movement",
                        props=_props(m, {"id", "keyframes", "phases"})))
        for i, k in enumerate(m.keyframes):
            out.append(Node(id=keyframe_node_id(m.id, k.name), label="Keyframe",
                            props={"name": k.name, "movement": m.id, "order": i,
                                   "description": k.description}))
        for i, p in enumerate(m.phases):
            out.append(Node(id=phase_node_id(m.id, p.name), label="Phase",
                            props={"name": p.name, "movement": m.id, "order": i,
                                   "description": p.description}))
    out += [Node(id=x.id, label="Metric",
                 props=_props(x, {"id", "movements", "measured_at", "source_ids"}))
            for x in g.metrics]
    out += [Node(id=x.id, label="Fault",
                 props=_props(x, {"id", "movements", "metrics", "causes", "risks", "source_ids"}))
            for x in g.faults]
    out += [Node(id=x.id, label="Cause",
                 props=_props(x, {"id", "body_regions", "muscles", "source_ids"}))
            for x in g.causes]
    for d in g.drills:
        props = _props(d, {"id", "dosage", "corrects", "targets", "progresses_to",
                           "contraindications", "source_ids"})
        props.update(d.dosage.model_dump(mode="json"))
        out.append(Node(id=d.id, label="Drill", props=props))
    out += [Node(id=x.id, label="Cue", props=_props(x, {"id", "addresses", "source_ids"}))
            for x in g.cues]
    out += [Node(id=x.id, label="BodyRegion", props=_props(x, {"id"})) for x in g.body_regions]
    out += [Node(id=x.id, label="Muscle", props=_props(x, {"id", "body_region"}))
            for x in g.muscles]
    out += [Node(id=x.id, label="InjuryRisk", props=_props(x, {"id", "source_ids"}))
            for x in g.injury_risks]
    out += [Node(id=x.id, label="Contraindication", props=_props(x, {"id", "source_ids"}))
            for x in g.contraindications]
    out += [Node(id=s.id, label="Source", props=_props(s, {"id"})) for s in c.sources]
    return out


def _rel(kind: str, start: tuple[str, str], end: tuple[str, str]) -> Relation:
    """A relation whose endpoint labels the schema allows for ``kind``."""
    starts, ends = RELATION_TYPES[kind]
    if start[0] not in starts or end[0] not in ends:
        raise KnowledgeDataError(GRAPH_FILE, f"{kind} cannot join {start[0]} to {end[0]}",
                                 field=kind)
    return Relation(type=kind, start_label=start[0], start_id=start[1],
                    end_label=end[0], end_id=end[1])


def _cited(label: str, node_id: str, source_ids: Iterable[str]) -> list[Relation]:
    """SUPPORTED_BY relations of one claim-bearing node."""
    return [_rel("SUPPORTED_BY", (label, node_id), ("Source", s)) for s in source_ids]


def _movement_relations(g: GraphData) -> list[Relation]:
    """Sport, movement, phase and keyframe structure."""
    out = [_rel("INCLUDES", ("Sport", s.id), ("Movement", m)) for s in g.sports
           for m in s.movements]
    for m in g.movements:
        for k in m.keyframes:
            out.append(_rel("HAS_KEYFRAME", ("Movement", m.id),
                            ("Keyframe", keyframe_node_id(m.id, k.name))))
        for p in m.phases:
            pid = ("Phase", phase_node_id(m.id, p.name))
            out.append(_rel("HAS_PHASE", ("Movement", m.id), pid))
            out.append(_rel("STARTS_AT", pid, ("Keyframe", keyframe_node_id(m.id, p.start))))
            out.append(_rel("ENDS_AT", pid, ("Keyframe", keyframe_node_id(m.id, p.end))))
    return out


def _relations(c: Content) -> list[Relation]:
    """Every relation the records imply."""
    g = c.graph
    out = _movement_relations(g)
    phases = {m.id: {p.name for p in m.phases} for m in g.movements}
    for mt in g.metrics:
        key = ("Metric", mt.id)
        out += [_rel("OF_MOVEMENT", key, ("Movement", mv)) for mv in mt.movements]
        for mv, where in mt.measured_at.items():
            end = (("Phase", phase_node_id(mv, where)) if where in phases[mv]
                   else ("Keyframe", keyframe_node_id(mv, where)))
            out.append(_rel("MEASURED_AT", key, end))
        out += _cited("Metric", mt.id, mt.source_ids)
    for f in g.faults:
        key = ("Fault", f.id)
        out += [_rel("OCCURS_IN", key, ("Movement", m)) for m in f.movements]
        out += [_rel("DETECTED_BY", key, ("Metric", m)) for m in f.metrics]
        out += [_rel("CAUSED_BY", key, ("Cause", x)) for x in f.causes]
        out += [_rel("RAISES", key, ("InjuryRisk", r)) for r in f.risks]
        out += _cited("Fault", f.id, f.source_ids)
    for x in g.causes:
        out += [_rel("INVOLVES", ("Cause", x.id), ("BodyRegion", r)) for r in x.body_regions]
        out += [_rel("INVOLVES", ("Cause", x.id), ("Muscle", m)) for m in x.muscles]
        out += _cited("Cause", x.id, x.source_ids)
    for d in g.drills:
        key = ("Drill", d.id)
        out += [_rel("CORRECTS", key, ("Fault", f)) for f in d.corrects]
        out += [_rel("TARGETS", key, ("Cause", x)) for x in d.targets]
        out += [_rel("CONTRAINDICATED_FOR", key, ("Contraindication", x))
                for x in d.contraindications]
        for nxt in d.progresses_to:
            out.append(_rel("PROGRESSES_TO", key, ("Drill", nxt)))
            out.append(_rel("REGRESSES_TO", ("Drill", nxt), key))
        out += _cited("Drill", d.id, d.source_ids)
    for q in g.cues:
        out += [_rel("ADDRESSES", ("Cue", q.id), ("Fault", f)) for f in q.addresses]
        out += _cited("Cue", q.id, q.source_ids)
    out += [_rel("PART_OF", ("Muscle", m.id), ("BodyRegion", m.body_region)) for m in g.muscles]
    for r in g.injury_risks:
        out += _cited("InjuryRisk", r.id, r.source_ids)
    for ci in g.contraindications:
        out += _cited("Contraindication", ci.id, ci.source_ids)
    return out
