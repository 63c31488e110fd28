"""The movement registry: one folder per movement, and every list derived from it agrees.

Each movement's ``movement.json``, ``catalog.json`` and ``template.json`` and the knowledge
graph (``graph_kb/data/graph.json``) must name the same keyframes, phases, faults and
metrics; these tests fail on the first list that disagrees.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sportsgpt.graph_kb import movements
from sportsgpt.graph_kb.catalog import CatalogError, load_catalog
from sportsgpt.graph_kb.content import load_content
from sportsgpt.graph_kb.movements import (
    MovementDataError,
    MovementSpec,
    UnknownMovementError,
    all_fault_ids,
    catalog_path,
    fault_ids,
    metric_ids,
    movement_dir,
    movement_ids,
    movement_spec,
    read_spec,
    template_path,
)
from sportsgpt.graph_kb.schema import GraphData
from sportsgpt.graph_kb.support import named_studies
from sportsgpt.tools.kismam.metrics import METRIC_FUNCTIONS
from sportsgpt.tools.motiondtw.features import MOVEMENTS
from sportsgpt.tools.motiondtw.templates import load_template

IDS = movement_ids()


@pytest.fixture(scope="module")
def graph() -> GraphData:
    return load_content().graph


def test_ids_are_the_sorted_folders_with_a_movement_file() -> None:
    root = movements.movements_root()
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert tuple(folders) == IDS
    assert len(IDS) >= 3


@pytest.mark.parametrize("movement", IDS)
def test_folder_has_its_three_files(movement: str) -> None:
    folder = movement_dir(movement)
    assert folder.name == movement
    assert catalog_path(movement) == folder / "catalog.json"
    assert template_path(movement) == folder / "template.json"
    assert catalog_path(movement).is_file() and template_path(movement).is_file()


@pytest.mark.parametrize("movement", IDS)
def test_spec_catalog_and_template_name_the_folder(movement: str) -> None:
    assert movement_spec(movement).id == movement
    assert load_catalog(movement).movement == movement
    assert load_template(movement).movement == movement


@pytest.mark.parametrize("movement", IDS)
def test_template_keyframes_phases_and_parameters_are_the_specs(movement: str) -> None:
    spec, tpl = movement_spec(movement), load_template(movement)
    assert tuple(tpl.keyframes) == spec.keyframes
    assert tpl.phases == spec.phases
    assert tpl.match_threshold == spec.match_threshold
    assert (tpl.alpha, tpl.beta, tpl.find_alpha, tpl.find_beta) == (
        spec.alpha, spec.beta, spec.find_alpha, spec.find_beta)
    assert set(tpl.channels) <= set(spec.weights)


@pytest.mark.parametrize("movement", IDS)
def test_graph_keyframes_and_phases_are_the_specs(graph: GraphData, movement: str) -> None:
    record = next(m for m in graph.movements if m.id == movement)
    spec = movement_spec(movement)
    assert tuple(k.name for k in record.keyframes) == spec.keyframes
    assert [(p.name, p.start, p.end) for p in record.phases] == [
        (p.name, p.start, p.end) for p in spec.phases]


def test_graph_describes_exactly_the_registry_movements(graph: GraphData) -> None:
    assert sorted(m.id for m in graph.movements) == list(IDS)


@pytest.mark.parametrize("movement", IDS)
def test_catalog_faults_are_the_graph_faults(graph: GraphData, movement: str) -> None:
    assert set(fault_ids(movement)) == {f.id for f in graph.faults if movement in f.movements}


def test_metric_ids_are_the_graph_metrics(graph: GraphData) -> None:
    assert metric_ids() == {m.id for m in graph.metrics}


@pytest.mark.parametrize("movement", IDS)
def test_graph_links_exactly_the_catalog_metrics(graph: GraphData, movement: str) -> None:
    catalog = {m.id for m in load_catalog(movement).metrics}
    linked = {m.id for m in graph.metrics if movement in m.movements}
    assert {"not in the catalog": sorted(linked - catalog),
            "not linked in the graph": sorted(catalog - linked)} == {
        "not in the catalog": [], "not linked in the graph": []}


@pytest.mark.parametrize("movement", IDS)
def test_graph_measures_each_metric_where_the_catalog_does(graph: GraphData,
                                                           movement: str) -> None:
    records = {m.id: m for m in graph.metrics}
    wrong = {m.id: (records[m.id].measured_at.get(movement), m.definition.at)
             for m in load_catalog(movement).metrics
             if records[m.id].measured_at.get(movement) != m.definition.at}
    assert wrong == {}


@pytest.mark.parametrize("movement", IDS)
def test_graph_gives_each_metric_the_catalog_unit(graph: GraphData, movement: str) -> None:
    records = {m.id: m for m in graph.metrics}
    wrong = {m.id: (records[m.id].unit, m.unit) for m in load_catalog(movement).metrics
             if records[m.id].unit != m.unit}
    assert wrong == {}


@pytest.mark.parametrize("movement", IDS)
def test_catalog_notes_name_only_the_sources_they_cite(movement: str) -> None:
    """Support rule 3 for the catalogs: a fault or target note that names a study cites it."""
    sources = {s.id: s for s in load_content().sources}
    catalog = load_catalog(movement)
    notes = [(f"faults.{f.id}", f.note, f.source_ids) for f in catalog.faults]
    notes += [(f"metrics.{m.id}.target", m.target.note, m.target.source_ids)
              for m in catalog.metrics if m.target is not None]
    uncited = {where: sorted(named_studies(note, sources) - set(cited))
               for where, note, cited in notes
               if note and named_studies(note, sources) - set(cited)}
    assert uncited == {}


@pytest.mark.parametrize("movement", IDS)
def test_every_computation_is_a_registered_metric_function(movement: str) -> None:
    missing = {m.definition.computation for m in load_catalog(movement).metrics} - set(
        METRIC_FUNCTIONS)
    assert missing == set()


@pytest.mark.parametrize("movement", IDS)
def test_every_metric_is_measured_at_a_keyframe_or_phase(movement: str) -> None:
    instants = set(movement_spec(movement).instants)
    wrong = {m.id: m.definition.at for m in load_catalog(movement).metrics
             if m.definition.at not in instants}
    assert wrong == {}


@pytest.mark.parametrize("movement", IDS)
def test_arm_swing_faults_are_faults_of_the_movement(movement: str) -> None:
    assert set(movement_spec(movement).arm_swing_faults) <= set(fault_ids(movement))


def test_flight_and_travel() -> None:
    flying = movements.flight_movements()
    assert flying and all("flight" in {p.name for p in movement_spec(m).phases} for m in flying)
    assert [m for m in IDS if movement_spec(m).travels_forward] == ["standing_long_jump"]
    assert movement_spec("standing_long_jump").min_flight_travel == pytest.approx(0.15)


def test_derived_unions() -> None:
    assert all_fault_ids() == {f for m in IDS for f in fault_ids(m)}
    assert metric_ids() == {m.id for mv in IDS for m in load_catalog(mv).metrics}


def test_features_view_is_the_registry() -> None:
    assert tuple(sorted(MOVEMENTS)) == IDS
    assert all(MOVEMENTS[m] is movement_spec(m) for m in IDS)


@pytest.mark.parametrize("call", [movement_spec, movement_dir, catalog_path, template_path,
                                  fault_ids],
                         ids=["spec", "dir", "catalog", "template", "faults"])
def test_unknown_movement_lists_the_known_ids(call: Any) -> None:
    with pytest.raises(UnknownMovementError, match="'drop_jumpp'") as info:
        call("drop_jumpp")
    assert info.value.known == IDS
    assert all(m in str(info.value) for m in IDS)


def test_catalog_loader_keeps_its_error() -> None:
    with pytest.raises(CatalogError, match=r"no catalog for movement 'triple_jump'; known: .*"
                                           "countermovement_jump"):
        load_catalog("triple_jump")


def _spec_data(**update: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (movement_dir("deep_squat") / movements.SPEC_FILE).read_text(encoding="utf-8"))
    data.update(update)
    return data


BAD_SPECS: dict[str, tuple[dict[str, Any], str]] = {
    "phase-with-unknown-keyframe": (
        {"phases": [{"name": "descent", "start": "descent_start", "end": "lowest"}]},
        "not keyframes"),
    "unknown-field": ({"arm_swing": True}, "arm_swing"),
    "travel-without-flight": ({"min_flight_travel": 0.15}, "no flight"),
    "flight-without-takeoff": ({"flight": True}, "takeoff"),
    "find-weights-other-channels": ({"find_weights": {"knee_flexion_left": 1.0}},
                                    "same channels"),
    "bad-kind": ({"kind": "sprint"}, "kind"),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS), ids=sorted(BAD_SPECS))
def test_invalid_movement_file_names_the_problem(tmp_path: Path, case: str) -> None:
    update, message = BAD_SPECS[case]
    path = tmp_path / "movement.json"
    path.write_text(json.dumps(_spec_data(**update)), encoding="utf-8")
    with pytest.raises(MovementDataError, match=message) as info:
        read_spec(path)
    assert str(path) in str(info.value)


def test_unreadable_movement_file(tmp_path: Path) -> None:
    path = tmp_path / "movement.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(MovementDataError, match="not a readable movement file"):
        read_spec(path)


def test_every_movement_folder_ships_in_the_wheel() -> None:
    """pyproject lists each folder as a package (setuptools warns about unlisted ones)."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = {p.removeprefix("sportsgpt.graph_kb.movements.") for p in config["packages"]
              if p.startswith("sportsgpt.graph_kb.movements.")}
    assert listed == set(IDS)
    assert "*/*.json" in config["package-data"]["sportsgpt.graph_kb.movements"]


def test_shipped_specs_round_trip() -> None:
    for m in IDS:
        spec = movement_spec(m)
        assert MovementSpec.model_validate(spec.model_dump()) == spec
