"""The connector's send operations, as data: which route, which recipients, what content,
when. The original's 36, ours ("send and wait") and the two general actions a maker sees first
("Send a text", "Send a review request"). Handlers and the one campaign service read this
table; nothing is written 39 times.

Imported while the app is indexed, so it uses the standard library only (cold start)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "review", "reminder", "mms"]
# "mixed": contacts, groups and numbers together, each in its own field (the general actions)
Target = Literal["contact", "contacts", "group", "groups", "number", "numbers", "new_contact", "new_group", "mixed"]
# "any": now unless a schedule is given, or event reminders when an event date is given
Timing = Literal["now", "scheduled", "reminder", "any"]


@dataclass(frozen=True)
class SendOperation:
    operation_id: str
    route: str            # below the /api prefix
    kind: Kind
    target: Target
    timing: Timing
    to_field: str         # where the recipients are
    body_field: str       # where the text is
    place_field: str | None = None  # review requests: the place (a Google Place ID from the dropdown)
    groups_field: str | None = None  # also send to these groups (the "send and wait" action)
    numbers_field: str | None = None  # also send to these numbers (the general actions)
    media_field: str | None = None  # a public URL of an attachment to send with the text

    @property
    def summary(self) -> str:
        return f"{self.kind} to {self.target.replace('_', ' ')} ({self.timing})"


def _op(op_id: str, route: str, kind: Kind, target: Target, timing: Timing, to: str, body: str,
        place: str | None = None, groups: str | None = None) -> SendOperation:
    return SendOperation(op_id, route, kind, target, timing, to, body, place, groups)


SEND_OPERATIONS: tuple[SendOperation, ...] = (
    # text now
    _op("SendTextToAContact", "messages/sendmessagesinglecontact", "text", "contact", "now", "To", "Body"),
    _op("SendTextMessageToMultipleContacts", "messages/send", "text", "contacts", "now", "To", "Body"),
    _op("SendTextMessageToAGroup", "messages/sendsinglegroup", "text", "group", "now", "To", "Body"),
    _op("SendTextMessageToMultipleGroups", "messages/sendgroup", "text", "groups", "now", "GroupName", "Body"),
    _op("SendTextMessageToANumber", "messages/sendsimple", "text", "number", "now", "To", "Body"),
    _op("SendTextMessage", "messages/sendsimpletext", "text", "number", "now", "To", "Body"),
    _op("SendMessageToMultipleNumbers", "messages/sendtomulticontact", "text", "numbers", "now", "ContactNumber", "Body"),
    _op("SendMessageToANewContact", "messages/sendsimplewithName", "text", "new_contact", "now", "ContactNumber", "Message"),
    _op("SendTextToANewGroup", "messages/creategroupsend", "text", "new_group", "now", "To", "Body"),
    # text scheduled
    _op("ScheduleMessageForAContact", "messages/scheduletext", "text", "contact", "scheduled", "To", "Body"),
    _op("ScheduleTextToMultipleContacts", "messages/scheduletextmulticontacts", "text", "contacts", "scheduled", "To", "Body"),
    _op("ScheduleTextMessagesForAGroup", "messages/scheduletextsingleGroup", "text", "group", "scheduled", "To", "Body"),
    _op("ScheduleMessageForGroups", "messages/scheduletextbulk", "text", "groups", "scheduled", "To", "Body"),
    _op("ScheduleTextForANewContact", "messages/scheduletextwithname", "text", "new_contact", "scheduled", "ContactNumber", "Message"),
    _op("ScheduleTextForANewGroup", "messages/scheduledcreategroupsend", "text", "new_group", "scheduled", "To", "Body"),
    # review now
    _op("SendReviewSingleContact", "messages/sendereviewsinglecontact", "review", "contact", "now", "To", "Body", "GooglePlaceId"),
    _op("SendReviewTextMultipleContacts", "messages/sendereviewmulticontact", "review", "contacts", "now", "To", "Body", "GooglePlaceId"),
    _op("SendReviewTextMessageToAGroup", "messages/sendreviewtosinglegroup", "review", "group", "now", "To", "Body", "PlaceId"),
    _op("SendReviewTextGroups", "messages/sendreview", "review", "groups", "now", "GroupName", "Body", "PlaceId"),
    _op("SendReviewTextMessageToANewContact", "messages/createcontactreviewsend", "review", "new_contact", "now", "ContactNumber", "ReviewText", "PlaceId"),
    _op("SendReviewToANewGroup", "messages/creategroupreviewsend", "review", "new_group", "now", "To", "ReviewText", "PlaceId"),
    # review scheduled
    _op("ScheduleReviewMessageForAContact", "messages/schedulereviewtext", "review", "contact", "scheduled", "To", "Body", "GooglePlaceId"),
    _op("ScheduleReviewTextMessageForContacts", "messages/schedulereviewcontacts", "review", "contacts", "scheduled", "To", "Body", "GooglePlaceId"),
    _op("ScheduleReviewTextMessageForAGroup", "messages/scheduledsingleGroupreview", "review", "group", "scheduled", "To", "Body", "PlaceId"),
    _op("ScheduleReviewGroups", "messages/scheduledbulkreview", "review", "groups", "scheduled", "GroupName", "Body", "PlaceId"),
    _op("ScheduleReviewTextMessageToANewContact", "messages/schedulereviewtextwithcontact", "review", "new_contact", "scheduled", "ContactNumber", "ReviewText", "GooglePlaceId"),
    _op("ScheduleReviewToANewGroup", "messages/creategroupschedulereview", "review", "new_group", "scheduled", "To", "ReviewText", "PlaceId"),
    # event reminders
    _op("SendTextMessageEventReminderToAContact", "messages/sendreminderssinglecontact", "reminder", "contact", "reminder", "To", "ReminderText"),
    _op("SendTextMessageEventReminderToMultipleContacts", "messages/sendremindersmulticontact", "reminder", "contacts", "reminder", "To", "ReminderText"),
    _op("SendTextEventReminderToAGroup", "messages/sendremindertosinglegroup", "reminder", "group", "reminder", "To", "ReminderText"),
    _op("SendTextMessageEventReminderToGroups", "messages/sendremindertogroups", "reminder", "groups", "reminder", "GroupName", "ReminderText"),
    _op("SendMessageEventReminderToANewContact", "messages/sendreminderwithcontact", "reminder", "new_contact", "reminder", "ContactNumber", "ReminderText"),
    _op("SendTextEventReminderToNewGroup", "messages/creategroupremindersend", "reminder", "new_group", "reminder", "To", "ReminderText"),
    # MMS (multipart/form-data with one Attachment)
    _op("SendMMSContacts", "messages/sendmmscontacts", "mms", "contacts", "now", "To", "Message"),
    _op("SendMMSGroup", "messages/sendmmsgroup", "mms", "group", "now", "GroupName", "Message"),
    _op("SendMMSNewContact", "messages/sendmmsnewcontact", "mms", "new_contact", "now", "ContactNumber", "Message"),
)

# Ours: one action that texts contacts, numbers and groups, answering 202 until delivery is final.
SEND_AND_WAIT = _op("SendAndWaitForDelivery", "campaigns/sendandwait", "text", "contacts", "now", "To", "Body",
                    groups="GroupName")


# The short action list: one general action per thing a maker does, recipients of every kind
# in one step; review place, schedule, reminders and attachment are optional fields.
SEND_TEXT = SendOperation("SendText", "send/text", "text", "mixed", "any", "To", "Body", place_field="PlaceId",
                          groups_field="Groups", numbers_field="Numbers", media_field="MediaUrl")
SEND_REVIEW_REQUEST = SendOperation("SendReviewRequest", "send/reviewrequest", "review", "mixed", "now", "To", "Body",
                                    place_field="PlaceId", groups_field="Groups", numbers_field="Numbers")
GENERAL_SENDS: tuple[SendOperation, ...] = (SEND_TEXT, SEND_REVIEW_REQUEST)

BY_ID: dict[str, SendOperation] = {op.operation_id: op
                                   for op in (*GENERAL_SENDS, *SEND_OPERATIONS, SEND_AND_WAIT)}
