from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.kismam import plots
from sportsgpt.tools.kismam.models import (
    AssessmentReport,
    Evidence,
    Finding,
    KeyframeOut,
    MetricResult,
    MetricStatus,
    PhaseOut,
    QualityOut,
)
from sportsgpt.tools.kismam.render import (
    ReportRenderError,
    assessment_schema_json,
    parse_json,
    ranked_findings,
    render_html,
    render_json,
    render_markdown,
)
from sportsgpt.tools.motion import AngleSequence, MotionSequence, SourceInfo
from sportsgpt.tools.motiondtw.templates import Template, load_template

REPO = Path(__file__).resolve().parents[2]
FPS = 120.0
N_FRAMES = 466  # CMU 16_02
# Keyframes MotionDTW places on CMU 16_02 with the shipped CMJ template.
KF = {"movement_onset": 144, "countermovement_bottom": 199, "takeoff": 230, "apex": 252,
      "landing": 282, "landing_bottom": 296}
EVIL = "<script>alert('x')</script>"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _report(repetition: int = 1, label_suffix: str = "") -> AssessmentReport:
    kfs = [KeyframeOut(name=k, frame=f, time_s=f / FPS, method="refined") for k, f in KF.items()]
    spans = [("unweighting_and_braking", "movement_onset", "countermovement_bottom"),
             ("propulsion", "countermovement_bottom", "takeoff"),
             ("flight", "takeoff", "landing"), ("landing", "landing", "landing_bottom")]
    phases = [PhaseOut(name=n, start_frame=KF[a], end_frame=KF[b],
                       duration_s=(KF[b] - KF[a]) / FPS) for n, a, b in spans]
    metrics = [
        MetricResult(id="knee_flexion_at_bottom", label="Knee flexion at bottom", value=78.4,
                     unit="deg", target_low=80.0, target_high=110.0, z=-1.2, status="low",
                     keyframe="countermovement_bottom", frame=199, target_source=["src_a"]),
        MetricResult(id="jump_height_flight_time", label="Jump height (flight time)",
                     value=0.23, unit="m", target_low=0.3, target_high=None, z=-1.4,
                     status="low", keyframe="flight"),
        MetricResult(id="trunk_lean_at_bottom", label="Trunk lean at bottom", value=38.0,
                     unit="deg", target_low=None, target_high=45.0, z=0.0, status="ok",
                     keyframe="countermovement_bottom", frame=199),
        MetricResult(id="knee_fppa_landing", label="Knee FPPA on landing" + label_suffix,
                     value=None, unit="deg", target_low=-10.0, target_high=10.0, z=None,
                     status="not_assessable", keyframe="landing_bottom",
                     reason="the frontal-plane angle needs 3D data or a frontal view"),
    ]
    findings = [
        Finding(fault_id="shallow_countermovement", label="Shallow countermovement",
                severity="mild", score=0.8, confidence=0.7,
                evidence=[Evidence(metric_id="knee_flexion_at_bottom", value=78.4, unit="deg",
                                   target_low=80.0, target_high=110.0, z=-1.2, frame=199,
                                   keyframe="countermovement_bottom")],
                rationale="The knees bend less than the target at the countermovement bottom.",
                source_ids=["src_a"]),
        Finding(fault_id="stiff_landing", label="Stiff landing", severity="moderate", score=1.6,
                confidence=0.4, evidence=[],
                rationale="Knee flexion after landing is small and reached quickly."),
        Finding(fault_id="knee_valgus_on_landing", label="Knee valgus on landing",
                severity="none", score=0.0, confidence=0.9, evidence=[],
                rationale="No valgus beyond the target."),
    ]
    return AssessmentReport(
        movement="countermovement_jump", repetition=repetition, source="16_02.amc", fps=FPS,
        n_frames=N_FRAMES, keyframes=kfs, phases=phases, metrics=metrics, findings=findings,
        quality=QualityOut(dim=3, view="3d", missing_pct=0.4, match_quality=0.83,
                           notes=["quality note"]),
        template_version="1", notes=["report note"])


class _Checker(HTMLParser):
    """Records tag balance problems and counts tags."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "circle", "line", "rect"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _check_html(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    return checker


@pytest.fixture(scope="module")
def athlete(cmu_dir: Path) -> tuple[MotionSequence, AngleSequence]:
    from sportsgpt.tools.datasets import load_cmu_trial
    from sportsgpt.tools.motiondtw.features import motion_channels

    motion = load_cmu_trial("16_02")
    return motion, motion_channels(motion)


@pytest.fixture(scope="module")
def expert(cmu_dir: Path) -> MotionSequence:
    from sportsgpt.tools.datasets import load_cmu_trial

    return load_cmu_trial("16_01")


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template("countermovement_jump")


# --- JSON ---------------------------------------------------------------------------------
def test_json_single_report_round_trips() -> None:
    report = _report()
    text = render_json([report])
    data = json.loads(text)
    assert set(data) == {"repetitions"}
    assert AssessmentReport.model_validate(data["repetitions"][0]) == report
    assert parse_json(text) == [report]


def test_parse_json_still_reads_a_bare_report() -> None:
    report = _report()
    assert parse_json(report.model_dump_json()) == [report]


@pytest.mark.parametrize("n", [0, 1, 2, 3], ids=["none", "one", "two", "three"])
def test_json_is_always_repetitions(n: int) -> None:
    reports = [_report(i + 1) for i in range(n)]
    data = json.loads(render_json(reports))
    assert set(data) == {"repetitions"}
    assert [AssessmentReport.model_validate(x) for x in data["repetitions"]] == reports
    assert parse_json(render_json(reports)) == reports


def test_json_keeps_the_issue_names_in_each_report() -> None:
    data = json.loads(render_json([_report()]))["repetitions"][0]
    for name in ("movement", "fps", "n_frames", "keyframes", "phases", "metrics", "findings",
                 "quality"):
        assert name in data
    assert {"name", "frame", "time_s"} <= set(data["keyframes"][0])
    assert {"id", "label", "value", "unit", "target_low", "target_high", "z",
            "status"} <= set(data["metrics"][0])
    assert {"fault_id", "label", "severity", "confidence", "evidence",
            "rationale"} <= set(data["findings"][0])
    assert data["metrics"][3]["value"] is None
    assert data["metrics"][3]["status"] == "not_assessable"


def test_json_rejects_nan() -> None:
    report = _report()
    bad = report.model_copy(update={"fps": math.nan})
    with pytest.raises(ReportRenderError, match="JSON cannot represent"):
        render_json([bad])


@pytest.mark.parametrize("text", ["not json", '{"movement": 1}', '{"repetitions": 3}', "[]"],
                         ids=["garbage", "invalid-report", "repetitions-not-list", "array"])
def test_parse_json_raises_typed_error(text: str) -> None:
    with pytest.raises(ReportRenderError):
        parse_json(text)


def test_schema_file_matches_model() -> None:
    committed = (REPO / "docs" / "assessment.schema.json").read_text(encoding="utf-8")
    expected = json.dumps(AssessmentReport.model_json_schema(), indent=2, sort_keys=True)
    assert committed.rstrip("\n") == expected
    assert assessment_schema_json() == committed


# --- Markdown -----------------------------------------------------------------------------
def test_markdown_content() -> None:
    report = _report()
    md = render_markdown([report])
    for f in report.findings:
        if f.severity != "none":
            assert f.rationale in md
    assert "not assessable: the frontal-plane angle needs 3D data or a frontal view" in md
    # ranked by severity: moderate before mild; "none" only in the checked-without-fault line
    assert md.index("Stiff landing") < md.index("Shallow countermovement")
    assert "Checked without fault: Knee valgus on landing." in md
    assert "Knee flexion at bottom = 78.4 deg (target 80 to 110 deg, z −1.2)" in md
    assert "| Knee flexion at bottom | 78.4 deg | 80 to 110 deg | −1.2 | low |" in md
    assert "| countermovement bottom | 199 | 1.658 | refined |" in md
    assert "| propulsion | 199–230 | 0.258 |" in md
    assert "466 at 120 fps" in md and "16_02.amc" in md
    assert "tentative" in md and "quality note" in md and "report note" in md
    assert "0.83" in md


def test_markdown_escapes_html_and_pipes() -> None:
    md = render_markdown([_report(label_suffix=" " + EVIL + " | x")])
    assert re.search(r"(?<!\\)<script", md) is None  # every tag opening is escaped
    assert "\\<script>" in md  # a viewer shows <script> as text; no entity in a terminal
    assert "&lt;" not in md and "&gt;" not in md
    assert "\\| x" in md


def test_markdown_is_plain_text_for_comparisons() -> None:
    report = _report()
    note = report.quality.model_copy(update={"notes": ["jitter < 2 mm and speed > 1 m/s"]})
    md = render_markdown([report.model_copy(update={"quality": note})])
    assert "- jitter < 2 mm and speed > 1 m/s" in md


def test_window_metric_shows_its_window_not_a_keyframe() -> None:
    report = _report()
    swing = MetricResult(id="arm_swing_amplitude", label="Arm swing amplitude", value=120.0,
                         unit="deg", target_low=90.0, target_high=None, z=None, status="ok",
                         frame=95, window=["takeoff - 1 s", "takeoff"], window_frames=[2, 102])
    md = render_markdown([report.model_copy(update={"metrics": [*report.metrics, swing]})])
    row = next(line for line in md.splitlines() if line.startswith("| Arm swing amplitude"))
    assert "takeoff - 1 s to takeoff (frames 2–102), value from frame 95" in row
    page = render_html([report.model_copy(update={"metrics": [swing]})])
    assert "takeoff - 1 s to takeoff (frames 2–102), value from frame 95" in page
    data = json.loads(render_json([report.model_copy(update={"metrics": [swing]})]))
    assert data["repetitions"][0]["metrics"][0]["window"] == ["takeoff - 1 s", "takeoff"]
    assert data["repetitions"][0]["metrics"][0]["window_frames"] == [2, 102]


def test_markdown_several_and_none() -> None:
    md = render_markdown([_report(1), _report(2)])
    assert md.startswith("# Countermovement jump: 2 repetitions")
    assert "## Countermovement jump, repetition 2 of 2" in md
    assert "No repetition" in render_markdown([])


def test_markdown_plots_without_data_say_why(tmp_path: Path) -> None:
    md = render_markdown([_report()], plots_dir=tmp_path / "plots")
    assert "Not drawn: no kinematics were given." in md
    assert "Not drawn: no joint positions were given" in md
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", md)
    assert sorted(Path(p).name for p in links) == [
        "countermovement_jump_rep1_metrics.png", "countermovement_jump_rep1_phases.png"]
    for p in links:
        assert Path(p).read_bytes().startswith(PNG_MAGIC)


def test_markdown_plots_with_data(tmp_path: Path, athlete: tuple[MotionSequence, AngleSequence],
                                  template: Template) -> None:
    motion, kin = athlete
    md = render_markdown([_report()], plots_dir=tmp_path, kinematics=kin, template=template,
                         motion=motion)
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", md)
    assert len(links) == 4
    assert all(Path(p).read_bytes().startswith(PNG_MAGIC) for p in links)
    assert "Athlete only" in md


# --- HTML ---------------------------------------------------------------------------------
def test_html_without_data_is_well_formed_and_says_why() -> None:
    page = render_html([_report()])
    checker = _check_html(page)
    text = " ".join(checker.text)
    assert checker.counts["table"] == 3  # metrics, keyframes, phases
    assert checker.counts["svg"] == len(_report().metrics)  # one band per metric row
    assert checker.counts["img"] == 1  # the phase timeline needs only the report
    assert "Not drawn: no kinematics were given." in text
    assert "Not drawn: no joint positions were given" in text
    assert "the frontal-plane angle needs 3D data or a frontal view" in text


def test_html_escapes_text() -> None:
    page = render_html([_report(label_suffix=" " + EVIL)])
    _check_html(page)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_html_with_real_data(athlete: tuple[MotionSequence, AngleSequence], template: Template,
                             expert: MotionSequence) -> None:
    motion, kin = athlete
    page = render_html([_report()], kinematics=kin, template=template, motion=motion,
                       template_motion=expert)
    Path("/tmp/report_example.html").write_text(page, encoding="utf-8")
    checker = _check_html(page)
    assert checker.counts["img"] == 3  # angles, stick figures, phases
    assert page.count('src="data:image/png;base64,') == 3
    assert "16_01.amc" in page and "Athlete only" not in page
    assert "mapped onto the athlete&#x27;s time piecewise-linearly" in page


def test_html_several_reports_have_a_section_each(
        athlete: tuple[MotionSequence, AngleSequence]) -> None:
    _, kin = athlete
    page = render_html([_report(1), _report(2)], kinematics=kin)
    checker = _check_html(page)
    assert checker.counts["section"] == 2
    assert checker.counts["img"] == 4  # angles and phases per repetition
    assert "Athlete only" not in page and "no template given" in page


def test_html_without_template_motion_draws_athlete_only(
        athlete: tuple[MotionSequence, AngleSequence], template: Template) -> None:
    motion, _ = athlete
    page = render_html([_report()], template=template, motion=motion)
    _check_html(page)
    assert "Athlete only: the template stores joint-angle channels" in page


def test_html_rejects_data_of_another_recording(
        athlete: tuple[MotionSequence, AngleSequence], template: Template) -> None:
    motion, kin = athlete
    short = kin.model_copy(update={"values": kin.values[:300]})
    with pytest.raises(ReportRenderError, match="not the same recording"):
        render_html([_report()], kinematics=short)
    with pytest.raises(ReportRenderError, match="not the same recording"):
        render_html([_report()], motion=motion.slice_frames(0, 300))
    squat = load_template("deep_squat")
    with pytest.raises(ReportRenderError, match="template is for 'deep_squat'"):
        render_html([_report()], kinematics=kin, template=squat)
    with pytest.raises(ReportRenderError, match="needs the template"):
        render_html([_report()], motion=motion, template_motion=motion)


def test_html_frontal_2d_motion_gets_no_stick_figure() -> None:
    rng = np.random.default_rng(3)
    joints = ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee")
    motion = MotionSequence(positions=rng.normal(size=(N_FRAMES, len(joints), 2)),
                            joints=joints, fps=FPS, units="px", view="frontal")
    page = render_html([_report()], motion=motion)
    _check_html(page)
    assert "Not drawn: a 2D frontal view holds no sagittal plane to draw." in page


def test_no_repetition_page() -> None:
    page = render_html([])
    _check_html(page)
    assert "No repetition of the movement was found." in page


# --- plots --------------------------------------------------------------------------------
def test_plots_are_deterministic_png_without_software_metadata(
        athlete: tuple[MotionSequence, AngleSequence], template: Template) -> None:
    _, kin = athlete
    report = _report()
    a = plots.plot_angle_curves(kin, report.keyframes, template=template)
    b = plots.plot_angle_curves(kin, report.keyframes, template=template)
    assert a == b and a.startswith(PNG_MAGIC)
    assert b"matplotlib" not in a.lower() and b"Software" not in a
    m1, m2 = (plots.plot_metric_bands(report.metrics) for _ in range(2))
    assert m1 == m2 and m1.startswith(PNG_MAGIC)


def test_stick_figures_and_expert_keyframes(athlete: tuple[MotionSequence, AngleSequence],
                                            template: Template, expert: MotionSequence) -> None:
    motion, _ = athlete
    kf, how = plots.template_motion_keyframes(template, expert, "countermovement_jump")
    src = template.provenance.experts[0]
    assert src.name == "16_01.amc"
    assert kf == {k: src.crop[0] + v for k, v in src.keyframes.items()}
    assert "was built with" in how
    renamed = expert.replace(source=SourceInfo(path="elsewhere/athlete.amc", format="amc"))
    kf_rules, how_rules = plots.template_motion_keyframes(template, renamed,
                                                          "countermovement_jump")
    assert "event rules" in how_rules
    assert all(abs(kf_rules[k] - kf[k]) <= 3 for k in kf)
    png, notes = plots.plot_stick_figures(motion, _report().keyframes, template_motion=expert,
                                          template_keyframes=kf)
    assert png.startswith(PNG_MAGIC)
    assert notes == []  # CMU 3D: facing and ground normalised
    with pytest.raises(MotionDataError, match="needs its keyframes"):
        plots.plot_stick_figures(motion, _report().keyframes, template_motion=expert)


def test_keyframe_outside_data_raises(athlete: tuple[MotionSequence, AngleSequence]) -> None:
    _, kin = athlete
    late = [KeyframeOut(name="apex", frame=10_000, time_s=10_000 / FPS)]
    with pytest.raises(MotionDataError, match="outside the kinematics"):
        plots.plot_angle_curves(kin, late)


def test_template_time_mapping_hits_keyframes(template: Template) -> None:
    report = _report()
    t = plots.template_time_on_athlete(template, report.keyframes)
    assert t.shape == (template.n_frames,)
    for k in report.keyframes:
        assert t[template.keyframes[k.name]] == pytest.approx(k.time_s)
    assert np.all(np.diff(t) > 0)
    first = min(template.keyframes.values())
    # before the first keyframe the template runs at its own speed
    assert t[first] - t[0] == pytest.approx(first / template.fps)
    with pytest.raises(MotionDataError, match="none in common"):
        plots.template_time_on_athlete(template, [KeyframeOut(name="x", frame=1, time_s=0.1)])


@pytest.mark.parametrize(
    ("value", "low", "high", "status", "expect"),
    [(95.0, 80.0, 110.0, "ok", "inside"), (70.0, 80.0, 110.0, "low", "left"),
     (0.5, None, 0.3, "high", "right"), (None, 80.0, 110.0, "not_assessable", "none")],
    ids=["ok", "low", "high-open-band", "no-value"])
def test_metric_band_svg(value: float | None, low: float | None, high: float | None,
                         status: MetricStatus, expect: str) -> None:
    m = MetricResult(id="m", label="M <b>", value=value, unit="deg", target_low=low,
                     target_high=high, z=None, status=status)
    svg = plots.metric_band_svg(m, width=160)
    _check_html(svg)
    assert "M &lt;b&gt;" in svg
    rect = re.search(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    assert rect is not None
    b0, b1 = float(rect.group(1)), float(rect.group(1)) + float(rect.group(2))
    dot = re.search(r'<circle cx="([\d.]+)"', svg)
    if expect == "none":
        assert dot is None
        return
    assert dot is not None
    x = float(dot.group(1))
    assert {"inside": b0 <= x <= b1, "left": x < b0, "right": x > b1}[expect]
    assert f'fill="{plots.STATUS_COLOUR[status]}"' in svg


def test_ranked_findings_order() -> None:
    ids = [f.fault_id for f in ranked_findings(_report())]
    assert ids == ["stiff_landing", "shallow_countermovement"]


def test_render_import_is_cheap_and_plots_need_no_display(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "os.environ.pop('DISPLAY', None); os.environ.pop('MPLBACKEND', None)\n"
        "import sportsgpt.tools.kismam.render as r\n"
        "assert not [m for m in sys.modules if m.startswith('matplotlib')], 'eager matplotlib'\n"
        "from sportsgpt.tools.kismam.models import MetricResult\n"
        "m = MetricResult(id='a', label='A', value=1.0, unit='m', target_low=0.5,\n"
        "                 target_high=2.0, z=0.0, status='ok')\n"
        "from sportsgpt.tools.kismam.plots import plot_metric_bands\n"
        "assert plot_metric_bands([m]).startswith(b'\\x89PNG')\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MPLCONFIGDIR": str(tmp_path)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
