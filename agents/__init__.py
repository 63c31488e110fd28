"""LangGraph agent on Qwen3 that wires the deterministic tools together (issue: agent)."""
