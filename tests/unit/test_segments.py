"""Segment counting must match Twilio's billing to the unit: each boundary is pinned here."""

import pytest

from shared_code.common.errors import Unprocessable, ValidationFailed
from shared_code.common.text.segments import (GSM_BASIC, GSM_EXTENSION, MAX_BODY_CHARS, SegmentInfo, check_body,
                                              count_segments)

EMOJI = "\U0001F600"  # 😀, outside the BMP: a surrogate pair (2 UTF-16 units)


def test_gsm_table_has_exactly_the_03_38_characters():
    assert len(GSM_BASIC) == 127  # 128 codes minus the escape
    assert "\x1b" not in GSM_BASIC
    listed = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ" " !\"#¤%&'()*+,-./:;<=>?" "¡ÄÖÑÜ§¿äöñüà"
    for char in listed:
        assert char in GSM_BASIC, repr(char)
    assert set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") <= GSM_BASIC
    assert GSM_EXTENSION == frozenset("\f^{}\\[~]|€")
    assert not GSM_BASIC & GSM_EXTENSION


@pytest.mark.parametrize("char", list(GSM_BASIC))
def test_every_basic_character_costs_one_septet(char):
    info = count_segments(char * 160)
    assert (info.encoding, info.segments, info.units) == ("GSM-7", 1, 160)


@pytest.mark.parametrize("char", list(GSM_EXTENSION))
def test_every_extension_character_costs_two_septets(char):
    info = count_segments(char)
    assert (info.encoding, info.units, info.characters) == ("GSM-7", 2, 1)
    assert count_segments(char * 80).segments == 1
    assert count_segments(char * 80 + "a").segments == 2


def test_empty_body_is_zero_segments():
    assert count_segments("") == SegmentInfo("GSM-7", 0, 0, 0, ())


@pytest.mark.parametrize(("length", "segments"), [
    (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4), (1600, 11),
])
def test_gsm_boundaries(length, segments):
    info = count_segments("a" * length)
    assert (info.encoding, info.segments, info.units, info.characters) == (
        "GSM-7", segments, length, length)


def test_euro_costs_two_and_can_tip_a_single_segment_over():
    assert count_segments("a" * 158 + "€").units == 160
    assert count_segments("a" * 158 + "€").segments == 1
    over = count_segments("a" * 159 + "€")
    assert (over.units, over.characters, over.segments) == (161, 160, 2)


def test_escape_pair_is_never_split_across_parts():
    # 152 septets + "[" would straddle septets 153/154: it moves to part 2.
    # Units 152 + 2 + 152 = 306 fit 2×153 by sum, but the padding forces a third part.
    body = "a" * 152 + "[" + "a" * 152
    info = count_segments(body)
    assert info.units == 306
    assert info.segments == 3
    # With the escape pair fully inside part 1, the same total is 2 parts.
    aligned = "a" * 151 + "[" + "a" * 153
    assert count_segments(aligned).units == 306
    assert count_segments(aligned).segments == 2


def test_exactly_two_full_gsm_parts():
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3
    # 153 "{" are 306 septets, but pairs fill only 152 of each 153-septet part: 76 + 76 + 1.
    assert count_segments("{" * 153).units == 306
    assert count_segments("{" * 153).segments == 3


@pytest.mark.parametrize(("length", "segments"), [
    (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4),
])
def test_ucs2_boundaries(length, segments):
    info = count_segments("ç" + "a" * (length - 1))
    assert (info.encoding, info.segments, info.units) == ("UCS-2", segments, length)


def test_emoji_costs_two_units_and_is_never_split():
    assert count_segments(EMOJI * 35) == SegmentInfo("UCS-2", 1, 70, 35, (EMOJI,))
    assert count_segments(EMOJI * 35 + "a").segments == 2
    # 66 units then an emoji that would straddle units 67/68: it moves to part 2.
    straddle = count_segments("a" * 66 + EMOJI + "a" * 66)
    assert (straddle.units, straddle.characters) == (134, 133)
    assert straddle.segments == 3
    # Same total with the emoji wholly inside part 1: 2 parts.
    aligned = count_segments("a" * 65 + EMOJI + "a" * 67)
    assert aligned.units == 134
    assert aligned.segments == 2


@pytest.mark.parametrize("culprit", ["\u201c", "\u201d", "\u2018", "\u2019", "\u2013", "\u2014",
                                     "`", "ç", "\u00a0", "\u2026", "á", EMOJI])
def test_characters_outside_gsm_force_ucs2_and_are_reported(culprit):
    info = count_segments(f"Hello {culprit} there")
    assert info.encoding == "UCS-2"
    assert info.non_gsm == (culprit,)


def test_capital_c_cedilla_is_gsm_but_small_is_not():
    assert count_segments("Ç").encoding == "GSM-7"
    assert count_segments("ç").encoding == "UCS-2"


def test_non_gsm_lists_distinct_culprits_in_order():
    info = count_segments("It\u2019s \u201cfine\u201d \u2019 ok")
    assert info.non_gsm == ("\u2019", "\u201c", "\u201d")


def test_ucs2_counts_extension_characters_as_one_unit():
    # Once UCS-2, "€" is just one UTF-16 unit: no escape cost.
    info = count_segments("ç" + "€" * 69)
    assert (info.encoding, info.units, info.segments) == ("UCS-2", 70, 1)


def test_check_body_accepts_and_counts():
    assert check_body("Hi there", "Body") == count_segments("Hi there")
    assert check_body("x" * MAX_BODY_CHARS, "Body").characters == 1600


@pytest.mark.parametrize("body", ["", "   ", "\n\t"])
def test_check_body_rejects_empty(body):
    with pytest.raises(ValidationFailed) as err:
        check_body(body, "Message")
    assert (err.value.status, err.value.code, err.value.field) == (400, "BodyEmpty", "Message")


def test_check_body_rejects_over_1600_characters_with_length_and_limit():
    with pytest.raises(Unprocessable) as err:
        check_body("x" * 1601, "Message")
    assert (err.value.status, err.value.code, err.value.field) == (422, "BodyTooLong", "Message")
    assert "1601" in err.value.message and "1600" in err.value.message


def test_check_body_limit_counts_code_points_not_units():
    # 1600 emoji are 3200 UTF-16 units but 1600 characters: allowed by the 1600-char rule.
    assert check_body(EMOJI * 1600, "Body").units == 3200
