import pytest

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
