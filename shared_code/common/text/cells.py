"""Spreadsheet cells of the CSV files the app writes: a cell that starts like a formula is run
by Excel or Sheets when the file is opened (CSV injection), so every export quotes it with a
leading apostrophe, and the contacts import takes that apostrophe off again."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text."""
    return "'" + value if value.startswith(FORMULA_START) else value
