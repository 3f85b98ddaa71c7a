"""Carrier keywords (Twilio's defaults): the whole body, one word, any case.

A phone keyboard, a copy-paste or an auto-correct dresses a "stop" up: "STOP.", "Stop!",
full-width "ＳＴＯＰ", a zero-width space after it. Carriers and the FCC's 2024 revocation rule
expect any reasonable "stop" to work, so a body is normalised before matching: Unicode NFKC
(full-width and other compatibility forms become plain letters), invisible format characters
(zero-width spaces and joiners, BOM, direction marks, soft hyphens) removed, and punctuation,
symbols and spaces around it trimmed. What remains must still be one word: "stop texting me"
is an ordinary text, as with Twilio."""

from __future__ import annotations

from ..common.text.words import normalise
from .models import HELP, OPT_IN, OPT_OUT

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Twilio Advanced Opt-Out sends OptOutType=STOP|START|HELP (also for custom keywords it matched)
OPT_OUT_TYPES = {"STOP": OPT_OUT, "START": OPT_IN, "HELP": HELP}


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
