"""Send actions (all 36 through one endpoint factory) and campaign management."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..common.config import get_settings
from ..messaging.catalog import BY_ID
from ..messaging.models import CampaignQuery, RescheduleBody, SendBody
from ..messaging import campaigns
from ..web.request import Result
from ..web.runtime import Call, Endpoint, endpoint, parse_body

WAIT_RETRY_AFTER = "5"


def _send(call: Call, op_id: str) -> Any:
    """Parse, then create the campaign(s) once per idempotency key and answer (a retry gets
    the first answer back)."""
    from ..web.idempotency import request_key, run_once
    from ..common.ids import new_desc_id

    op = BY_ID[op_id]
    req = call.request
    if op.kind == "mms":
        from ..messaging.media import parse_mms

        body, media = parse_mms(req)
    else:
        body, media = parse_body(SendBody, req), None
    fingerprint = campaigns.request_fingerprint(op, body, media)  # type: ignore[arg-type]
    return run_once(call.caller.account_id, request_key(req.header, fingerprint), fingerprint,
                    lambda attempt: _answer(call, op_id, body, campaigns.create(call.caller, op, body, attempt, media)),
                    new_desc_id)


def _answer(call: Call, op_id: str, body: SendBody, made: list[Any]) -> Result:
    first = made[0]
    if op_id == "SendReviewSingleContact":
        from ..addressbook.recipients import find_contact

        return Result(campaigns.message_record(call.caller, first,
                                               find_contact(call.caller.account, body.text("To") or "", field="To")))
    data = campaigns.campaign_data(first)
    if len(made) > 1:
        data["Reminders"] = [campaigns.campaign_data(c) for c in made]
    if op_id == "SendAndWaitForDelivery":
        return Result(data, status=202, headers=_poll_headers(call.request.url, first.CampaignId))
    return Result(data)


@lru_cache(maxsize=None)
def send_endpoint(op_id: str) -> Endpoint:
    if op_id not in BY_ID:
        raise KeyError(op_id)
    mms = BY_ID[op_id].kind == "mms"
    return endpoint(max_body=6 * 1024 * 1024 if mms else None)(lambda call: _send(call, op_id))


def _poll_headers(url: str, campaign_id: str) -> dict[str, str]:
    from urllib.parse import urlsplit

    base = get_settings().public_base_url
    if not base:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
    return {"Location": f"{base.rstrip('/')}/api/campaigns/{campaign_id}/status", "Retry-After": WAIT_RETRY_AFTER}


@endpoint()
def get_campaign(call: Call):  # noqa: ANN201
    return campaigns.campaign_data(campaigns.get(call.caller, call.route("campaignId")))


@endpoint()
def campaign_status(call: Call):  # noqa: ANN201
    """Power Automate's async pattern: 202 + Location + Retry-After until every recipient is final."""
    c = campaigns.get(call.caller, call.route("campaignId"))
    data = campaigns.campaign_data(c)
    if campaigns.delivery_final(c):
        return data
    return Result(data, status=202, headers=_poll_headers(call.request.url, c.CampaignId))


@endpoint(query=CampaignQuery)
def list_campaigns(call: Call):  # noqa: ANN201
    return campaigns.list_campaigns(call.caller, call.query)


@endpoint(query=CampaignQuery)
def list_recipients(call: Call):  # noqa: ANN201
    return campaigns.list_recipients(call.caller, call.route("campaignId"), call.query)


@endpoint()
def cancel_campaign(call: Call):  # noqa: ANN201
    return campaigns.campaign_data(campaigns.cancel(call.caller, call.route("campaignId")))


@endpoint(body=RescheduleBody)
def reschedule_campaign(call: Call):  # noqa: ANN201
    return campaigns.campaign_data(campaigns.reschedule(call.caller, call.route("campaignId"), call.body))


@endpoint(auth=False)
def twilio_status(call: Call):  # noqa: ANN201
    """Twilio's status callback: signature checked, then the recipient moves forward."""
    from ..messaging.delivery import record_status
    from ..web.twilio_signature import form_params, verify

    params = form_params(call.request)
    verify(call.request, params)
    q = call.request.params
    outcome = record_status(q.get("a", ""), q.get("c", ""), q.get("r", ""), params.get("MessageSid", ""),
                            params.get("MessageStatus", ""), params.get("ErrorCode", ""))
    return {"Outcome": outcome}


@endpoint(auth=False)
def follow_link(call: Call):  # noqa: ANN201
    """A tracked review link: count the click, then 302 to Google's review form."""
    from ..messaging.links import follow

    target = follow(call.route("code"))
    return Result({"Location": target}, status=302, headers={"Location": target})
