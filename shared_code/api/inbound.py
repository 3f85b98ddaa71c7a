"""Received texts: Twilio's webhook, the flow triggers (webhook registrations, polling),
received-text reads and opt-out management."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import RETRY_AFTER, Envelope, Feature, Param, Reply, lazy

if TYPE_CHECKING:
    from ..web.runtime import Call

optouts = lazy("shared_code.inbound.optouts")
received = lazy("shared_code.inbound.received")
subscriptions = lazy("shared_code.triggers.subscriptions")
api = Feature("shared_code.inbound.models", "shared_code.triggers.models")

EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
POLL_RETRY_AFTER = "60"  # Power Automate's shortest recurrence for a polling trigger

NEW_SUBSCRIPTION = Envelope("NewSubscriptionResponse", "The registration.", data="NewSubscription")
SUBSCRIPTION = Envelope("SubscriptionResponse", "A trigger registration.", data="SubscriptionDetail")
SUBSCRIPTIONS = Envelope("SubscriptionListResponse", "The flows registered on your triggers.", items="SubscriptionOut")
DELETED = Envelope("DeletedSubscriptionResponse", "The deleted registration.", data="DeletedSubscription")
TEXT = Envelope("ReceivedTextResponse", "A received text.", data="ReceivedText")
TEXTS = Envelope("ReceivedTextListResponse", "Received texts, newest first.", items="ReceivedText", paged=True)
# A batch polling trigger answers with the bare array; the platform starts one run per item.
BATCH = Envelope("ReceivedTextBatchResponse", "The texts received since the last check, oldest first.",
                 items="ReceivedText", bare=True, summary="Received Texts")
OPTOUT = Envelope("OptOutResponse", "The number's state.", data="OptOutState")
OPTOUTS = Envelope("OptOutListResponse", "Opted-out numbers, in number order.", items="OptOutState", paged=True)
CHECK = Envelope("OptOutCheckResponse", "The number's state and history.", data="OptOutCheck")


@api.post("twilio/inbound", "TwilioInbound", auth=False, connector=False)
def twilio_inbound(call: Call) -> Any:
    """Twilio's "a message comes in" webhook: signature checked (403 otherwise, nothing
    stored), routed by To and queued; empty TwiML at once (replies go out from the queue)."""
    from ..inbound.receive import accept
    from ..web.request import ApiResponse
    from ..web.twilio_signature import form_params, verify

    params = form_params(call.request)
    verify(call.request, params)
    accept(params)
    return ApiResponse(200, EMPTY_TWIML, {"Content-Type": "text/xml; charset=utf-8"})


# ---------------------------------------------------------------- webhook triggers

REGISTERED = Reply(NEW_SUBSCRIPTION, "Registered: Location is the registration's URL, which the platform deletes "
                                     "when the flow is turned off or deleted.",
                   {"Location": {"type": "string", "description": "The registration's URL (DELETE removes it)."}})


def _subscribe(kind: str) -> Any:
    def handler(call: Call) -> Any:
        from ..triggers.models import NewSubscription
        from ..web.request import Result
        from ..web.runtime import public_link

        sub, _ = subscriptions.subscribe(call.caller, kind, call.body)
        location = public_link(call.request, f"/api/twilio/{sub.SubscriptionId}")
        return Result(NewSubscription.of(sub), status=201, headers={"Location": location})
    return handler


def _trigger(route: str, op_id: str, kind: str, body: str, payload: str, what: str, hint: str,
             **declared: Any) -> None:
    """A webhook trigger; ``hint`` is the designer's x-ms-trigger-hint: how to make it fire while testing."""
    api.add("post", route, op_id, _subscribe(kind), body=body, body_description="The registration.",
            ok=REGISTERED, status=201, extra={"x-ms-trigger": "single", "x-ms-trigger-hint": hint},
            notification={"description": what, "schema": payload}, **declared)


_trigger("twilio/registration", "ProductionWebhook", "sms", "SubscribeBody", "ReceivedTextEvent",
         "The received text: who sent it, to which of your numbers, what it says and where it came from.",
         "To see it work, text your business number from a phone.", visibility="important",
         summary="When a text (SMS) message is received",
         description="Starts the flow when a customer texts your number, with the sender, the text and where it "
                     "came from.")
_trigger("twilio/MMSregistration", "MMSWebhook", "mms", "SubscribeBody", "ReceivedTextEvent",
         "The received MMS: who sent it, what it says, the first attachment's link and type, and every "
         "attachment.",
         "To see it work, send a picture to your business number from a phone.",
         visibility="none", summary="When a text (MMS) message is received",
         description="Starts the flow when a customer sends an MMS to your number, with the sender, the text and "
                     "every attachment.")
_trigger("twilio/statusregistration", "DeliveryStatusWebhook", "status", "StatusSubscribeBody", "StatusEvent",
         "The recipient whose text reached a final status.",
         "To see it work, send a text with one of the send actions and wait for its delivery report.",
         visibility="none", summary="When a text is delivered or fails",
         description="Starts the flow when a text you sent becomes delivered, undelivered or failed, with the "
                     "recipient and the carrier's error.")


@api.delete("twilio/{RegistrationId}", "InternalActionForWebhookDeletion", ok=DELETED,
            ok_description="Deleted (or already gone).", visibility="internal",
            path={"RegistrationId": Param("Registration ID", "The registration's id from the Location header.")},
            summary="Delete a trigger registration",
            description="Deletes a trigger's registration; the platform calls it when the flow is turned off or "
                        "deleted.")
def delete_subscription(call: Call) -> Any:
    return subscriptions.delete(call.caller, call.route("RegistrationId"))


@api.get("subscriptions", "ListTriggerSubscriptions", ok=SUBSCRIPTIONS, ok_description="The registrations.",
         visibility="advanced", summary="List trigger registrations",
         description="Lists the flows registered on this account's triggers, with their last delivery error.")
def list_subscriptions(call: Call) -> Any:
    return subscriptions.list_subscriptions(call.caller)


@api.get("subscriptions/{subscriptionId}", "GetTriggerSubscription", ok=SUBSCRIPTION,
         ok_description="The registration.", visibility="advanced",
         path={"subscriptionId": Param("Registration ID", "The registration's id.")},
         summary="Get a trigger registration",
         description="Returns one registration with the notifications its flow did not accept.")
def get_subscription(call: Call) -> Any:
    return subscriptions.get(call.caller, call.route("subscriptionId"))


# ---------------------------------------------------------------- received texts

@api.get("received", "ListReceivedTexts", query="ReceivedQuery", ok=TEXTS, ok_description="The texts.",
         visibility="advanced", summary="List received texts",
         description="Lists the texts customers sent to your number, newest first, optionally only from one number "
                     "or of one kind.")
def list_received(call: Call) -> Any:
    return received.list_received(call.caller, call.query)


@api.get("received/{messageId}", "GetReceivedText", ok=TEXT, ok_description="The text.", visibility="advanced",
         path={"messageId": Param("Message ID", "The MessageId of a received text.")},
         summary="Get a received text", description="Returns one received text with its attachments.")
def get_received(call: Call) -> Any:
    return received.get_received(call.caller, call.route("messageId"))


POLL_HEADERS = {"Location": {"type": "string", "description": "The URL of the next check (it carries the cursor)."},
                "Retry-After": RETRY_AFTER}


@api.get("triggers/receivedtexts", "PollReceivedTexts", query="PollQuery",
         ok={200: Reply(BATCH, "New texts, oldest first.", POLL_HEADERS),
             202: Reply(None, "Nothing new: check again at Location after Retry-After seconds.", POLL_HEADERS)},
         extra={"x-ms-trigger": "batch", "x-ms-trigger-metadata": {"kind": "query", "mode": "polling"},
                "x-ms-trigger-hint": "To see it work, text your business number, then wait for the next check."},
         visibility="advanced", summary="When texts are received (checked periodically)",
         description="Checks for new texts every few minutes instead of being called at once: use it where webhooks "
                     "cannot reach your flow.")
def poll_received(call: Call) -> Any:
    """Polling trigger: 202 + Location + Retry-After (envelope, no items) when nothing is new,
    else 200 whose body is the bare JSON array of texts — an ``x-ms-trigger: batch`` trigger's
    response is the array the platform splits into one run per text. Either way Location
    carries the next cursor."""
    from ..web.envelope import dumps, jsonable
    from ..web.request import ApiResponse, Result
    from ..web.runtime import self_link

    result = received.poll(call.caller, call.query)
    headers = {"Location": self_link(call.request, "cursor", result.cursor), "Retry-After": POLL_RETRY_AFTER}
    if not result.items:
        return Result([], status=202, headers=headers)
    return ApiResponse(200, dumps(jsonable(result.items)), {"Content-Type": "application/json; charset=utf-8",
                                                            **headers})


# ---------------------------------------------------------------- opt-outs

@api.get("optouts", "ListOptOuts", query="OptOutQuery", ok=OPTOUTS, ok_description="The numbers.",
         visibility="advanced", summary="List opted out numbers",
         description="Lists the numbers that must not be texted, in number order.")
def list_optouts(call: Call) -> Any:
    return optouts.list_opted_out(call.caller, call.query)


@api.get("optouts/check", "CheckOptOut", visibility="none", query="OptOutCheckQuery", ok=CHECK, ok_description="The number's state.",
         summary="Check whether a number opted out",
         description="Returns whether a number may be texted, and its latest opt-out, opt-in and help requests.")
def check_optout(call: Call) -> Any:
    return optouts.check(call.caller, call.query.Phone)


@api.post("optouts/optout", "OptOutNumber", visibility="none", body="OptOutBody", body_description="The number and why.", ok=OPTOUT,
          ok_description="The number is opted out.", summary="Opt a number out",
          description="Stops every text to a number, as if it had texted STOP; the change is audited with the API "
                      "key's name.")
def opt_out(call: Call) -> Any:
    return optouts.change(call.caller, call.body, opted_out=True)


@api.post("optouts/optin", "OptInNumber", body="OptOutBody", body_description="The number and why.", ok=OPTOUT,
          ok_description="The number is opted in.", visibility="advanced", summary="Opt a number back in",
          description="Lets a number be texted again after it opted out; do this only when the customer asked, and "
                      "the change is audited.")
def opt_in(call: Call) -> Any:
    return optouts.change(call.caller, call.body, opted_out=False)


# ---------------------------------------------------------------- opt-out trigger

_trigger("twilio/optoutregistration", "OptOutWebhook", "optout", "OptOutSubscribeBody", "OptOutChangeEvent",
         "The number that opted out or back in, its contact, the keyword, the direction and where it came from.",
         "To see it work, text STOP (then START) to your business number from a phone.", visibility="none",
         summary="When a number opts out or back in",
         description="Starts the flow when a number opts out (STOP and its synonyms) or back in (START), by a text, "
                     "by Twilio's opt-out handling or by hand, with the number, its contact and the keyword. A STOP "
                     "from a number already opted out starts nothing.")
