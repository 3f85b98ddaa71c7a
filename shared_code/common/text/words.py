"""Words as carriers and flows see them: a body normalised (NFKC, invisible characters out,
punctuation and symbols trimmed, upper case) before keywords or trigger filters are matched."""

from __future__ import annotations

import unicodedata

# Unicode categories trimmed around a word: punctuation, symbols (emoji too), separators, controls
_TRIMMED = ("P", "S", "Z", "C")


def trim(word: str) -> str:
    start, end = 0, len(word)
    while start < end and (word[start].isspace() or unicodedata.category(word[start])[0] in _TRIMMED):
        start += 1
    while end > start and (word[end - 1].isspace() or unicodedata.category(word[end - 1])[0] in _TRIMMED):
        end -= 1
    return word[start:end]


def normalise(body: str | None) -> str:
    """The body as keywords are matched: NFKC, invisible characters out, trimmed, upper case."""
    text = unicodedata.normalize("NFKC", body or "")
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return trim(text).upper()


def first_word(body: str | None) -> str:
    """The first word, normalised as keywords are ("Join!" is JOIN): trigger keyword filters."""
    parts = normalise(body).split()
    return trim(parts[0]) if parts else ""
