"""The front door: one context, knowledge built on first use, prepare once, one seam."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sportsgpt import api
from sportsgpt.core.settings import Settings
from sportsgpt.graph_kb.build import FINGERPRINT_FILE
from sportsgpt.graph_kb.embeddings import HashingEmbedder
from sportsgpt.graph_kb.errors import KnowledgeStoreError
from sportsgpt.graph_kb.movements import all_fault_ids, fault_ids, movement_ids


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"SPORTSGPT_CACHE": str(tmp_path)})


def _ctx(settings: Settings, messages: list[str]) -> api.SportsGPT:
    return api.SportsGPT(settings, embedder=HashingEmbedder(64), progress=messages.append)


def test_the_curated_knowledge_is_built_on_first_use_and_only_once(settings: Settings) -> None:
    messages: list[str] = []
    with _ctx(settings, messages) as ctx:
        hits = api.kb_search(ctx, "why does my knee cave in when I land?")
        assert hits and all(h.sources for h in hits)
        api.kb_search(ctx, "soft landing")
    assert len([m for m in messages if "building the knowledge base" in m]) == 1
    assert (settings.cache_dir / "kb" / FINGERPRINT_FILE).is_file()
    again: list[str] = []
    with _ctx(settings, again) as ctx:
        assert api.kb_stats(ctx)["qa_pairs"] == api.kb_stats(ctx)["qa_pairs"] > 300
    assert again == []  # same content, same model: nothing rebuilt


def test_changed_curated_content_is_rebuilt(settings: Settings) -> None:
    with _ctx(settings, []) as ctx:
        api.kb_stats(ctx)
    (settings.cache_dir / "kb" / FINGERPRINT_FILE).write_text("stale\n")
    messages: list[str] = []
    with _ctx(settings, messages) as ctx:
        api.kb_stats(ctx)
    assert any("building the knowledge base" in m for m in messages)


class _EmptyServerStore:
    """A stand-in for a configured Neo4j database that holds nothing."""

    def stats(self) -> dict[str, int]:
        return {"qa_pairs": 0}


def test_an_empty_neo4j_database_is_never_built_implicitly(tmp_path: Path) -> None:
    settings = Settings.from_env({"SPORTSGPT_CACHE": str(tmp_path),
                                  "SPORTSGPT_NEO4J_URI": "bolt://127.0.0.1:1"})
    ctx = api.SportsGPT(settings, embedder=HashingEmbedder(64), progress=None)
    ctx._store, ctx._checked = _EmptyServerStore(), False  # type: ignore[assignment]
    with pytest.raises(KnowledgeStoreError, match="sportsgpt kb build"):
        _ = ctx.store


def test_kb_search_validates_its_arguments(settings: Settings) -> None:
    from sportsgpt.tools.knowledge import KnowledgeArgumentError, UnknownKnowledgeIdError

    with _ctx(settings, []) as ctx:
        with pytest.raises(KnowledgeArgumentError, match="empty"):
            api.kb_search(ctx, "   ")
        with pytest.raises(UnknownKnowledgeIdError, match="known movement ids"):
            api.kb_search(ctx, "landing", movement="hopscotch")


def test_movements_come_from_the_registry() -> None:
    found = api.movements()
    assert [m.id for m in found] == list(movement_ids())
    for m in found:
        assert m.faults == list(fault_ids(m.id))


# ------------------------------------------------------------------ recordings (shared data)
def test_analyze_prepares_the_recording_once(cmu_dir: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import sportsgpt.tools.prepare as prep_module

    calls: list[int] = []
    original = prep_module.preprocess

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(prep_module, "preprocess", counting)
    analysis = api.analyze_file(cmu_dir / "16_01.amc", "auto")
    assert analysis.movement == "countermovement_jump"
    assert analysis.movement_ratios  # the chooser's evidence is kept
    assert len(calls) == 1


def test_align_accepts_auto_like_analyze(cmu_dir: Path) -> None:
    al = api.align_file(cmu_dir / "16_01.amc", "auto")
    assert al.movement == "countermovement_jump" and al.found


def test_analyze_json_has_one_shape(cmu_dir: Path) -> None:
    analysis = api.analyze_file(cmu_dir / "16_01.amc", "countermovement_jump")
    data = json.loads(api.render_analysis(analysis, "json"))
    assert isinstance(data["repetitions"], list) and len(data["repetitions"]) == 1


def test_a_conversation_only_analyses_attached_recordings(cmu_dir: Path,
                                                          settings: Settings) -> None:
    from sportsgpt.core.errors import SportsGPTError

    with _ctx(settings, []) as ctx:
        conv = api.Conversation(ctx, [cmu_dir / "16_01.amc"])
        assert conv.recording_handles() == ("rec1",)
        first = conv.analyze_recording("rec1")
        assert conv.analyze_recording("rec1", first.movement) is first  # cached
        with pytest.raises(SportsGPTError, match="attached: rec1"):
            conv.analyze_recording("rec2")


def test_registry_binds_attached_handles_and_registry_ids(settings: Settings,
                                                          tmp_path: Path) -> None:
    with _ctx(settings, []) as ctx:
        file = tmp_path / "jump.npz"
        file.write_bytes(b"")
        conv = api.Conversation(ctx, [file])
        schemas = {s["function"]["name"]: s["function"]["parameters"]
                   for s in conv.registry().json_schemas()}
    rec = schemas["analyze_recording"]["properties"]["recording"]
    assert rec["enum"] == ["rec1"]
    lookup = json.dumps(schemas["lookup_fault_knowledge"])
    assert all(f in lookup for f in all_fault_ids())


def test_a_wrong_frame_rate_withholds_timing_metrics_loudly(cmu_dir: Path) -> None:
    analysis = api.analyze_file(cmu_dir / "16_01.amc", "countermovement_jump", fps=30.0)
    report = analysis.reports[0]
    assert any(n.startswith("TIME BASE IMPLAUSIBLE") for n in report.quality.notes)
    by_id = {m.id: m for m in report.metrics}
    assert by_id["jump_height_flight_time"].status == "not_assessable"
    assert by_id["jump_height_pelvis_rise"].status != "not_assessable"  # no timing in it
    right = api.analyze_file(cmu_dir / "16_01.amc", "countermovement_jump")
    assert not any("TIME BASE" in n for n in right.reports[0].quality.notes)


def test_the_coach_reuses_an_analysis_handed_over(cmu_dir: Path, settings: Settings,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    analysis = api.analyze_file(cmu_dir / "16_01.amc")
    calls: list[object] = []
    monkeypatch.setattr(api, "analyze_file", lambda *a, **k: calls.append(a) or analysis)
    with _ctx(settings, []) as ctx:
        answer = api.coach(ctx, "what's wrong with my jump?",
                           recordings=[cmu_dir / "16_01.amc"], analysis=analysis)
    assert calls == []  # not analysed again
    assert [f["fault_id"] for f in answer.findings] == \
        [f.fault_id for f in analysis.reports[0].findings]
