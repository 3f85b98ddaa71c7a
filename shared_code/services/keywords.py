"""Carrier keywords (Twilio's defaults): the whole body, one word, trimmed, any case."""

from __future__ import annotations

from ..models.inbound import HELP, OPT_IN, OPT_OUT

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Twilio Advanced Opt-Out sends OptOutType=STOP|START|HELP (also for custom keywords it matched)
OPT_OUT_TYPES = {"STOP": OPT_OUT, "START": OPT_IN, "HELP": HELP}


def classify(body: str | None, opt_out_type: str | None = None) -> tuple[str, str]:
    """(keyword, action) — ("", "") for an ordinary text. Twilio's OptOutType wins: it may
    have matched a custom keyword we do not know."""
    word = (body or "").strip()
    single = bool(word) and not any(c.isspace() for c in word)
    upper = word.upper() if single else ""
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
    parts = (body or "").split()
    return parts[0].upper() if parts else ""
