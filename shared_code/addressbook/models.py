"""Contacts, groups and places: entities and the connector's request bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, StringConstraints

from ..common.fields import ADVANCED, IMPORTANT, INLINE, doc
from ..common.models import EntityModel, RequestModel, ResponseModel, UtcTime
from ..web.dropdowns import CONTACT

MAX_NAME_CHARS = 100  # contact, group and place names, wherever they are given
NameStr = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NAME_CHARS)]
RequiredNameStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_CHARS)]
GooglePlaceIdStr = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{3,512}$")]
REVIEW_URL = "https://search.google.com/local/writereview?placeid={}"


class Contact(EntityModel):
    ContactId: str
    Phone: str
    Name: str = ""
    LastName: str = ""
    Status: str = "Active"
    WelcomeSent: bool = False
    GroupIds: list[str] = []
    CreatedAt: datetime
    UpdatedAt: datetime

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.Name, self.LastName) if p)

    @property
    def label(self) -> str:
        """Dropdown label: name and number, so two Johns can be told apart."""
        return f"{self.full_name} ({self.Phone})" if self.full_name else self.Phone


class Group(EntityModel):
    GroupId: str
    Name: str
    ContactsCount: int = 0
    IsVisible: bool = True
    CreatedAt: datetime
    UpdatedAt: datetime

    @property
    def label(self) -> str:
        n = self.ContactsCount
        return f"{self.Name} ({n} contact{'s' if n != 1 else ''})"


class Member(EntityModel):
    """A group membership row; carries phone and name so a send can expand a group in one scan."""

    GroupId: str
    ContactId: str
    Phone: str
    Name: str = ""


class Place(EntityModel):
    PlaceId: str
    AccountId: str
    GooglePlaceId: str
    Name: str
    CreatedAt: datetime
    UpdatedAt: datetime

    @property
    def review_link(self) -> str:
        return REVIEW_URL.format(self.GooglePlaceId)

    @property
    def label(self) -> str:
        return f"{self.Name} ({self.GooglePlaceId})"


# ---- request bodies (field names are the connector's)

PHONE_TEXT = "E.164 such as +14155550100, or a national number of your account's country"
ContactRef = Annotated[str, doc("Contact", "A contact: a phone number or a contact id.", dropdown=CONTACT)]
CONTACTS_TEXT = "Contacts by phone number or id; numbers not in your address book become contacts."
MAX_PICKS = 1000  # contacts named by one address-book call


class CreateContactBody(RequestModel):
    Phone: str = doc("Contact Number", f"The contact's number: {PHONE_TEXT}.")
    Name: NameStr | None = doc("Contact First Name", "The contact's first name; for a known number, its new name.",
                               None, visibility=IMPORTANT)
    LastName: NameStr | None = doc("Contact Last Name", "The contact's last name.", None, visibility=IMPORTANT)


class UpdateContactBody(RequestModel):
    Contact: str = doc("Contact", "The contact to change: pick from the list, or give its number or id.",
                       dropdown=CONTACT)
    UpdatedContactName: NameStr | None = doc("Updated Contact First Name", "The new first name; empty keeps it.",
                                             None, visibility=IMPORTANT)
    UpdatedContactLastName: NameStr | None = doc("Updated Contact Last Name", "The new last name; empty keeps it.",
                                                 None, visibility=IMPORTANT)
    UpdatedContactNumber: str | None = doc("Updated Contact Number", "The new number; empty keeps it.", None,
                                           visibility=IMPORTANT)


def page_size(largest: int, description: str | None = None) -> Any:
    return doc("Page Size", description or f"At most this many items per page (1 to {largest}); the response then "
                                           "has NextLink when there are more. Empty returns everything.", None,
               visibility=ADVANCED, ge=1, le=largest)


def page_token() -> Any:
    return doc("Page Token", "The skiptoken of the previous page's NextLink; empty for the first page.", None,
               visibility=ADVANCED, max_length=200)


class ListQuery(RequestModel):
    search: Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)] | None = doc(
        "Search", "Part of a name or number to look for (any case); digits match numbers in any format, so 555 0100 "
                  "finds +14155550100.", None, visibility=ADVANCED)
    top: int | None = page_size(MAX_PICKS)
    skiptoken: str | None = page_token()


class CreateGroupBody(RequestModel):
    Name: RequiredNameStr = doc("Group Name", "The group's name.")
    Contacts: list[ContactRef] = doc("Contacts", CONTACTS_TEXT, [], max_length=MAX_PICKS)


class RenameGroupBody(RequestModel):
    Name: RequiredNameStr = doc("Group Name", "The group's name.")


class GroupMembersBody(RequestModel):
    Contacts: list[ContactRef] = doc("Contacts", CONTACTS_TEXT, min_length=1, max_length=MAX_PICKS)


GOOGLE_ID_TEXT = ("The place's Google Place ID, such as ChIJN1t_tDeuEmsRUsoyG83frY4 (find it with Google's Place ID "
                  "Finder).")
PLACE_NAME_TEXT = "The name makers see in the Place dropdown."


class CreatePlaceBody(RequestModel):
    GooglePlaceId: GooglePlaceIdStr = doc("Google Place ID", GOOGLE_ID_TEXT)
    Name: RequiredNameStr = doc("Place Name", PLACE_NAME_TEXT)


class UpdatePlaceBody(RequestModel):
    GooglePlaceId: GooglePlaceIdStr | None = doc("Google Place ID", GOOGLE_ID_TEXT, None, visibility=IMPORTANT)
    Name: RequiredNameStr | None = doc("Place Name", PLACE_NAME_TEXT, None, visibility=IMPORTANT)


# ---- responses (what the connector's definition documents; field names are the original's)

class GroupSummary(ResponseModel):
    """A group the contact belongs to."""

    GroupId: str = doc("Group ID", "The group's id.")
    Name: str = doc("Group Name", "The group's name.")
    IsVisible: bool = doc("Group Is Visible", "True for groups you created.")
    ContactsCount: int = doc("Group Contacts Count", "How many contacts the group has.")


class _ContactFields(ResponseModel):
    """What a contact is in every answer that shows one (a single contact, a list's item)."""

    ContactId: str = doc("Contact ID", "The contact's id.")
    Phone: str = doc("Contact Phone", "The contact's number in E.164, such as +14155550100.")
    Name: str = doc("Contact First Name", "The contact's first name.")
    LastName: str = doc("Contact Last Name", "The contact's last name.")
    Label: str = doc("Contact Label", "Name and number, as shown in dropdowns.")
    WelcomeSent: bool = doc("Welcome Sent", "Whether a welcome text has been sent to the contact.")
    Status: str = doc("Contact Status", "The contact's status, such as Active.")


class ContactOut(_ContactFields):
    """A contact of your address book."""

    model_config = ConfigDict(title="Contact")
    Groups: list[GroupSummary] = doc("Contact Groups", "The groups the contact belongs to.")
    CreatedAt: UtcTime = doc("Contact Created At", "When the contact was saved (UTC).")
    UpdatedAt: UtcTime = doc("Contact Updated At", "When the contact was last changed (UTC).")

    @classmethod
    def of(cls, c: Contact, groups: list[Group] | None = None) -> ContactOut:
        """A single contact as the connector's create/update actions return it (Groups as objects)."""
        return cls.of_attrs(c, Label=c.label, Groups=[GroupSummary.of_attrs(g) for g in groups or []])


class ContactListItem(_ContactFields):
    """A contact in a list."""

    Groups: str = doc("Contact Group Names", "The names of the contact's groups, separated by commas.")
    GroupIds: list[str] = doc("Contact Group IDs", "The ids of the contact's groups.")
    CreatedAt: UtcTime = doc("Contact Created At", "When the contact was saved (UTC).")

    @classmethod
    def of(cls, c: Contact, group_names: dict[str, str]) -> ContactListItem:
        """A contact in GetContacts: the original declares Groups there as a string of names."""
        names = [group_names[g] for g in c.GroupIds if g in group_names]
        return cls.of_attrs(c, Label=c.label, Groups=", ".join(names), GroupIds=list(c.GroupIds))


class GroupOut(ResponseModel):
    """A group of contacts."""

    model_config = ConfigDict(title="Group")
    GroupId: str = doc("Group ID", "The group's id.")
    Name: str = doc("Group Name", "The group's name.")
    ContactsCount: int = doc("Group Contacts Count", "How many contacts the group has.")
    IsVisible: bool = doc("Group Is Visible", "True for groups you created.")
    Label: str = doc("Group Label", "Name and size, as shown in dropdowns.")
    CreatedAt: UtcTime = doc("Group Created At", "When the group was created (UTC).")
    UpdatedAt: UtcTime = doc("Group Updated At", "When the group was last changed (UTC).")

    @classmethod
    def of(cls, g: Group) -> GroupOut:
        return cls.of_attrs(g, Label=g.label)


class MemberOut(ResponseModel):
    """A member of a group."""

    model_config = ConfigDict(title="Member")
    ContactId: str = doc("Member Contact ID", "The member's contact id.")
    Phone: str = doc("Member Phone", "The member's number in E.164.")
    Name: str = doc("Member Name", "The member's full name.")
    Label: str = doc("Member Label", "Name and number.")

    @classmethod
    def of(cls, m: Member) -> MemberOut:
        return cls.of_attrs(m, Label=f"{m.Name} ({m.Phone})" if m.Name else m.Phone)


class PlaceOut(ResponseModel):
    """A place of your business, for review requests."""

    model_config = ConfigDict(title="Place")
    PlaceId: str = doc("Place ID", "The place's id.")
    AccountId: str = doc("Place Account ID", "The account the place belongs to.", visibility=ADVANCED)
    GooglePlaceId: str = doc("Google Place ID", "The place's Google Place ID.")
    Name: str = doc("Place Name", "The place's name.")
    Label: str = doc("Place Label", "Name and Google Place ID, as shown in dropdowns.")
    ReviewLink: str = doc("Review Link", "The Google review form of the place; review requests append it.")
    CreatedAt: UtcTime = doc("Place Created At", "When the place was saved (UTC).")
    UpdatedAt: UtcTime = doc("Place Updated At", "When the place was last changed (UTC).")

    @classmethod
    def of(cls, p: Place) -> PlaceOut:
        return cls.of_attrs(p, Label=p.label, ReviewLink=p.review_link)


# ---- CSV import and export (the portal's address book)

MAX_IMPORT_ROWS = 500  # rows one import call takes: a larger file goes in several calls
MAX_IMPORT_CHUNK_CHARS = 200_000  # the CSV text of one call (500 rows of long names fit)
MAX_IMPORT_FILE_BYTES = 2_000_000  # a whole file uploaded at once (~40,000 short rows)
MAX_HEADER_CHARS = 2_000


class ImportChunkBody(RequestModel):
    """A slice of a CSV file, cut at a row boundary: the file's first row (to read the
    columns from its header) and the rows from ``FirstRow`` on."""

    Header: str = doc("Header", "The file's first row, as it is in the file.", max_length=MAX_HEADER_CHARS)
    Csv: str = doc("Rows", f"Up to {MAX_IMPORT_ROWS} rows of the file, as they are in it.",
                   max_length=MAX_IMPORT_CHUNK_CHARS)
    FirstRow: int = doc("First Row", "The file's row number of the first row in Rows (1 = the first row).",
                        ge=1, le=10_000_000)


class ImportRowOut(ResponseModel):
    """A row of the file that was not imported as it is, and why."""

    Row: int = doc("Row", "The row number in the file (1 = the first row).")
    Outcome: str = doc("Outcome", "rejected, or updated when the row named a number given earlier in the file.")
    Field: str = doc("Field", "The column at fault (Name, LastName or Phone), empty for the whole row.")
    Value: str = doc("Value", "What the row had in it (first 60 characters).")
    Message: str = doc("Message", "What was wrong, as the API says it.")


class ImportReport(ResponseModel):
    """What an import did: counts, and the rows that need a look."""

    Rows: int = doc("Rows Read", "Data rows read (the header and empty rows not counted).")
    Created: int = doc("Created", "New contacts.")
    Updated: int = doc("Updated", "Known numbers whose name changed.")
    Unchanged: int = doc("Unchanged", "Known numbers with the same name.")
    Rejected: int = doc("Rejected", "Rows not imported (see Problems).")
    HeaderFound: bool = doc("Header Found", "Whether the first row was read as column names.")
    Columns: list[str] = doc("Columns", "The columns as read: Name, LastName, Phone or blank for ignored ones.")
    Problems: list[ImportRowOut] = doc("Problems", "Rows rejected or merged, with the reason.")


class DeletedContact(ResponseModel):
    model_config = INLINE
    ContactId: str = doc("Contact ID", "The deleted contact's id.")
    Deleted: bool = doc("Deleted", "Always true.")


class DeletedGroup(ResponseModel):
    model_config = INLINE
    GroupId: str = doc("Group ID", "The deleted group's id.")
    Deleted: bool = doc("Deleted", "Always true.")


class DeletedPlace(ResponseModel):
    model_config = INLINE
    PlaceId: str = doc("Place ID", "The deleted place's id.")
    Deleted: bool = doc("Deleted", "Always true.")
