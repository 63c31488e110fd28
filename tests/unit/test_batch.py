"""sportsgpt batch: input expansion, manifest, schema, failures, resume, trend report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest

from sportsgpt import batch
from sportsgpt.batch import (
    FILE_COLUMNS,
    METRIC_FIELDS,
    REP_COLUMNS,
    BatchInputError,
    BatchItem,
    collect_items,
    expand_inputs,
    read_manifest,
    rows_frame,
    run_batch_items,
    trend_path,
    trend_report,
)


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ---------------------------------------------------------------- input expansion
def test_folder_is_searched_recursively_for_known_formats(tmp_path: Path) -> None:
    a = _touch(tmp_path / "a.trc")
    b = _touch(tmp_path / "deep" / "b.mot")
    c = _touch(tmp_path / "deep" / "c_positions.txt.gz")
    _touch(tmp_path / "16.asf")
    _touch(tmp_path / "README.md")
    _touch(tmp_path / "figure.png")
    items = expand_inputs([str(tmp_path)])
    assert [Path(i.path) for i in items] == sorted(p.resolve() for p in (a, b, c))
    assert {i.movement for i in items} == {"auto"}


def test_files_globs_and_folders_are_deduplicated(tmp_path: Path) -> None:
    a = _touch(tmp_path / "x" / "a.mot")
    b = _touch(tmp_path / "x" / "b.mot")
    items = expand_inputs([str(a), str(tmp_path / "x" / "*.mot"), str(tmp_path / "x")],
                          movement="deep_squat")
    assert [i.path for i in items] == [str(a.resolve()), str(b.resolve())]
    assert {i.movement for i in items} == {"deep_squat"}


@pytest.mark.parametrize("spec", ["missing.mot", "nothing_*.mot"], ids=["file", "glob"])
def test_input_naming_nothing_is_an_error_naming_it(tmp_path: Path, spec: str) -> None:
    with pytest.raises(BatchInputError, match=spec.replace("*", r"\*")):
        expand_inputs([str(tmp_path / spec)])


def test_folder_without_recordings_is_an_error(tmp_path: Path) -> None:
    _touch(tmp_path / "notes.md")
    with pytest.raises(BatchInputError, match="no file of a known motion format"):
        expand_inputs([str(tmp_path)])


# ---------------------------------------------------------------- manifest
def test_manifest_rows_with_relative_paths_aliases_and_defaults(tmp_path: Path) -> None:
    a = _touch(tmp_path / "data" / "a.mot")
    b = _touch(tmp_path / "data" / "b.mot")
    manifest = _touch(tmp_path / "m.csv", "path,athlete,date,movement,height\n"
                      "data/a.mot,A7,2026-03-02,countermovement_jump,1.82\n"
                      f"{b},A7,2026-03-09,,\n")
    items = read_manifest(manifest, movement="auto")
    assert items[0] == BatchItem(path=str(a.resolve()), athlete_id="A7",
                                 date="2026-03-02", movement="countermovement_jump",
                                 height_m=1.82)
    assert items[1].movement == "auto" and items[1].height_m is None
    assert items[1].date is not None and items[1].date.isoformat() == "2026-03-09"


@pytest.mark.parametrize(("body", "match"), [
    ("path,date\na.mot,2026-13-40\n", r"line 2: date='2026-13-40'"),
    ("path,height\na.mot,3.5\n", r"line 2: height_m='3.5'.*outside"),
    ("path,weight\na.mot,80\n", r"unknown column\(s\) \['weight'\]"),
    ("athlete_id\nA1\n", "no 'path' column"),
    ("path\nnope.mot\n", r"line 2: nope.mot: no such file"),
    ("path\n", "no rows"),
], ids=["bad-date", "implausible-height", "unknown-column", "no-path", "missing-file",
        "empty"])
def test_bad_manifest_names_the_offending_value(tmp_path: Path, body: str, match: str) -> None:
    _touch(tmp_path / "a.mot")
    manifest = _touch(tmp_path / "m.csv", body)
    with pytest.raises(BatchInputError, match=match):
        read_manifest(manifest)


def test_manifest_and_inputs_combine_without_duplicates(tmp_path: Path) -> None:
    a = _touch(tmp_path / "a.mot")
    b = _touch(tmp_path / "b.mot")
    manifest = _touch(tmp_path / "m.csv", "path,athlete_id\na.mot,A1\nb.mot,A1\n")
    items = collect_items([str(a)], str(manifest))
    assert [i.path for i in items] == [str(a.resolve()), str(b.resolve())]
    assert items[0].athlete_id is None and items[1].athlete_id == "A1"
    with pytest.raises(BatchInputError, match="no inputs"):
        collect_items([], None)


def test_unknown_movement_is_refused_before_any_work(tmp_path: Path) -> None:
    item = BatchItem(path=str(_touch(tmp_path / "a.mot")), movement="handstand")
    with pytest.raises(BatchInputError, match="unknown movement 'handstand'"):
        run_batch_items([item], tmp_path / "out.parquet", progress=False)


def test_local_engine_refuses_an_address_and_zero_workers() -> None:
    with pytest.raises(BatchInputError, match="--address"):
        batch.run_engine([], "local", 1, "10.0.0.1:6379")
    with pytest.raises(BatchInputError, match="--workers 0"):
        batch.run_engine([], "local", 0)


# ---------------------------------------------------------------- schema and trend report
def _row(source: str, athlete: str | None, date: str | None, value: float | None,
         **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "source": source, "athlete_id": athlete, "date": date, "height_m": None,
        "movement_requested": "auto", "status": "ok", "error_type": None,
        "error_message": None, "movement": "countermovement_jump", "repetition": 1,
        "n_repetitions": 1, "jump_height.value": value, "jump_height.z": 0.0,
        "jump_height.status": "ok", "jump_height.target_low": 30.0,
        "jump_height.target_high": None, "jump_height.unit": "cm"}
    row.update(extra)
    return row


def test_rows_frame_has_the_documented_column_order() -> None:
    rows = [_row("a.mot", "A1", "2026-01-01", 35.0, **{"b_metric.value": 1.0}),
            {"source": "bad.mot", "status": "failed", "error_type": "MotionFileError",
             "error_message": "bad.mot: line 3: not a number"}]
    frame = rows_frame(rows)
    fixed = [*FILE_COLUMNS, *REP_COLUMNS]
    assert list(frame.columns[:len(fixed)]) == fixed
    assert list(frame.columns[len(fixed):]) == \
        ["b_metric.value"] + [f"jump_height.{f}" for f in METRIC_FIELDS]
    assert frame["repetition"].dtype == "Int64"
    assert frame.loc[1, "error_type"] == "MotionFileError"
    assert pd.isna(frame.loc[1, "repetition"])


def test_trend_report_marks_changes_beyond_the_athletes_swc() -> None:
    values = [40.0, 40.2, 44.0, 25.0]
    rows = [_row(f"s{i}.mot", "A1", f"2026-0{i + 1}-01", v) for i, v in enumerate(values)]
    rows.append(_row("other.mot", None, None, 50.0))
    text = trend_report(rows_frame(rows))
    swc = 0.2 * pd.Series(values).std(ddof=1)
    assert f"SWC {swc:.4g}" in text
    a1 = text.split("## A1 · countermovement_jump")[1].split("\n## ")[0]
    assert "| 2026-02-01 | 40.2 | within | 0.2 |  |" in a1
    assert "| 2026-03-01 | 44 | within | 3.8 | **meaningful** |" in a1
    assert "| 2026-04-01 | 25 | below | -19 | **meaningful** |" in a1
    assert "## (no athlete id) · countermovement_jump" in text
    assert "SWC n/a" in text  # one session: no between-session SD


# ---------------------------------------------------------------- real recordings
@pytest.fixture
def good_and_broken(opencap_dir: Path, tmp_path: Path) -> list[BatchItem]:
    broken = _touch(tmp_path / "in" / "broken.trc", "PathFileType\t4\tnot a trc at all\n")
    return [BatchItem(path=str(opencap_dir / "jump2.mot")),
            BatchItem(path=str(broken)),
            BatchItem(path=str(opencap_dir / "squats1_videoAndMocap.mot"))]


def test_broken_file_is_a_failed_row_and_the_batch_goes_on(
        good_and_broken: list[BatchItem], tmp_path: Path) -> None:
    out = tmp_path / "out" / "r.parquet"
    summary = run_batch_items(good_and_broken, out, progress=False)
    frame = pd.read_parquet(out)
    assert summary.failed == 1 and summary.analysed == 3
    failed = frame[frame["status"] == "failed"]
    assert list(failed["source"]) == [good_and_broken[1].path]
    assert failed["error_type"].iloc[0] == "MotionFileError"
    assert "broken.trc" in failed["error_message"].iloc[0]
    ok = frame[frame["status"] == "ok"]
    assert list(ok["source"].unique()) == [good_and_broken[0].path, good_and_broken[2].path]
    squat = ok[ok["source"] == good_and_broken[2].path]
    assert list(squat["repetition"]) == list(range(1, len(squat) + 1))
    assert (squat["n_repetitions"] == len(squat)).all()
    assert squat["squat_depth_knee_flexion.value"].notna().all()
    json.loads(squat["findings_json"].iloc[0])
    assert trend_path(out).read_text().startswith("# Trend report")


def test_rerun_after_a_crash_redoes_only_unfinished_files(
        good_and_broken: list[BatchItem], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.csv"
    real = batch.analyze_item
    calls: list[int] = []

    def crash_on_second(index: int, item: BatchItem) -> batch.FileResult:
        calls.append(index)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies mid-batch
        return real(index, item)

    monkeypatch.setattr(batch, "analyze_item", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        run_batch_items(good_and_broken, out, fmt="csv", progress=False)
    assert not out.exists()
    monkeypatch.setattr(batch, "analyze_item", real)
    again = run_batch_items(good_and_broken, out, fmt="csv", progress=False)
    assert (again.skipped, again.analysed) == (1, 2)
    third = run_batch_items(good_and_broken, out, fmt="csv", progress=False)
    assert (third.skipped, third.analysed) == (3, 0)
    frame = pd.read_csv(out)
    assert list(frame["source"].drop_duplicates()) == [i.path for i in good_and_broken]
    journal = (out.parent / "r.csv.parts" / "journal.jsonl").read_text().splitlines()
    assert len(journal) == 3


def test_a_task_the_engine_could_not_run_is_a_failed_row_retried_on_rerun(
        good_and_broken: list[BatchItem], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.csv"
    real = batch.analyze_item

    def worker_dies_on_first(index: int, item: BatchItem) -> batch.FileResult:
        if index == 0:
            raise RuntimeError("worker process died")  # what the engine reports
        return real(index, item)

    monkeypatch.setattr(batch, "analyze_item", worker_dies_on_first)
    first = run_batch_items(good_and_broken, out, fmt="csv", progress=False)
    frame = pd.read_csv(out)
    lost = frame[frame["source"] == good_and_broken[0].path]
    assert (first.failed, list(lost["error_type"])) == (2, ["RuntimeError"])
    assert list(lost["error_message"]) == ["worker process died"]
    monkeypatch.setattr(batch, "analyze_item", real)
    again = run_batch_items(good_and_broken, out, fmt="csv", progress=False)
    assert (again.skipped, again.analysed, again.failed) == (2, 1, 1)  # only the lost file


def test_changed_file_is_analysed_again(opencap_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "jump.mot"
    copy.write_bytes((opencap_dir / "jump2.mot").read_bytes())
    items = [BatchItem(path=str(copy))]
    out = tmp_path / "r.parquet"
    run_batch_items(items, out, progress=False)
    copy.write_bytes(copy.read_bytes() + b"\n")
    assert run_batch_items(items, out, progress=False).analysed == 1


def test_cli_writes_table_and_report(opencap_dir: Path, tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    batch.add_batch_parser(parser.add_subparsers())
    out = tmp_path / "r.csv"
    args = parser.parse_args(["batch", str(opencap_dir / "*.mot"), "--out", str(out),
                              "--movement", "auto", "--no-progress"])
    assert batch.run_batch(args) == 0
    frame = pd.read_csv(out)
    assert set(frame["movement"]) == {"countermovement_jump", "deep_squat"}
    assert trend_path(out).exists()
