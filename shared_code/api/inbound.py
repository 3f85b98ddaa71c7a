"""Received texts: Twilio's webhook, the flow triggers (webhook registrations, polling),
received-text reads and opt-out management."""

from __future__ import annotations

from ..triggers.models import MMS, SMS, STATUS, StatusSubscribeBody, SubscribeBody
from ..inbound.models import OptOutBody, OptOutCheckQuery, OptOutQuery, PollQuery, ReceivedQuery
from ..inbound import optouts, received
from ..triggers import subscriptions
from ..web.envelope import dumps
from ..web.request import ApiResponse, Result
from ..web.runtime import Call, endpoint, public_link, self_link

EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
POLL_RETRY_AFTER = "60"  # Power Automate's shortest recurrence for a polling trigger


@endpoint(auth=False)
def twilio_inbound(call: Call):  # noqa: ANN201
    """Twilio's "a message comes in" webhook: signature checked (403 otherwise, nothing
    stored), routed by To and queued; empty TwiML at once (replies go out from the queue)."""
    from ..inbound.receive import accept
    from ..web.twilio_signature import form_params, verify

    params = form_params(call.request)
    verify(call.request, params)
    accept(params)
    return ApiResponse(200, EMPTY_TWIML, {"Content-Type": "text/xml; charset=utf-8"})


def _subscribe(call: Call, kind: str):  # noqa: ANN202
    sub, _ = subscriptions.subscribe(call.caller, kind, call.body)
    location = public_link(call.request, f"/api/twilio/{sub.SubscriptionId}")
    return Result(subscriptions.subscription_data(sub, secret=True), status=201, headers={"Location": location})


@endpoint(body=SubscribeBody)
def subscribe_sms(call: Call):  # noqa: ANN201
    return _subscribe(call, SMS)


@endpoint(body=SubscribeBody)
def subscribe_mms(call: Call):  # noqa: ANN201
    return _subscribe(call, MMS)


@endpoint(body=StatusSubscribeBody)
def subscribe_status(call: Call):  # noqa: ANN201
    return _subscribe(call, STATUS)


@endpoint()
def delete_subscription(call: Call):  # noqa: ANN201
    return subscriptions.delete(call.caller, call.route("RegistrationId"))


@endpoint()
def list_subscriptions(call: Call):  # noqa: ANN201
    return subscriptions.list_subscriptions(call.caller)


@endpoint()
def get_subscription(call: Call):  # noqa: ANN201
    return subscriptions.get(call.caller, call.route("subscriptionId"))


@endpoint(query=ReceivedQuery)
def list_received(call: Call):  # noqa: ANN201
    return received.list_received(call.caller, call.query)


@endpoint()
def get_received(call: Call):  # noqa: ANN201
    return received.get_received(call.caller, call.route("messageId"))


@endpoint(query=PollQuery)
def poll_received(call: Call):  # noqa: ANN201
    """Polling trigger: 202 + Location + Retry-After (envelope, no items) when nothing is new,
    else 200 whose body is the bare JSON array of texts — an ``x-ms-trigger: batch`` trigger's
    response is the array the platform splits into one run per text. Either way Location
    carries the next cursor."""
    result = received.poll(call.caller, call.query)
    headers = {"Location": self_link(call.request, "cursor", result.cursor), "Retry-After": POLL_RETRY_AFTER}
    if not result.items:
        return Result([], status=202, headers=headers)
    return ApiResponse(200, dumps(result.items), {"Content-Type": "application/json; charset=utf-8", **headers})


@endpoint(query=OptOutQuery)
def list_optouts(call: Call):  # noqa: ANN201
    return optouts.list_opted_out(call.caller, call.query)


@endpoint(query=OptOutCheckQuery)
def check_optout(call: Call):  # noqa: ANN201
    return optouts.check(call.caller, call.query.Phone)


@endpoint(body=OptOutBody)
def opt_out(call: Call):  # noqa: ANN201
    return optouts.change(call.caller, call.body, opted_out=True)


@endpoint(body=OptOutBody)
def opt_in(call: Call):  # noqa: ANN201
    return optouts.change(call.caller, call.body, opted_out=False)
