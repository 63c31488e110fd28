"""Shared mutations for the readers' property-based fuzz tests."""

from __future__ import annotations

from hypothesis import strategies as st


def flip_bytes(raw: bytes, data: st.DataObject, most: int = 8) -> bytes:
    """``raw`` with 1 to ``most`` bytes at drawn positions set to drawn values."""
    out = bytearray(raw)
    for _ in range(data.draw(st.integers(1, most))):
        out[data.draw(st.integers(0, len(out) - 1))] = data.draw(st.integers(0, 255))
    return bytes(out)


def replace_cell(text: str, line: int, col: int, token: str, sep: str = "\t") -> str:
    """``text`` with cell ``col`` (clamped to the line's last) of ``line`` set to ``token``."""
    lines = text.split("\n")
    cells = lines[line].split(sep)
    cells[min(col, len(cells) - 1)] = token
    lines[line] = sep.join(cells)
    return "\n".join(lines)
