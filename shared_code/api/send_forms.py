"""What each of the 39 send actions shows a maker: its fields of ``SendBody`` (named as the
original connector names them), typed as the action takes them (one contact, a list of
groups ...), with their summaries, dropdowns and which are required.

The request runtime validates every action with ``SendBody`` (all fields, lenient types: a
list where one value is expected gives its first item) and the campaign service says which
field is missing; these models only document one action's part of it, so each is built from
``messaging.catalog`` rather than written 37 times. Loaded by the connector generator, never
while a request runs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, create_model
from pydantic import Field as PydanticField

from ..common.fields import IMPORTANT, doc
from ..common.text.segments import MAX_BODY_CHARS
from ..messaging.catalog import BY_ID, SendOperation
from ..addressbook.models import MAX_NAME_CHARS
from ..messaging.models import MAX_GROUPS_PER_SEND
from ..web.dropdowns import CONTACT, GROUP, PLACE

MAX_PICKS = 1000  # list fields as the dropdown offers them (the API takes up to MAX_RECIPIENTS_PER_SEND)
MAX_EXTRA_REMINDERS = 10
MAX_DAYS_BEFORE = 365
DATE_FORMATS = "MM/DD/YYYY (12/01/2026), MM/DD/YY (12/01/26) or YYYY-MM-DD (2026-12-01)"
TIME_FORMATS = "hh:mm AM/PM (9:05 PM) or 24-hour HH:mm (21:05)"
PHONE_OR_PICK = ("pick from the list, or give a number (E.164 such as +14155550100, or a national number) or a "
                 "contact id")
Field = tuple[Any, Any]  # (type, pydantic FieldInfo), as create_model takes them


def _item(summary: str, description: str, dropdown: dict[str, str]) -> Any:
    return Annotated[str, doc(summary, description, dropdown=dropdown)]


CONTACT_ITEM = _item("Contact", "A contact or a phone number.", CONTACT)
GROUP_ITEM = _item("Group", "A group.", GROUP)


def _contacts(description: str, item: Any = CONTACT_ITEM) -> Field:
    return list[item], doc("Contacts", description, max_length=MAX_PICKS)


def _groups(description: str) -> Field:
    return list[GROUP_ITEM], doc("Groups", description, max_length=MAX_GROUPS_PER_SEND)


def recipients(op: SendOperation) -> dict[str, Field]:
    """The recipients field(s) of a send action."""
    to = op.to_field
    if op.target == "contact":
        return {to: (str, doc("Contact", f"The contact to text: {PHONE_OR_PICK}.", dropdown=CONTACT))}
    if op.target == "contacts":
        out = {to: _contacts(f"The contacts to text: {PHONE_OR_PICK}.")}
        if op.groups_field:  # send and wait: contacts or numbers, and groups; neither required
            out[to] = (out[to][0], doc("Contacts", f"The contacts to text: {PHONE_OR_PICK}.", None,
                                       max_length=MAX_PICKS))
            out[op.groups_field] = (list[GROUP_ITEM], doc("Groups", "Groups whose members are texted too.", None,
                                                          max_length=MAX_GROUPS_PER_SEND))
        return out
    if op.target == "group":
        return {to: (str, doc("Group", "The group whose members are texted (pick from the list, or give its id).",
                              dropdown=GROUP))}
    if op.target == "groups":
        return {to: _groups("The groups whose members are texted (pick from the list, or give their ids).")}
    if op.target == "number":
        return {to: (str, doc("Phone Number", "The number to text: E.164 such as +14155550100, or a national "
                                              "number of your account's country."))}
    if op.target == "numbers":
        return {to: (str, doc("Phone Numbers", "Numbers separated by commas, such as +14155550100, "
                                               "+14155550101."))}
    if op.target == "new_contact":
        return {to: (str, doc("Contact Number", "The contact's number: E.164 such as +14155550100, or a national "
                                                "number; a known number keeps its contact.")),
                "ContactName": (str, doc("Contact First Name", "The contact's first name (a known number is "
                                                               "renamed).", None, visibility=IMPORTANT,
                                         max_length=MAX_NAME_CHARS)),
                "ContactLastName": (str, doc("Contact Last Name", "The contact's last name.", None,
                                             visibility=IMPORTANT, max_length=MAX_NAME_CHARS))}
    # new_group
    return {to: _contacts("The members of the new group.", _item("Contact", "A contact or a phone number (new "
                                                                            "numbers become contacts).", CONTACT)),
            "GroupName": (str, doc("Group Name", "The new group's name.", max_length=MAX_NAME_CHARS))}


TEXT_SUMMARY = {"text": "Text Message", "review": "Review Text", "reminder": "Reminder Text", "mms": "Text Message"}
OPT_OUT = (bool, doc("Reply STOP to Opt Out", "Yes adds your opt-out line (by default: Reply STOP to opt out) at "
                                              "the end of the text.", None, visibility=IMPORTANT))
TRANSACTIONAL = (bool, doc("Transactional", "Yes for a text the recipient asked for (an appointment reminder, an "
                                           "order update): it goes out at once, also outside your quiet hours. No "
                                           "holds it outside them like a marketing text. Empty: the action's "
                                           "default (a text or reminder to one contact or number is transactional, "
                                           "anything else marketing).", None, visibility="advanced"))


def _text(op: SendOperation) -> Field:
    description = f"The text to send (up to {MAX_BODY_CHARS} characters with the link and opt-out line)."
    if op.kind == "review":
        description = ("The text before the review link, such as: Thanks for visiting! Tell us how we did "
                       f"(up to {MAX_BODY_CHARS} characters with the link).")
    elif op.kind == "mms":
        description = "The text sent with the attachment."
    return str, doc(TEXT_SUMMARY[op.kind], description, max_length=MAX_BODY_CHARS)


def _schedule() -> dict[str, Field]:
    return {
        "ScheduledDate": (str, doc("Schedule Date", f"The day to send, in UTC: {DATE_FORMATS}; the date part of "
                                                    "utcNow() works too.")),
        "ScheduledTime": (str, doc("Schedule Time (UTC)", f"The time to send, in UTC: {TIME_FORMATS}.")),
        "ScheduledAt": (str, doc("Send At (ISO 8601)", "An exact moment with an offset instead, such as "
                                 "2026-12-01T15:30:00Z or 2026-12-01T17:30:00+02:00; when given it wins over "
                                 "Schedule Date and Schedule Time.", None, visibility="advanced",
                                 schema={"format": "date-time"})),
    }


def _reminder() -> dict[str, Field]:
    days = Annotated[int, PydanticField(ge=0, le=MAX_DAYS_BEFORE)]
    return {
        "EventDate": (str, doc("Event Date", f"The day of the event: {DATE_FORMATS}.")),
        "Day": (int, doc("Days Before", "How many days before the event the reminder goes out, from 0 (the event "
                                        "day) to 365.", ge=0, le=MAX_DAYS_BEFORE)),
        "Time": (str, doc("Reminder Time (UTC)", f"The time the reminder goes out, in UTC: {TIME_FORMATS}.")),
        "ExtraDaysBefore": (list[days], doc("More Reminders (Days Before)", "More reminders for the same event, as "
                                            "more numbers of days before it, such as 7 and 1.", None,
                                            visibility="advanced", max_length=MAX_EXTRA_REMINDERS)),
    }


def general_fields(op: SendOperation) -> dict[str, Field]:
    """"Send a text" and "Send a review request": recipients of every kind (none required alone,
    one needed), the text, the place, then the optional when (and, for a text, reminders and an
    attachment) under advanced options."""
    assert op.groups_field and op.numbers_field and op.place_field
    review = op.kind == "review"
    out: dict[str, Field] = {
        op.to_field: (list[CONTACT_ITEM], doc("Contacts", f"The contacts to text: {PHONE_OR_PICK}.", None,
                                              max_length=MAX_PICKS)),
        op.groups_field: (list[GROUP_ITEM], doc("Groups", "Groups whose members are texted; a contact in two groups "
                                                          "is texted once.", None, max_length=MAX_GROUPS_PER_SEND)),
        op.numbers_field: (list[Annotated[str, doc("Phone Number", "A number: E.164 such as +14155550100, or a "
                                                                   "national number of your account's country.")]],
                           doc("Phone Numbers", "Numbers to text that need not be contacts; several may be given "
                                                "in one entry, separated by commas.", None, max_length=MAX_PICKS)),
        op.body_field: _text(op),
        op.place_field: (str, doc("Place", "The place whose Google review link follows your text (pick from your "
                                           "places, or give its Google Place ID)" + ("." if review else
                                           "; leave empty for a plain text."), ... if review else None,
                                  dropdown=PLACE)),
        "TrackLink": (bool, doc("Track Review Link", "Yes sends a short link on your host that counts clicks, then "
                                                     "opens the Google review form.", None, visibility="advanced")),
        "ScheduledAt": (str, doc("Send At", "When to send, such as 2026-12-01T15:30:00Z or the result of addDays(); "
                                            "empty sends right away.", None, visibility="advanced",
                                 schema={"format": "date-time"})),
    }
    if op.timing == "any":  # event reminders instead of one send, when an event date is given
        out.update({
            "EventDate": (str, doc("Event Date", f"For reminders: the day of the event, {DATE_FORMATS}; empty sends "
                                                 "one text instead.", None, visibility="advanced")),
            "Day": (int, doc("Days Before", "For reminders: how many days before the event the reminder goes out, "
                                            "from 0 (the event day) to 365.", None, visibility="advanced", ge=0,
                             le=MAX_DAYS_BEFORE)),
            "Time": (str, doc("Reminder Time (UTC)", f"For reminders: the time the reminder goes out, in UTC: "
                                                     f"{TIME_FORMATS}.", None, visibility="advanced")),
            "ExtraDaysBefore": _reminder()["ExtraDaysBefore"],
        })
    if op.media_field:
        out[op.media_field] = (str, doc("Media URL", "A public https:// URL of an image, PDF or other file to send "
                                                     "with the text (as an MMS).", None, visibility="advanced",
                                        schema={"format": "uri"}))
    out["ReplySTOPToOptOut"] = OPT_OUT
    out["Transactional"] = TRANSACTIONAL
    return out


def fields(op: SendOperation) -> dict[str, Field]:
    """One action's fields, in the order a maker sees them."""
    if op.target == "mixed":
        return general_fields(op)
    if op.kind == "mms":
        return mms_fields(op)
    out = recipients(op)
    out[op.body_field] = _text(op)
    if op.place_field:
        out[op.place_field] = (str, doc("Place", "The place whose Google review link is added (pick from your "
                                                 "places, or give its Google Place ID).", dropdown=PLACE))
        out["TrackLink"] = (bool, doc("Track Review Link", "Yes sends a short link on your host that counts "
                                                           "clicks, then opens the Google review form.", None,
                                      visibility="advanced"))
    if op.timing == "scheduled":
        out.update(_schedule())
    if op.timing == "reminder":
        out.update(_reminder())
    out["ReplySTOPToOptOut"] = OPT_OUT
    out["Transactional"] = TRANSACTIONAL
    return out


def mms_fields(op: SendOperation) -> dict[str, Field]:
    """An MMS action's form fields (multipart/form-data: single values, one Attachment)."""
    if op.target == "contacts":
        out = {op.to_field: (str, doc("Contact", "The contact to send the MMS to (pick from the list); several "
                                                 "numbers may be separated by commas.", dropdown=CONTACT))}
    elif op.target == "group":
        out = {op.to_field: (str, doc("Group", "The group whose members get the MMS.", dropdown=GROUP))}
    else:
        out = recipients(op)
    out[op.body_field] = _text(op)
    out["Attachment"] = (bytes, doc("File Content", "The file to send: an image (JPEG, PNG, GIF), PDF, vCard, audio "
                                                    "or video, up to 5 MB.", schema={"type": "file"}))
    out["ReplySTOPToOptOut"] = OPT_OUT
    out["Transactional"] = TRANSACTIONAL
    return out


@lru_cache(maxsize=None)
def form(op_id: str) -> type[BaseModel]:
    """The documented request of one send action, as a model named ``<operationId>Form``."""
    return create_model(f"{op_id}Form", **fields(BY_ID[op_id]))  # type: ignore[call-overload]


def __getattr__(name: str) -> Any:
    """``SendTextToAContactForm`` and the like: what a declaration names (``Operation.doc_body``)."""
    if name.endswith("Form") and name[:-4] in BY_ID:
        return form(name[:-4])
    raise AttributeError(name)
