"""Render KISMAM assessment reports as JSON, Markdown and self-contained HTML.

Forms, stated once:

* **JSON** (:func:`render_json`): always ``{"repetitions": [report, ...]}``, one
  report per repetition found (none, one or several: the shape never depends on the
  count); each report has ``AssessmentReport``'s names (``movement``, ``fps``,
  ``n_frames``, ``keyframes``, ``phases``, ``metrics``, ``findings``, ``quality``...;
  schema of one report in ``docs/assessment.schema.json``, from
  :func:`assessment_schema_json`). :func:`parse_json` reads it back (and a bare report
  object, the form older versions wrote for one repetition).
* **Markdown** (:func:`render_markdown`): a coaching-style report per
  repetition: header with data-quality and confidence caveats, findings ranked
  by severity with rationale and evidence, the metric table (target band,
  status; not-assessable rows give their reason), keyframes and phases. With
  ``plots_dir`` it writes PNG plots there and links them (paths as given, so
  pass a directory relative to where the Markdown will be saved). The text is
  plain: it reads the same in a terminal and in a Markdown viewer (no HTML
  entities; only a ``<`` that would open an HTML tag and a ``|`` inside a table
  cell are backslash-escaped).
* **HTML** (:func:`render_html`): one page, no external assets and no
  scripts: inline CSS, plots as inline base64 PNG, the metric band of each
  row as inline SVG. All text is escaped with :func:`html.escape`.

Plots (:mod:`sportsgpt.tools.kismam.plots`, matplotlib imported lazily) need
data the report does not hold: joint-angle curves need the athlete's
``kinematics`` (``motion_channels`` output), the envelope needs the
``template``, stick figures need the athlete's ``motion``; the template's
figure needs an expert recording (``template_motion``), because a
:class:`~sportsgpt.tools.motiondtw.templates.Template` stores channels only.
Whatever is missing is said in the output instead of a plot. Data that does
not belong to the report (another duration, another movement's template)
raises :class:`ReportRenderError`.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pydantic import ValidationError

from sportsgpt.core.errors import MotionDataError, SportsGPTError
from sportsgpt.tools.kismam import plots as plotting
from sportsgpt.tools.kismam.models import AssessmentReport, Finding, MetricResult

if TYPE_CHECKING:
    from sportsgpt.tools.motion import AngleSequence, MotionSequence
    from sportsgpt.tools.motiondtw.templates import Template

SEVERITY_RANK: Final = {"severe": 3, "moderate": 2, "mild": 1, "none": 0}
TENTATIVE_BELOW: Final = 0.5
"""Findings with a confidence below this are marked tentative."""


class ReportRenderError(SportsGPTError, ValueError):
    """A report cannot be rendered or parsed (bad JSON, data that does not match it)."""


# --- JSON ---------------------------------------------------------------------------------
def render_json(reports: Sequence[AssessmentReport]) -> str:
    """Reports as JSON, always ``{"repetitions": [report, ...]}`` (whatever their number).

    Raises:
        ReportRenderError: a value is NaN or infinite (not representable in JSON).
    """
    data = {"repetitions": [r.model_dump(mode="json") for r in reports]}
    try:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError as exc:
        raise ReportRenderError(f"report holds a value JSON cannot represent: {exc}") from None


def parse_json(text: str) -> list[AssessmentReport]:
    """Reports from :func:`render_json`'s output (either form).

    Raises:
        ReportRenderError: not JSON, or not a valid report.
    """
    try:
        data = json.loads(text)
        if isinstance(data, dict) and set(data) == {"repetitions"}:
            items = data["repetitions"]
            if not isinstance(items, list):
                raise ReportRenderError("'repetitions' must be a list of reports")
            return [AssessmentReport.model_validate(x) for x in items]
        return [AssessmentReport.model_validate(data)]
    except json.JSONDecodeError as exc:
        raise ReportRenderError(f"not JSON: {exc}") from None
    except ValidationError as exc:
        raise ReportRenderError(f"not a valid assessment report: {exc}") from None


def assessment_schema_json() -> str:
    """The published JSON schema of one report (``docs/assessment.schema.json``'s content)."""
    return json.dumps(AssessmentReport.model_json_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(path: str | Path) -> None:
    """Write :func:`assessment_schema_json` to ``path``."""
    Path(path).write_text(assessment_schema_json(), encoding="utf-8")


# --- shared text helpers ------------------------------------------------------------------
def _num(v: float | None) -> str:
    return plotting.format_number(v)


def _pretty(name: str) -> str:
    return name.replace("_", " ")


def _movement_title(report: AssessmentReport) -> str:
    text = _pretty(report.movement)
    return text[:1].upper() + text[1:]


def _target(m: MetricResult) -> str:
    return plotting.target_text(m)


def _z(z: float | None) -> str:
    return "—" if z is None or not math.isfinite(z) else f"{z:+.1f}".replace("-", "−")


def _where(keyframe: str | None, frame: int | None) -> str:
    parts = []
    if keyframe:
        parts.append(_pretty(keyframe))
    if frame is not None:
        parts.append(f"frame {frame}")
    return ", ".join(parts) if parts else "—"


def measured_at(m: MetricResult) -> str:
    """Where a metric was measured, in words.

    A point metric: ``takeoff, frame 102``. A window metric: its ends and frames, and the
    frame the value comes from when one does: ``takeoff - 1 s to takeoff (frames 2-102),
    peak at frame 95``.
    """
    if m.window is None:
        return _where(m.keyframe, m.frame)
    text = f"{_pretty(m.window[0])} to {_pretty(m.window[1])}"
    if m.window_frames is not None:
        text += f" (frames {m.window_frames[0]}–{m.window_frames[1]})"
    if m.frame is not None:
        text += f", value from frame {m.frame}"
    return text


def _status(m: MetricResult) -> str:
    if m.status == "not_assessable":
        return f"not assessable: {m.reason}" if m.reason else "not assessable"
    return m.status


def ranked_findings(report: AssessmentReport) -> list[Finding]:
    """Faults found (severity above "none"), most severe first, then by score and confidence."""
    found = [f for f in report.findings if f.severity != "none"]
    return sorted(found, key=lambda f: (-SEVERITY_RANK[f.severity], -f.score, -f.confidence,
                                        f.fault_id))


def _evidence_lines(report: AssessmentReport, finding: Finding) -> list[str]:
    metrics = {m.id: m for m in report.metrics}
    out = []
    for e in finding.evidence:
        band = MetricResult(id=e.metric_id, label="", value=e.value, unit=e.unit,
                            target_low=e.target_low, target_high=e.target_high, z=e.z,
                            status="ok")
        metric = metrics.get(e.metric_id)
        where = measured_at(metric) if metric is not None else _where(e.keyframe, e.frame)
        label = metric.label if metric is not None else _pretty(e.metric_id)
        out.append(f"{label} = {_num(e.value)} {e.unit} (target {_target(band)}, "
                   f"z {_z(e.z)}) {'over' if metric and metric.window else 'at'} {where}")
    return out


def caveats(report: AssessmentReport) -> list[str]:
    """Plain-language caveats on data quality and confidence, for the report header."""
    q = report.quality
    out = []
    if report.movement_confidence is not None:
        out.append(f"The movement was recognised automatically "
                   f"(confidence {report.movement_confidence:.0%}).")
    view = "3D" if q.dim == 3 else f"2D ({q.view or 'unknown'} view)" if q.dim == 2 else (
        "unknown dimension")
    noise = (f", joint-angle noise from position jitter about {q.angle_noise_deg:.1f}°"
             if q.angle_noise_deg is not None and q.angle_noise_deg >= 0.05 else "")
    out.append(f"Data: {view}, {q.missing_pct:.1f} % of samples missing{noise}.")
    if q.match_quality is not None:
        out.append(f"Match to the expert template: {q.match_quality:.2f} "
                   "(1 = identical; lower means keyframes placed with less certainty).")
    na = [m for m in report.metrics if m.status == "not_assessable"]
    if na:
        out.append(f"{len(na)} of {len(report.metrics)} metrics could not be assessed "
                   "(reasons in the metric table).")
    if any(f.confidence < TENTATIVE_BELOW for f in ranked_findings(report)):
        out.append(f"Findings with confidence below {TENTATIVE_BELOW:.0%} are marked "
                   "tentative.")
    out += list(q.notes) + list(report.notes)
    return list(dict.fromkeys(out))  # the same note can reach a report twice


# --- plots --------------------------------------------------------------------------------
@dataclass
class _Plot:
    key: str
    heading: str
    png: bytes | None
    caption: str
    notes: list[str] = field(default_factory=list)


def _check_matches(report: AssessmentReport, n_frames: int, fps: float, what: str) -> None:
    tol = 1.0 / min(fps, report.fps) + 1e-9
    if abs(n_frames / fps - report.n_frames / report.fps) > tol:
        raise ReportRenderError(
            f"the {what} lasts {n_frames / fps:.3f} s ({n_frames} frames at {fps:g} fps) but "
            f"the report's recording {report.n_frames / report.fps:.3f} s: not the same "
            "recording")


def _angle_plot(report: AssessmentReport, kinematics: AngleSequence | None,
                template: Template | None, title: str) -> _Plot:
    heading = "Joint angles"
    if kinematics is None:
        return _Plot("angles", heading, None, "Not drawn: no kinematics were given.")
    _check_matches(report, kinematics.n_frames, kinematics.fps, "kinematics")
    try:
        png = plotting.plot_angle_curves(kinematics, report.keyframes, template=template,
                                      title=title)
    except MotionDataError as exc:
        return _Plot("angles", heading, None, f"Not drawn: {exc}.")
    env = (f"shaded: template version {template.version} mean ± 1 SD of its experts, mapped onto "
           "the athlete's time piecewise-linearly between corresponding keyframes"
           if template is not None else "no template given, so no expert envelope")
    return _Plot("angles", heading, png,
                 f"Athlete's joint angles (solid; blue left, red right); {env}; dashed "
                 "lines: keyframes.")


def _stick_plot(report: AssessmentReport, motion: MotionSequence | None,
                template: Template | None, template_motion: MotionSequence | None,
                title: str) -> _Plot:
    heading = "Posture at the keyframes"
    if motion is None:
        return _Plot("stick", heading, None,
                     "Not drawn: no joint positions were given (kinematics alone have none).")
    _check_matches(report, motion.n_frames, motion.fps, "motion")
    notes: list[str] = []
    tkf: dict[str, int] | None = None
    if template_motion is not None:
        if template is None:
            raise ReportRenderError("template_motion needs the template (for its keyframes)")
        tkf, how = plotting.template_motion_keyframes(template, template_motion, report.movement)
        name = template_motion.source_path.name if template_motion.source_path else "(unnamed)"
        notes.append(f"Grey: expert recording {name} at {how}, shifted onto the athlete's "
                     "pelvis, not rescaled.")
    else:
        notes.append("Athlete only: the template stores joint-angle channels, not positions, "
                     "and no expert recording was given.")
    try:
        png, plot_notes = plotting.plot_stick_figures(
            motion, report.keyframes, template_motion=template_motion,
            template_keyframes=tkf, title=title)
    except MotionDataError as exc:
        return _Plot("stick", heading, None, f"Not drawn: {exc}.")
    return _Plot("stick", heading, png,
                 "Sagittal plane (x forward, y up, ground at 0); blue left, red right.",
                 notes + plot_notes)


def _report_plots(report: AssessmentReport, kinematics: AngleSequence | None,
                  template: Template | None, motion: MotionSequence | None,
                  template_motion: MotionSequence | None) -> list[_Plot]:
    if template is not None and template.movement != report.movement:
        raise ReportRenderError(f"the template is for {template.movement!r}, the report for "
                                f"{report.movement!r}")
    title = f"{_movement_title(report)}, repetition {report.repetition}"
    out = [_angle_plot(report, kinematics, template, title),
           _stick_plot(report, motion, template, template_motion, title)]
    if report.phases or report.keyframes:
        out.append(_Plot("phases", "Phases", plotting.plot_phase_timeline(
            report.phases, report.keyframes, report.fps, title=title),
            "Phases between keyframes on the recording's time axis."))
    return out


# --- Markdown -----------------------------------------------------------------------------
_HTML_OPENING: Final = re.compile(r"<(?=[A-Za-z/!?])")
"""A ``<`` that a Markdown viewer would take for the start of an HTML tag (``<b``, ``</``)."""


def _md(text: str) -> str:
    """Plain text for Markdown prose: reads the same in a terminal and in a viewer.

    No HTML entities: only a ``<`` that would open a tag is backslash-escaped (``a < b``
    stays as it is), and line breaks become spaces.
    """
    return _HTML_OPENING.sub(r"\\<", text).replace("\n", " ")


def _cell(text: str) -> str:
    """:func:`_md` for a table cell: a ``|`` would end the cell, so it is escaped."""
    return _md(text).replace("|", "\\|")


def _md_report(report: AssessmentReport, level: int, plots: list[_Plot] | None,
               plots_dir: Path | None, total: int) -> list[str]:
    h = "#" * level
    rep = f", repetition {report.repetition} of {total}" if total > 1 else ""
    lines = [f"{h} {_md(_movement_title(report))}{_md(rep)}", ""]
    lines.append(f"- **File:** {_md(report.source or 'not given')}")
    lines.append(f"- **Frames:** {report.n_frames} at {report.fps:g} fps "
                 f"({report.n_frames / report.fps:.2f} s)")
    if report.template_version:
        lines.append(f"- **Template:** version {_md(report.template_version)}")
    lines += [f"- {_md(c)}" for c in caveats(report)] + ["", f"{h}# Findings", ""]
    found = ranked_findings(report)
    if not found:
        lines.append("No fault found in the metrics that could be assessed.")
    for i, f in enumerate(found, 1):
        tent = ", tentative" if f.confidence < TENTATIVE_BELOW else ""
        lines.append(f"{i}. **{_md(f.label)}** ({f.severity}, confidence "
                     f"{f.confidence:.0%}{tent}): {_md(f.rationale)}")
        lines += [f"   - Evidence: {_md(e)}" for e in _evidence_lines(report, f)]
        if f.magnitude:
            lines.append(f"   - Size: {_md(f.magnitude)}")
        if f.reference:
            lines.append(f"   - Target from: {_md(f.reference)}")
        if f.source_ids:
            lines.append(f"   - Sources: {_md(', '.join(f.source_ids))}")
    clean = [f.label for f in report.findings if f.severity == "none"]
    if clean:
        lines += ["", f"Checked without fault: {_md(', '.join(clean))}."]
    lines += ["", f"{h}# Metrics", ""]
    if report.metrics:
        lines += ["| Metric | Value | Target | z | Status | Measured at | Target source |",
                  "|---|---:|---|---:|---|---|---|"]
        for m in report.metrics:
            value = "—" if m.value is None else f"{_num(m.value)} {m.unit}"
            lines.append(f"| {_cell(m.label)} | {_cell(value)} | {_cell(_target(m))} | "
                         f"{_z(m.z)} | {_cell(_status(m))} | {_cell(measured_at(m))} | "
                         f"{_cell(m.target_basis)} |")
    else:
        lines.append("No metrics.")
    lines += ["", f"{h}# Keyframes and phases", ""]
    if report.keyframes:
        lines += ["| Keyframe | Frame | Time (s) | Method |", "|---|---:|---:|---|"]
        lines += [f"| {_cell(_pretty(k.name))} | {k.frame} | {k.time_s:.3f} | {k.method} |"
                  for k in report.keyframes]
        lines.append("")
    if report.phases:
        lines += ["| Phase | Frames | Duration (s) |", "|---|---|---:|"]
        lines += [f"| {_cell(_pretty(p.name))} | {p.start_frame}–{p.end_frame} | "
                  f"{p.duration_s:.3f} |" for p in report.phases]
        lines.append("")
    if plots is not None and plots_dir is not None:
        lines += _md_plots(report, plots, plots_dir, h)
    return lines


def _md_plots(report: AssessmentReport, plots: list[_Plot], plots_dir: Path,
              h: str) -> list[str]:
    lines = [f"{h}# Plots", ""]
    stem = f"{report.movement}_rep{report.repetition}"
    if report.metrics:
        plots = [*plots, _Plot("metrics", "Metrics against their targets",
                               plotting.plot_metric_bands(report.metrics),
                               "Green: target band; dot: value (green ok, red out of band).")]
    for p in plots:
        lines.append(f"**{_md(p.heading)}.** {_md(p.caption)}")
        if p.notes:
            lines += ["", *[f"- {_md(n)}" for n in p.notes]]
        if p.png is not None:
            path = plots_dir / f"{stem}_{p.key}.png"
            path.write_bytes(p.png)
            lines += ["", f"![{_md(p.heading)}]({path.as_posix()})"]
        lines.append("")
    return lines


def render_markdown(reports: Sequence[AssessmentReport], *, plots_dir: Path | None = None,
                    kinematics: AngleSequence | None = None, template: Template | None = None,
                    motion: MotionSequence | None = None,
                    template_motion: MotionSequence | None = None) -> str:
    """A readable, coaching-style Markdown report (see the module docstring).

    Args:
        reports: one report per repetition (may be empty: "no repetition").
        plots_dir: where to write PNG plots (created if needed); None: no plots.
        kinematics: the athlete's channels, for joint-angle curves.
        template: the movement template, for the expert envelope.
        motion: the athlete's recording, for stick figures.
        template_motion: an expert recording, drawn behind the athlete.

    Raises:
        ReportRenderError: data that does not belong to the reports.
    """
    if not reports:
        return "# Movement assessment\n\nNo repetition of the movement was found.\n"
    if plots_dir is not None:
        plots_dir.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    level = 1
    if len(reports) > 1:
        lines += [f"# {_md(_movement_title(reports[0]))}: {len(reports)} repetitions", ""]
        level = 2
    for r in reports:
        plots = (_report_plots(r, kinematics, template, motion, template_motion)
                 if plots_dir is not None else None)
        lines += _md_report(r, level, plots, plots_dir, len(reports))
    return "\n".join(lines).rstrip("\n") + "\n"


# --- HTML ---------------------------------------------------------------------------------
CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
color:#1d1d1f;background:#f6f7f9;line-height:1.45}
main{max-width:1120px;margin:0 auto;padding:24px}
section.report{background:#fff;border:1px solid #e2e4e8;border-radius:8px;padding:20px 24px;
margin-bottom:28px}
h1{font-size:1.6em;margin:0 0 16px}h2{font-size:1.3em;margin:0 0 8px}
h3{font-size:1.08em;margin:22px 0 8px;border-bottom:1px solid #eee;padding-bottom:4px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0 0 10px}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
ul.caveats{background:#fff8e6;border-left:4px solid #f0b429;padding:8px 12px 8px 28px;
margin:8px 0}
ol.findings{padding-left:22px}ol.findings li{margin-bottom:10px}
.sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:.85em;color:#fff}
.sev-severe{background:#b42318}.sev-moderate{background:#dc6803}.sev-mild{background:#ca8a04}
.tentative{color:#6b7280;font-style:italic}
ul.evidence{margin:4px 0;color:#374151;font-size:.93em}
table{border-collapse:collapse;width:100%;font-size:.92em;margin:6px 0 12px}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:middle}
th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.status-low td.st,tr.status-high td.st{color:#b42318;font-weight:600}
tr.status-ok td.st{color:#15803d}tr.status-not_assessable td{color:#6b7280}
figure{margin:8px 0 16px}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.88em;color:#4b5563}p.noplot{color:#6b7280;font-style:italic}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _html_findings(report: AssessmentReport) -> list[str]:
    found = ranked_findings(report)
    if not found:
        return ["<p>No fault found in the metrics that could be assessed.</p>"]
    out = ['<ol class="findings">']
    for f in found:
        tent = (' <span class="tentative">(tentative)</span>'
                if f.confidence < TENTATIVE_BELOW else "")
        out.append(f'<li><strong>{_e(f.label)}</strong> <span class="sev sev-{_e(f.severity)}">'
                   f"{_e(f.severity)}</span> confidence {f.confidence:.0%}{tent}"
                   f"<br>{_e(f.rationale)}")
        ev = _evidence_lines(report, f)
        if ev:
            out.append('<ul class="evidence">' + "".join(f"<li>{_e(x)}</li>" for x in ev)
                       + "</ul>")
        if f.magnitude or f.reference:
            out.append("<br><small>" + "; ".join(
                _e(x) for x in (f"size: {f.magnitude}" if f.magnitude else "",
                                f"target from: {f.reference}" if f.reference else "") if x)
                       + "</small>")
        if f.source_ids:
            out.append(f"<small>Sources: {_e(', '.join(f.source_ids))}</small>")
        out.append("</li>")
    out.append("</ol>")
    clean = [f.label for f in report.findings if f.severity == "none"]
    if clean:
        out.append(f"<p>Checked without fault: {_e(', '.join(clean))}.</p>")
    return out


def _html_metrics(report: AssessmentReport) -> list[str]:
    if not report.metrics:
        return ["<p>No metrics.</p>"]
    out = ['<table class="metrics"><thead><tr><th>Metric</th><th>Value</th><th>Target</th>'
           "<th>Band</th><th>z</th><th>Status</th><th>Measured at</th><th>Target source</th>"
           "</tr></thead><tbody>"]
    for m in report.metrics:
        value = "—" if m.value is None else f"{_num(m.value)} {m.unit}"
        out.append(f'<tr class="status-{_e(m.status)}"><td>{_e(m.label)}</td>'
                   f'<td class="num">{_e(value)}</td><td>{_e(_target(m))}</td>'
                   f"<td>{plotting.metric_band_svg(m)}</td><td class=\"num\">{_e(_z(m.z))}</td>"
                   f'<td class="st">{_e(_status(m))}</td><td>{_e(measured_at(m))}'
                   f"</td><td>{_e(m.target_basis)}</td></tr>")
    out.append("</tbody></table>")
    return out


def _html_plot(p: _Plot) -> list[str]:
    out = [f"<h3>{_e(p.heading)}</h3>"]
    if p.png is None:
        return [*out, f'<p class="noplot">{_e(p.caption)}</p>']
    data = base64.b64encode(p.png).decode("ascii")
    notes = "".join(f"<br>{_e(n)}" for n in p.notes)
    return [*out, f'<figure><img src="data:image/png;base64,{data}" alt="{_e(p.heading)}">'
                  f"<figcaption>{_e(p.caption)}{notes}</figcaption></figure>"]


def _html_tables(report: AssessmentReport) -> list[str]:
    out = []
    if report.keyframes:
        out.append("<table><thead><tr><th>Keyframe</th><th>Frame</th><th>Time (s)</th>"
                   "<th>Method</th></tr></thead><tbody>")
        out += [f'<tr><td>{_e(_pretty(k.name))}</td><td class="num">{k.frame}</td>'
                f'<td class="num">{k.time_s:.3f}</td><td>{_e(k.method)}</td></tr>'
                for k in report.keyframes]
        out.append("</tbody></table>")
    if report.phases:
        out.append("<table><thead><tr><th>Phase</th><th>Frames</th><th>Duration (s)</th>"
                   "</tr></thead><tbody>")
        out += [f"<tr><td>{_e(_pretty(p.name))}</td><td>{p.start_frame}–{p.end_frame}</td>"
                f'<td class="num">{p.duration_s:.3f}</td></tr>' for p in report.phases]
        out.append("</tbody></table>")
    return out or ["<p>No keyframes.</p>"]


def _html_report(report: AssessmentReport, plots: list[_Plot], total: int) -> list[str]:
    rep = f", repetition {report.repetition} of {total}" if total > 1 else ""
    out = [f'<section class="report" id="rep-{report.repetition}">',
           f"<h2>{_e(_movement_title(report) + rep)}</h2>", '<dl class="meta">',
           f"<dt>File</dt><dd>{_e(report.source or 'not given')}</dd>",
           f"<dt>Frames</dt><dd>{report.n_frames} at {report.fps:g} fps "
           f"({report.n_frames / report.fps:.2f} s)</dd>"]
    if report.template_version:
        out.append(f"<dt>Template</dt><dd>version {_e(report.template_version)}</dd>")
    out.append("</dl>")
    out.append('<ul class="caveats">' + "".join(f"<li>{_e(c)}</li>" for c in caveats(report))
               + "</ul>")
    out += ["<h3>Findings</h3>", *_html_findings(report), "<h3>Metrics</h3>",
            *_html_metrics(report)]
    by_key = {p.key: p for p in plots}
    out += _html_plot(by_key["angles"]) + _html_plot(by_key["stick"])
    out += ["<h3>Keyframes and phases</h3>", *_html_tables(report)]
    if "phases" in by_key:
        data = by_key["phases"].png
        assert data is not None
        out.append(f'<figure><img src="data:image/png;base64,'
                   f'{base64.b64encode(data).decode("ascii")}" alt="Phases">'
                   f"<figcaption>{_e(by_key['phases'].caption)}</figcaption></figure>")
    out.append("</section>")
    return out


def render_html(reports: Sequence[AssessmentReport], *, kinematics: AngleSequence | None = None,
                template: Template | None = None, motion: MotionSequence | None = None,
                template_motion: MotionSequence | None = None) -> str:
    """A self-contained HTML page (inline CSS and images, no scripts; see the module docstring).

    Args:
        reports: one report per repetition (may be empty: "no repetition").
        kinematics: the athlete's channels, for joint-angle curves.
        template: the movement template, for the expert envelope.
        motion: the athlete's recording, for stick figures.
        template_motion: an expert recording, drawn behind the athlete.

    Raises:
        ReportRenderError: data that does not belong to the reports.
    """
    title = (f"{_movement_title(reports[0])} assessment" if reports
             else "Movement assessment")
    body: list[str] = [f"<h1>{_e(title)}</h1>"]
    if not reports:
        body.append("<p>No repetition of the movement was found.</p>")
    for r in reports:
        plots = _report_plots(r, kinematics, template, motion, template_motion)
        body += _html_report(r, plots, len(reports))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")
