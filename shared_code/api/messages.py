"""Sending: the two general actions a maker sees first, the 36 send actions of the original
connector (kept for existing flows, deprecated) and "send and wait" (one declaration each, from
``messaging.catalog``, all onto the one campaign service), campaign management, and the two
unauthenticated routes of the pipeline (Twilio's status callback, the review link)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..messaging.catalog import GENERAL_SENDS, SEND_AND_WAIT, SEND_OPERATIONS, SEND_TEXT, SendOperation
from ..web.operations import POLLING, Envelope, Feature, Param, Reply, lazy

if TYPE_CHECKING:
    from ..web.request import ApiRequest
    from ..web.runtime import Call

campaigns = lazy("shared_code.messaging.campaigns")
links = lazy("shared_code.messaging.links")
api = Feature("shared_code.messaging.models", "shared_code.api.send_forms")

WAIT_RETRY_AFTER = "5"
MMS_MAX_BODY = 6 * 1024 * 1024  # one 5 MB attachment and the form around it

CAMPAIGN = Envelope("CampaignResponse", "A campaign.", data="CampaignOut")
CAMPAIGNS = Envelope("CampaignListResponse", "Campaigns, newest first.", items="CampaignOut", paged=True)
SENT = Envelope("SendResponse", "The campaign the action made.", data="SentCampaign")
RECORD = Envelope("MessageRecordResponse", "The message record of the review request.", data="MessageRecord")
LINKS = Envelope("LinkStatsListResponse", "The tracked links of a campaign and their clicks.", items="LinkStats")
RECIPIENTS = Envelope("RecipientListResponse", "The recipients of a campaign and their delivery status.",
                      items="RecipientOut", paged=True)

# ---------------------------------------------------------------- the send actions

SUMMARIES: dict[str, str] = {  # ours first, then the original connector's action names, which makers know
    "SendText": "Send a text",
    "SendReviewRequest": "Send a review request",
    "SendTextToAContact": "Send text (SMS) message to a contact",
    "SendTextMessageToMultipleContacts": "Send text (SMS) message to multiple contacts",
    "SendTextMessageToAGroup": "Send text (SMS) message to a group",
    "SendTextMessageToMultipleGroups": "Send text (SMS) message to multiple groups",
    "SendTextMessageToANumber": "Send text (SMS) message to a number",
    "SendTextMessage": "Send a text (SMS) message",
    "SendMessageToMultipleNumbers": "Send text (SMS) message to multiple numbers",
    "SendMessageToANewContact": "Send text (SMS) message to a new contact",
    "SendTextToANewGroup": "Send text (SMS) message to a new group",
    "ScheduleMessageForAContact": "Schedule text (SMS) message for a contact",
    "ScheduleTextToMultipleContacts": "Schedule text (SMS) messages for multiple contacts",
    "ScheduleTextMessagesForAGroup": "Schedule text (SMS) messages for a group",
    "ScheduleMessageForGroups": "Schedule text (SMS) message for multiple groups",
    "ScheduleTextForANewContact": "Schedule a text (SMS) message for a new contact",
    "ScheduleTextForANewGroup": "Schedule a text (SMS) message for a new group",
    "SendReviewSingleContact": "Send review text (SMS) message to a contact",
    "SendReviewTextMultipleContacts": "Send review text (SMS) message to multiple contacts",
    "SendReviewTextMessageToAGroup": "Send review text (SMS) message to a group",
    "SendReviewTextGroups": "Send review text (SMS) message to multiple groups",
    "SendReviewTextMessageToANewContact": "Send review text (SMS) message to a new contact",
    "SendReviewToANewGroup": "Send review text (SMS) message to a new group",
    "ScheduleReviewMessageForAContact": "Schedule review text (SMS) message for a contact",
    "ScheduleReviewTextMessageForContacts": "Schedule review text (SMS) message for multiple contacts",
    "ScheduleReviewTextMessageForAGroup": "Schedule review text (SMS) message for a group",
    "ScheduleReviewGroups": "Schedule review text (SMS) message for multiple groups",
    "ScheduleReviewTextMessageToANewContact": "Schedule review text (SMS) message to a new contact",
    "ScheduleReviewToANewGroup": "Schedule review text (SMS) message to a new group",
    "SendTextMessageEventReminderToAContact": "Schedule text (SMS) message event reminder to a contact",
    "SendTextMessageEventReminderToMultipleContacts":
        "Schedule text (SMS) message event reminder to multiple contacts",
    "SendTextEventReminderToAGroup": "Schedule text (SMS) message event reminder to a group",
    "SendTextMessageEventReminderToGroups": "Schedule text (SMS) message event reminder to multiple groups",
    "SendMessageEventReminderToANewContact": "Schedule text (SMS) message event reminder to a new contact",
    "SendTextEventReminderToNewGroup": "Schedule text (SMS) message event reminder to a new group",
    "SendMMSContacts": "Send an MMS to a contact",
    "SendMMSGroup": "Send an MMS to a group",
    "SendMMSNewContact": "Send an MMS",
    "SendAndWaitForDelivery": "Send text (SMS) message and wait for delivery",
}

# What a maker sees first: the two general actions. The original's 36 are deprecated: Power
# Platform keeps a deprecated operation running in the flows that use it and hides it from the
# designer's list for new steps (learn.microsoft.com/connectors/custom-connectors/deprecate-operation);
# every one is covered by a general action. "Send and wait" is a variant: advanced.
GENERAL_VISIBILITY = "important"
ORIGINAL_VISIBILITY = "advanced"
DEPRECATED = " (deprecated)"  # what the platform's guidance appends to a deprecated summary
DEPRECATED_NOTE = " Deprecated: use Send a text or Send a review request instead."

WHAT = {"text": "a text message", "review": "a review request (your text followed by the Google review link of "
                                            "the place you pick)",
        "reminder": "an event reminder", "mms": "an MMS (your text and one attachment)"}
WHOM = {"contact": "to one contact", "contacts": "to several contacts, each number texted once",
        "group": "to every member of a group", "groups": "to the members of several groups, a contact in two "
                                                          "groups texted once",
        "number": "to a phone number, saved as a contact if it is new",
        "numbers": "to several phone numbers separated by commas",
        "new_contact": "to a contact saved (or renamed, for a known number) in the same step",
        "new_group": "to a new group made from the contacts you pick"}
WHEN = {"now": "right away", "scheduled": "at the date and time you give (UTC); until then it can be cancelled or "
                                          "rescheduled with its CampaignId",
        "reminder": "the given number of days before the event date, at the time you give (UTC)"}


def send_description(op: SendOperation) -> str:
    if op is SEND_TEXT:
        return ("Texts contacts, groups and phone numbers in one step, each person once: now, at a time you give, "
                "or as event reminders; optionally with the review link of a place or an attachment.")
    if op in GENERAL_SENDS:
        return ("Asks contacts, groups and phone numbers for a Google review of the place you pick, each person "
                "once: your text followed by the place's review link, now or at a time you give.")
    if op is SEND_AND_WAIT:
        return ("Sends a text message to contacts, numbers and groups, then waits until every text is delivered "
                "or failed and returns the final counts.")
    verb = "Schedules" if op.timing != "now" else "Sends"
    text = f"{verb} {WHAT[op.kind]} {WHOM[op.target]}, {WHEN[op.timing]}."
    if op.operation_id == "SendTextMessage":
        text += " Same as Send text (SMS) message to a number."
    return text + DEPRECATED_NOTE


def send_replies(op: SendOperation) -> dict[int, Reply]:
    if op is SEND_AND_WAIT:
        return {200: Reply(SENT, "Every text is delivered or failed: the final counts."),
                202: Reply(SENT, "Sending: the platform polls Location until delivery is final.", POLLING)}
    if op.operation_id == "SendReviewSingleContact":
        return {200: Reply(RECORD, "The review request is queued.")}
    return {200: Reply(SENT, f"The campaign is {'queued' if op.timing == 'now' else 'scheduled'}.")}


def poll_headers(req: ApiRequest, campaign_id: str) -> dict[str, str]:
    from ..web.runtime import public_link

    return {"Location": public_link(req, f"/api/campaigns/{campaign_id}/status"), "Retry-After": WAIT_RETRY_AFTER}


def send(call: Call, op: SendOperation) -> Any:
    """Every send action: parse (JSON, or multipart for MMS), then make the campaign(s) once per
    idempotency key and answer (a retry gets the first answer back)."""
    from ..common.ids import new_desc_id
    from ..messaging.models import SendBody
    from ..web.idempotency import request_key, run_once
    from ..web.runtime import parse_body

    req = call.request
    if op.kind == "mms":
        from ..messaging.media import FIELDS, FILES, NOT_MULTIPART, mms_request
        from ..web.multipart import read_form

        body, media = mms_request(*read_form(req, FIELDS, FILES, not_multipart=NOT_MULTIPART))
    else:
        body, media = parse_body(SendBody, req), None
    fingerprint = campaigns.request_fingerprint(op, body, media)
    return run_once(call.caller.account_id, request_key(req.header, fingerprint), fingerprint,
                    lambda attempt: _answer(call, op, body, campaigns.create(call.caller, op, body, attempt, media)),
                    new_desc_id)


def _answer(call: Call, op: SendOperation, body: Any, made: list[Any]) -> Any:
    from ..web.request import Result

    first = made[0]
    if op.operation_id == "SendReviewSingleContact":
        from ..addressbook.recipients import find_contact

        return Result(campaigns.message_record(call.caller, first,
                                               find_contact(call.caller.account, body.text("To") or "", field="To")))
    data = campaigns.campaign_data(first)
    if len(made) > 1:  # reminders: every one the action scheduled
        from ..messaging.models import SentCampaign

        data = SentCampaign(**data.model_dump(), Reminders=[campaigns.campaign_data(c) for c in made])
    if op is SEND_AND_WAIT:
        return Result(data, status=202, headers=poll_headers(call.request, first.CampaignId))
    return Result(data)


def _declare_send(op: SendOperation) -> None:
    mms = op.kind == "mms"
    original = op in SEND_OPERATIONS
    api.add("post", op.route, op.operation_id, lambda call: send(call, op), ok=send_replies(op),
            summary=SUMMARIES[op.operation_id] + (DEPRECATED if original else ""), description=send_description(op),
            visibility=GENERAL_VISIBILITY if op in GENERAL_SENDS else ORIGINAL_VISIBILITY,
            extra={"deprecated": True} if original else {}, doc_body=f"{op.operation_id}Form", multipart=mms,
            body_description="What to send, to whom and when.", max_body=MMS_MAX_BODY if mms else None)


for _op in (*GENERAL_SENDS, *SEND_OPERATIONS, SEND_AND_WAIT):
    _declare_send(_op)

# ---------------------------------------------------------------- campaigns

CAMPAIGN_PATH = {"campaignId": Param("Campaign ID", "The CampaignId a send action returned.")}


@api.get("campaigns", "ListCampaigns", query="CampaignQuery", ok=CAMPAIGNS, ok_description="The campaigns.",
         visibility="advanced", summary="List campaigns",
         description="Lists the campaigns of your account, newest first, optionally only those with a status.")
def list_campaigns(call: Call) -> Any:
    return campaigns.list_campaigns(call.caller, call.query)


@api.get("campaigns/{campaignId}", "GetCampaign", visibility="none", path=CAMPAIGN_PATH, ok=CAMPAIGN, ok_description="The campaign.",
         summary="Get a campaign", description="Returns a campaign with its delivery counts right now.")
def get_campaign(call: Call) -> Any:
    return campaigns.campaign_data(campaigns.get(call.caller, call.route("campaignId")))


@api.get("campaigns/{campaignId}/status", "GetCampaignStatus", path=CAMPAIGN_PATH,
         ok={200: Reply(CAMPAIGN, "Delivery is final."), 202: Reply(CAMPAIGN, "Still sending: poll Location again.",
                                                                     POLLING)},
         visibility="advanced", summary="Wait for a campaign to be delivered",
         description="Waits until every text of a campaign is delivered or failed (the platform polls while it "
                     "answers 202), then returns its final counts.")
def campaign_status(call: Call) -> Any:
    """Power Automate's async pattern: 202 + Location + Retry-After until every recipient is final."""
    from ..web.request import Result

    c = campaigns.get(call.caller, call.route("campaignId"))
    data = campaigns.campaign_data(c)
    if campaigns.delivery_final(c):
        return data
    return Result(data, status=202, headers=poll_headers(call.request, c.CampaignId))


@api.get("campaigns/{campaignId}/recipients", "ListCampaignRecipients", path=CAMPAIGN_PATH, query="RecipientQuery",
         ok=RECIPIENTS, ok_description="The recipients.", visibility="advanced",
         summary="List the recipients of a campaign",
         description="Lists each recipient of a campaign with its delivery status and the carrier's error, if any.")
def list_recipients(call: Call) -> Any:
    return campaigns.list_recipients(call.caller, call.route("campaignId"), call.query)


@api.get("campaigns/{campaignId}/links", "GetCampaignLinkStats", path=CAMPAIGN_PATH, ok=LINKS,
         ok_description="The tracked links.", visibility="advanced", summary="Get the link clicks of a campaign",
         description="Lists the tracked review links of a campaign with how often each was opened; empty when the "
                     "campaign has none.")
def link_stats(call: Call) -> Any:
    return links.for_campaign(call.caller, call.route("campaignId"))


@api.post("campaigns/{campaignId}/cancel", "CancelCampaign", visibility="none", path=CAMPAIGN_PATH, ok=CAMPAIGN,
          ok_description="The cancelled campaign.", summary="Cancel a campaign",
          description="Cancels a scheduled or sending campaign: nothing more is sent for it.")
def cancel_campaign(call: Call) -> Any:
    return campaigns.campaign_data(campaigns.cancel(call.caller, call.route("campaignId")))


@api.post("campaigns/{campaignId}/reschedule", "RescheduleCampaign", visibility="none", path=CAMPAIGN_PATH, body="RescheduleBody",
          body_description="When to send instead.", ok=CAMPAIGN, ok_description="The rescheduled campaign.",
          summary="Reschedule a campaign",
          description="Moves a campaign that has not gone out yet to another date and time.")
def reschedule_campaign(call: Call) -> Any:
    return campaigns.campaign_data(campaigns.reschedule(call.caller, call.route("campaignId"), call.body))


# ---------------------------------------------------------------- not connector operations

@api.post("twilio/status", "TwilioStatusCallback", auth=False, connector=False)
def twilio_status(call: Call) -> Any:
    """Twilio's status callback: signature checked, then the recipient (or, for a text sent
    outside campaigns, its thread's row) moves forward."""
    from ..messaging.delivery import record_status, record_text_status
    from ..web.twilio_signature import form_params, verify

    params = form_params(call.request)
    verify(call.request, params)
    q = call.request.params
    sid, status, code = params.get("MessageSid", ""), params.get("MessageStatus", ""), params.get("ErrorCode", "")
    if q.get("m"):
        return {"Outcome": record_text_status(q.get("a", ""), q["m"], status, code)}
    outcome = record_status(q.get("a", ""), q.get("c", ""), q.get("r", ""), sid, status, code)
    return {"Outcome": outcome}


@api.get("r/{code}", "FollowReviewLink", auth=False, connector=False)
def follow_link(call: Call) -> Any:
    """A tracked review link: count the click, then 302 to Google's review form."""
    from ..messaging.links import follow
    from ..web.request import Result

    target = follow(call.route("code"))
    return Result({"Location": target}, status=302, headers={"Location": target})
