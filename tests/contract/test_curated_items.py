"""The curated graph, stored in every backend: each item carries its own record's sources.

``fault_knowledge`` must return, for every fault of ``graph_kb/data/graph.json``, items
whose ``source_ids`` are exactly the ``source_ids`` of the record behind the item, and
drills whose ``progresses_to``/``regresses_to`` are the record's progressions and the
drills that progress to it.
"""

from __future__ import annotations

from typing import Any

import pytest

from sportsgpt.graph_kb.content import Content, load_content
from sportsgpt.graph_kb.types import FaultKnowledge, KnowledgeStore

GROUPS = ("metrics", "causes", "drills", "cues", "risks", "contraindications")


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def _cited(content: Content) -> dict[str, dict[str, list[str]]]:
    """Per item group, record id -> the sources the record cites (sorted)."""
    g = content.graph
    records: dict[str, Any] = {"metrics": g.metrics, "causes": g.causes, "drills": g.drills,
                               "cues": g.cues, "risks": g.injury_risks,
                               "contraindications": g.contraindications}
    return {group: {r.id: sorted(r.source_ids) for r in recs}
            for group, recs in records.items()}


def _mismatches(fk: FaultKnowledge, content: Content) -> list[str]:
    cited = _cited(content)
    fault = next(f for f in content.graph.faults if f.id == fk.fault_id)
    out = [] if fk.source_ids == sorted(fault.source_ids) else [
        f"{fk.fault_id}: {fk.source_ids} != {sorted(fault.source_ids)}"]
    for group in GROUPS:
        for item in getattr(fk, group):
            want = cited[group][item["id"]]
            if item["source_ids"] != want:
                out.append(f"{fk.fault_id}.{group}.{item['id']}: {item['source_ids']} != {want}")
    drills = {d.id: d for d in content.graph.drills}
    for item in fk.drills:
        nxt = sorted(drills[item["id"]].progresses_to)
        prev = sorted(d.id for d in drills.values() if item["id"] in d.progresses_to)
        names = ([drills[i].name for i in nxt], [drills[i].name for i in prev])
        got = (item["progresses_to"], item["regresses_to"])
        got_names = (item["progresses_to_names"], item["regresses_to_names"])
        if got != (nxt, prev) or got_names != names:
            out.append(f"{fk.fault_id}.drills.{item['id']}: {got} != {(nxt, prev)}")
    return out


def test_curated_items_carry_their_records_sources(store: KnowledgeStore,
                                                   content: Content) -> None:
    nodes, relations = content.to_graph()
    store.upsert_graph(nodes, relations)
    problems: list[str] = []
    progressions = 0
    for fault in content.graph.faults:
        fk = store.fault_knowledge(fault.id)
        assert fk is not None, fault.id
        problems += _mismatches(fk, content)
        progressions += sum(bool(d["progresses_to"] or d["regresses_to"]) for d in fk.drills)
    assert problems == []
    assert progressions > 0  # the curated graph has progressions, so the check bites
