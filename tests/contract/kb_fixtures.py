"""A small knowledge graph and QA set in the shipped schema, for store tests."""

from __future__ import annotations

from sportsgpt.graph_kb.embeddings import FloatMatrix, HashingEmbedder, qa_text
from sportsgpt.graph_kb.types import KnowledgeStore, Node, QAPair, Relation

DIM = 64
EMBEDDER = HashingEmbedder(DIM)

SOURCES = [
    Node(id="src_a", label="Source", props={
        "title": "Source A", "authors": ["A. Author"], "year": 2001, "venue": "Journal A",
        "doi": "10.0000/a", "url": None, "verified": "test fixture"}),
    Node(id="src_b", label="Source", props={
        "title": "Source B", "authors": ["B. Author"], "year": 2002, "venue": "Journal B",
        "doi": None, "url": "https://example.org/b", "verified": "test fixture"}),
    Node(id="src_c", label="Source", props={
        "title": "Source C", "authors": ["C. Author"], "year": 2003, "venue": "Journal C",
        "doi": "10.0000/c", "url": None, "verified": "test fixture"}),
]

NODES = [
    Node(id="countermovement_jump", label="Movement", props={"name": "CMJ"}),
    Node(id="deep_squat", label="Movement", props={"name": "Deep squat"}),
    Node(id="knee_valgus_on_landing", label="Fault",
         props={"label": "Knee valgus on landing", "description": "Knees cave in.",
                "coach_summary": "Knees track over toes."}),
    Node(id="stiff_landing", label="Fault",
         props={"label": "Stiff landing", "description": "Little knee flexion.",
                "coach_summary": "Land softly."}),
    Node(id="knee_fppa_landing", label="Metric", props={"label": "FPPA", "unit": "deg"}),
    Node(id="peak_knee_flexion_landing", label="Metric",
         props={"label": "Peak knee flexion", "unit": "deg"}),
    Node(id="weak_hip_abductors", label="Cause", props={"label": "Weak hip abductors"}),
    Node(id="lateral_band_walk", label="Drill",
         props={"name": "Lateral band walk", "sets": 3, "equipment": ["mini band"]}),
    Node(id="drop_landing", label="Drill", props={"name": "Drop landing", "sets": 2,
                                                  "equipment": []}),
    Node(id="depth_jump", label="Drill", props={"name": "Depth jump", "sets": 2,
                                                "equipment": ["box"]}),
    Node(id="cue_knees_out", label="Cue", props={"text": "Push the floor apart",
                                                 "focus": "external"}),
    Node(id="acl_risk", label="InjuryRisk", props={"label": "ACL", "evidence": "contested"}),
    Node(id="acute_knee_pain", label="Contraindication",
         props={"label": "Acute knee pain", "action": "refer"}),
    *SOURCES,
]


def _rel(kind: str, start: tuple[str, str], end: tuple[str, str]) -> Relation:
    return Relation(type=kind, start_label=start[0], start_id=start[1], end_label=end[0],
                    end_id=end[1])


FAULT = ("Fault", "knee_valgus_on_landing")
_LINKS = [
    _rel("OCCURS_IN", FAULT, ("Movement", "countermovement_jump")),
    _rel("OCCURS_IN", ("Fault", "stiff_landing"), ("Movement", "countermovement_jump")),
    _rel("DETECTED_BY", FAULT, ("Metric", "knee_fppa_landing")),
    _rel("DETECTED_BY", ("Fault", "stiff_landing"), ("Metric", "peak_knee_flexion_landing")),
    _rel("CAUSED_BY", FAULT, ("Cause", "weak_hip_abductors")),
    _rel("CORRECTS", ("Drill", "lateral_band_walk"), FAULT),
    _rel("CORRECTS", ("Drill", "drop_landing"), FAULT),
    _rel("CORRECTS", ("Drill", "drop_landing"), ("Fault", "stiff_landing")),
    _rel("ADDRESSES", ("Cue", "cue_knees_out"), FAULT),
    _rel("RAISES", FAULT, ("InjuryRisk", "acl_risk")),
    _rel("CONTRAINDICATED_FOR", ("Drill", "drop_landing"),
         ("Contraindication", "acute_knee_pain")),
    # progressions, each with its mirror regression (as Content.to_graph() writes them);
    # depth_jump corrects no fixture fault: it is reached only by progression
    _rel("PROGRESSES_TO", ("Drill", "lateral_band_walk"), ("Drill", "drop_landing")),
    _rel("REGRESSES_TO", ("Drill", "drop_landing"), ("Drill", "lateral_band_walk")),
    _rel("PROGRESSES_TO", ("Drill", "drop_landing"), ("Drill", "depth_jump")),
    _rel("REGRESSES_TO", ("Drill", "depth_jump"), ("Drill", "drop_landing")),
]

CITES: dict[tuple[str, str], list[str]] = {
    FAULT: ["src_a"],
    ("Fault", "stiff_landing"): ["src_c"],
    ("Metric", "knee_fppa_landing"): ["src_b"],
    ("Metric", "peak_knee_flexion_landing"): ["src_c"],
    ("Cause", "weak_hip_abductors"): ["src_b"],
    ("Drill", "lateral_band_walk"): ["src_b"],
    ("Drill", "drop_landing"): ["src_a", "src_b"],
    ("Drill", "depth_jump"): ["src_c"],
    ("Cue", "cue_knees_out"): ["src_a"],
    ("InjuryRisk", "acl_risk"): ["src_a", "src_b"],
}
"""The sources each record cites (its ``source_ids`` in curated content); records left
out cite none. Every entry becomes SUPPORTED_BY relations."""

RELATIONS = [*_LINKS, *(_rel("SUPPORTED_BY", node, ("Source", s))
                        for node, ids in CITES.items() for s in ids)]

QA = [
    QAPair(id="qa1", question="How do I stop my knees caving in when I land?",
           answer="Strengthen hip abductors with lateral band walks and cue knees out.",
           movements=["countermovement_jump"], faults=["knee_valgus_on_landing"],
           source_ids=["src_a", "src_b"]),
    QAPair(id="qa2", question="Why is my landing so stiff and loud?",
           answer="Land softly by bending hips and knees; practise drop landings.",
           movements=["countermovement_jump"], faults=["stiff_landing"], source_ids=["src_c"]),
    QAPair(id="qa3", question="How deep should a deep squat go?",
           answer="Aim for thighs below parallel while keeping heels down.",
           movements=["deep_squat"], faults=[], source_ids=["src_a"]),
    QAPair(id="qa4", question="What is the best arm swing for jumping higher?",
           answer="Swing the arms back in the countermovement and drive them up at takeoff.",
           movements=["countermovement_jump"], faults=[], source_ids=["src_b"],
           tier="ingested"),
    QAPair(id="qa5", question="Does heel rise matter in the squat?",
           answer="Heel rise often points to limited ankle dorsiflexion zebra.",
           movements=["deep_squat"], faults=[], source_ids=["src_c"], tier="ingested"),
]


def qa_vectors(pairs: list[QAPair]) -> FloatMatrix:
    """Hashing-embedder vectors of the pairs."""
    return EMBEDDER.embed([qa_text(p.question, p.answer) for p in pairs])


def load_fixture(store: KnowledgeStore) -> None:
    """Upsert the whole fixture into ``store``."""
    store.upsert_graph(NODES, RELATIONS)
    store.upsert_qa(QA, qa_vectors(QA))
