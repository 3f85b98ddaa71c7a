import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_code.common.errors import ValidationFailed
from shared_code.common.text.phones import mask, to_e164


@pytest.mark.parametrize(("raw", "region", "expected"), [
    ("+14155550101", "US", "+14155550101"),
    ("(415) 555-0101", "US", "+14155550101"),
    ("415.555.0101", "US", "+14155550101"),
    ("1 415 555 0101", "US", "+14155550101"),
    ("020 7946 0000", "GB", "+442079460000"),
    ("+44 20 7946 0000", "US", "+442079460000"),
    (4155550101, "US", "+14155550101"),
])
def test_normalizes_to_e164(raw, region, expected):
    assert to_e164(raw, region=region, field="Phone") == expected


@pytest.mark.parametrize("raw", ["123", "555-2671", "hello", "+1415555010199", ""])
def test_invalid_numbers_name_the_field_and_value(raw):
    with pytest.raises(ValidationFailed) as err:
        to_e164(raw, region="US", field="To")
    assert err.value.field == "To"
    assert err.value.status == 400
    if raw:
        assert raw in err.value.message


def test_mask_hides_the_middle_of_a_number():
    assert mask("+14155550101") == "+1415***0101"
    assert "555" not in mask("+14155550101")[4:]
    assert mask("") == ""


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(min_value=1, max_value=999).map(lambda n: f"+1415555{n:04d}"),
                          st.sampled_from(["+0123", "+123", "123", "", "+1 415", "+44 20", "+" + "9" * 16])),
                max_size=300))
def test_a_phone_set_answers_as_a_set_of_strings_would(phones):  # noqa: ANN001
    from shared_code.common.text.phones import PhoneSet

    class Small(PhoneSet):
        MERGE_AT = 7  # merges all the time

    seen, plain = Small(), set()
    for phone in phones:
        assert seen.add(phone) == (phone not in plain), phone
        plain.add(phone)
    assert len(seen) == len(plain)
