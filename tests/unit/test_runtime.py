"""The HTTP runtime: envelope, parsing errors, limits — without storage (auth=False)."""

import json

from pydantic import BaseModel

from shared_code.common.errors import NotFound
from shared_code.web.request import ApiRequest
from shared_code.web.runtime import endpoint, execute


class Body(BaseModel):
    Phone: str
    Count: int = 1


@endpoint(body=Body, auth=False)
def echo(call):
    return {"Phone": call.body.Phone, "Count": call.body.Count}


@endpoint(auth=False)
def boom(call):
    raise RuntimeError("secret internals at /srv/app.py line 12")


@endpoint(auth=False)
def missing(call):
    raise NotFound("No contact X.", code="ContactNotFound", field="contactId")


def run(ep, body=b"", ctype="application/json", method="POST"):
    headers = {"Content-Type": ctype} if ctype else {}
    res = execute(ep, ApiRequest(method, "http://h/api/x", headers=headers, body=body))
    return res.status, json.loads(res.body), res.headers


def test_success_envelope_has_error_object_and_data():
    status, payload, headers = run(echo, b'{"Phone": "1", "Unknown": true}')
    assert status == 200
    assert payload == {"Success": True, "Error": {"Code": "", "Status": "Success", "Message": ""},
                       "Data": {"Phone": "1", "Count": 1}}
    assert headers["Content-Type"].startswith("application/json")
    assert headers["x-request-id"]


def test_malformed_json_is_400_not_500():
    status, payload, _ = run(echo, b'{"Phone": ')
    assert status == 400
    assert payload["Success"] is False
    assert payload["Error"]["Code"] == "InvalidJson"


def test_non_object_body_is_400():
    status, payload, _ = run(echo, b'[1, 2]')
    assert (status, payload["Error"]["Code"]) == (400, "InvalidJson")


def test_missing_field_named_in_message():
    status, payload, _ = run(echo, b'{}')
    assert status == 400
    assert payload["Error"]["Field"] == "Phone"
    assert "Phone" in payload["Error"]["Message"]


def test_wrong_type_named_in_message():
    status, payload, _ = run(echo, b'{"Phone": "1", "Count": "many"}')
    assert status == 400
    assert payload["Error"]["Field"] == "Count"


def test_wrong_content_type_is_415():
    status, payload, _ = run(echo, b"Phone=1", ctype="application/x-www-form-urlencoded")
    assert (status, payload["Error"]["Code"]) == (415, "UnsupportedMediaType")


def test_body_over_1mb_is_413():
    big = json.dumps({"Phone": "x" * (1024 * 1024)}).encode()
    status, payload, _ = run(echo, big)
    assert (status, payload["Error"]["Code"]) == (413, "PayloadTooLarge")


def test_unexpected_error_is_500_without_internals():
    status, payload, _ = run(boom, method="GET")
    assert status == 500
    assert payload["Error"]["Code"] == "InternalError"
    assert "secret" not in json.dumps(payload) and "line 12" not in json.dumps(payload)


def test_api_error_maps_status_code_and_field():
    status, payload, _ = run(missing, method="GET")
    assert status == 404
    assert payload["Error"] == {"Code": "ContactNotFound", "Status": "Not Found", "Message": "No contact X.",
                                "Field": "contactId"}
