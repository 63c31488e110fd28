"""Qwen3 output parsing: thinking blocks and hermes <tool_call> blocks, on canned outputs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sportsgpt.agents.llm.qwen_format import parse_tool_calls, split_thinking


@pytest.mark.parametrize(("text", "thinking", "visible"), [
    ("<think>\nThe knee caves in.\n</think>\n\nPush the knees out.",
     "The knee caves in.", "Push the knees out."),
    ("<think>\n\n</think>\n\nHello coach.", None, "Hello coach."),
    ("Plain answer, no reasoning.", None, "Plain answer, no reasoning."),
    ("<think>\nFirst I look at depth, then", "First I look at depth, then", ""),
    ("<think>a</think>mid<think>b</think>end", "a\n\nb", "midend"),
    ("pre-filled opening tag\n</think>\n\nAnswer", "pre-filled opening tag", "Answer"),
    ("", None, ""),
    ("<think>\nplan\n</think>\n\nAnswer <think>\ncut off", "plan\n\ncut off", "Answer"),
], ids=["closed", "empty-thinking-off", "none", "unclosed-truncated", "several-blocks",
        "lone-close-tag", "empty-text", "closed-then-unclosed"])
def test_split_thinking(text: str, thinking: str | None, visible: str) -> None:
    assert split_thinking(text) == (thinking, visible)


@pytest.mark.parametrize(("text", "content", "calls"), [
    ('<tool_call>\n{"name": "kg_lookup", "arguments": {"fault_id": "knee_valgus"}}\n'
     "</tool_call>", "", [("kg_lookup", {"fault_id": "knee_valgus"})]),
    ('Let me check.\n<tool_call>\n{"name": "qa_search", "arguments": {"query": "depth"}}\n'
     '</tool_call>\n<tool_call>\n{"name": "kg_lookup", "arguments": {"fault_id": "x"}}\n'
     "</tool_call>", "Let me check.",
     [("qa_search", {"query": "depth"}), ("kg_lookup", {"fault_id": "x"})]),
    ('<tool_call>   \n\n {"name":"a","arguments":{}}  \n\t</tool_call>', "", [("a", {})]),
    ('<tool_call>\n```json\n{"name": "a", "arguments": {"k": 1}}\n```\n</tool_call>', "",
     [("a", {"k": 1})]),
    ('<tool_call>\n```\n{"name": "a", "arguments": {"k": 1}}\n```\n</tool_call>', "",
     [("a", {"k": 1})]),
    ('<tool_call>{"name": "a", "arguments": "{\\"k\\": [1, 2]}"}</tool_call>', "",
     [("a", {"k": [1, 2]})]),
    ('<tool_call>{"name": "list_movements"}</tool_call>', "", [("list_movements", {})]),
    ('<tool_call>{"name": "a", "arguments": ""}</tool_call>', "", [("a", {})]),
    ('<tool_call>\n{"name": "a", "arguments": {}}\n{"name": "b", "arguments": {"x": 2}}\n'
     "</tool_call>", "", [("a", {}), ("b", {"x": 2})]),
    ('<tool_call>[{"name": "a", "arguments": {}}, {"name": "b", "arguments": {}}]</tool_call>',
     "", [("a", {}), ("b", {})]),
    ("No tools needed: bend the knees more.", "No tools needed: bend the knees more.", []),
    ('<tool_call>{"name": "a", "arguments": {"note": "uses </think> and é"}}</tool_call> after',
     "after", [("a", {"note": "uses </think> and é"})]),
], ids=["single", "two-with-text", "whitespace", "json-fence", "bare-fence", "string-arguments",
        "no-arguments", "empty-string-arguments", "two-objects-one-block", "list-in-block",
        "no-call", "unicode-and-tags-in-arguments"])
def test_valid_calls(text: str, content: str, calls: list[tuple[str, dict[str, object]]]) -> None:
    parsed = parse_tool_calls(text)
    assert parsed.content == content
    assert [(c.name, c.arguments) for c in parsed.calls] == calls
    assert parsed.invalid == []


@pytest.mark.parametrize(("text", "name", "error"), [
    ('<tool_call>{"name": "a", "arguments": {"k": 1}</tool_call>', "a", "invalid JSON"),
    ("<tool_call>not json at all</tool_call>", None, "invalid JSON"),
    ('<tool_call>{"arguments": {"k": 1}}</tool_call>', None, "missing or empty 'name'"),
    ('<tool_call>{"name": "", "arguments": {}}</tool_call>', None, "missing or empty 'name'"),
    ('<tool_call>{"name": 3, "arguments": {}}</tool_call>', None, "missing or empty 'name'"),
    ('<tool_call>{"name": "a", "arguments": [1, 2]}</tool_call>', "a", "must be a JSON object"),
    ('<tool_call>{"name": "a", "arguments": "k=1"}</tool_call>', "a", "string that is not JSON"),
    ('<tool_call>{"name": "a", "arguments": "[1]"}</tool_call>', "a", "must be a JSON object"),
    ("<tool_call>\n\n</tool_call>", None, "empty <tool_call> block"),
    ('<tool_call>"just a string"</tool_call>', None, "expected a JSON object"),
    ('<tool_call>\n{"name": "a", "argum', "a", "unclosed <tool_call> block"),
    ('<tool_call>{"name": "a", "arguments": {}} trailing</tool_call>', "a", "invalid JSON"),
], ids=["bad-json", "not-json", "missing-name", "empty-name", "name-not-string",
        "arguments-list", "arguments-string-not-json", "arguments-string-list", "empty-block",
        "not-an-object", "unclosed-truncated", "trailing-garbage"])
def test_invalid_calls(text: str, name: str | None, error: str) -> None:
    parsed = parse_tool_calls(text)
    assert parsed.calls == []
    assert len(parsed.invalid) == 1
    bad = parsed.invalid[0]
    assert bad.name == name
    assert error in bad.error
    assert bad.raw == bad.raw.strip() and bad.raw in text
    assert bad.id.startswith("call_0_")


def test_valid_and_invalid_in_one_message_keep_order_and_text() -> None:
    text = ('Looking up two things.<tool_call>{"name": "a", "arguments": {}}</tool_call>'
            '<tool_call>{"name": "b", "arguments": 5}</tool_call>'
            '<tool_call>{"name": "c", "arguments": {"z": true}}</tool_call>')
    parsed = parse_tool_calls(text)
    assert parsed.content == "Looking up two things."
    assert [c.name for c in parsed.calls] == ["a", "c"]
    assert [c.id.split("_")[1] for c in parsed.calls] == ["0", "2"]
    assert [(b.name, b.id.split("_")[1]) for b in parsed.invalid] == [("b", "1")]


def test_ids_are_stable_and_distinct() -> None:
    text = ('<tool_call>{"name": "a", "arguments": {"k": 1}}</tool_call>'
            '<tool_call>{"name": "a", "arguments": {"k": 1}}</tool_call>')
    first, second = parse_tool_calls(text), parse_tool_calls(text)
    ids = [c.id for c in first.calls]
    assert ids == [c.id for c in second.calls]
    assert len(set(ids)) == 2
    assert all(i.startswith("call_") and len(i.split("_")[2]) == 8 for i in ids)


def test_thinking_then_calls_hides_calls_made_only_in_reasoning() -> None:
    text = ('<think>\nMaybe <tool_call>{"name": "wrong", "arguments": {}}</tool_call>\n</think>'
            '\n\n<tool_call>{"name": "right", "arguments": {}}</tool_call>')
    thinking, visible = split_thinking(text)
    assert thinking is not None and "wrong" in thinking
    assert [c.name for c in parse_tool_calls(visible).calls] == ["right"]


def test_import_is_light() -> None:
    code = ("import sys, sportsgpt.agents.llm.qwen_format\n"
            "print(','.join(m for m in ('torch', 'transformers', 'langchain_core') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == ""


def test_name_inside_arguments_is_not_taken_for_the_tool_name() -> None:
    parsed = parse_tool_calls('<tool_call>{"arguments": {"name": "athlete"}}</tool_call>')
    assert parsed.invalid[0].name is None
