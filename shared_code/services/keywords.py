"""Carrier keywords (Twilio's defaults): the whole body, one word, any case.

A phone keyboard, a copy-paste or an auto-correct dresses a "stop" up: "STOP.", "Stop!",
full-width "ＳＴＯＰ", a zero-width space after it. Carriers and the FCC's 2024 revocation rule
expect any reasonable "stop" to work, so a body is normalised before matching: Unicode NFKC
(full-width and other compatibility forms become plain letters), invisible format characters
(zero-width spaces and joiners, BOM, direction marks, soft hyphens) removed, and punctuation,
symbols and spaces around it trimmed. What remains must still be one word: "stop texting me"
is an ordinary text, as with Twilio."""

from __future__ import annotations

import unicodedata

from ..models.inbound import HELP, OPT_IN, OPT_OUT

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Twilio Advanced Opt-Out sends OptOutType=STOP|START|HELP (also for custom keywords it matched)
OPT_OUT_TYPES = {"STOP": OPT_OUT, "START": OPT_IN, "HELP": HELP}
# Unicode categories trimmed around a word: punctuation, symbols (emoji too), separators, controls
_TRIMMED = ("P", "S", "Z", "C")


def _trim(word: str) -> str:
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
    return _trim(text).upper()


def classify(body: str | None, opt_out_type: str | None = None) -> tuple[str, str]:
    """(keyword, action) — ("", "") for an ordinary text. Twilio's OptOutType wins: it may
    have matched a custom keyword we do not know."""
    word = normalise(body)
    upper = word if word and not any(c.isspace() for c in word) else ""
    action = ""
    if upper in OPT_OUT_WORDS:
        action = OPT_OUT
    elif upper in OPT_IN_WORDS:
        action = OPT_IN
    elif upper in HELP_WORDS:
        action = HELP
    twilio = OPT_OUT_TYPES.get((opt_out_type or "").strip().upper())
    if twilio:
        return (upper if action == twilio else (opt_out_type or "").strip().upper()), twilio
    return (upper, action) if action else ("", "")


def first_word(body: str | None) -> str:
    """The first word, normalised as keywords are ("Join!" is JOIN): trigger keyword filters."""
    parts = normalise(body).split()
    return _trim(parts[0]) if parts else ""
