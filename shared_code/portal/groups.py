"""Groups: the list with member counts, create, rename, delete (the contacts stay), and the
group's page with its members (remove) and a searchable picker to add contacts. The picker
works without script (a search form listing matches with checkboxes); with it, the list
follows the search box as you type (``contacts/picker``, JSON). All through
``addressbook.groups``, as the API's group operations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .runtime import validated
from .site import site

if TYPE_CHECKING:
    from .runtime import View

groups = lazy("shared_code.addressbook.groups")
contacts = lazy("shared_code.addressbook.contacts")
MEMBERS_PAGE = 50  # members per page of a group's page
ADD_PREFIX = "add_"  # a picker checkbox is named add_<contact id> (one field per contact)


def _list(view: View, status: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Any:
    from ..addressbook.models import ListQuery

    listed = groups.list_groups(view.caller, ListQuery()).items
    return view.render("groups.html", status=status, groups=listed, errors=errors or {}, values=values or {})


@site.page("GET", "groups", "PortalGroups", title="Groups", nav=True)
def list_groups(view: View) -> Any:
    return _list(view)


@site.page("POST", "groups", "PortalCreateGroup")
def create_group(view: View) -> Any:
    from ..addressbook.models import CreateGroupBody
    from ..common.errors import ApiError

    try:
        group = groups.create(view.caller, validated(CreateGroupBody, {"Name": view.form.get("Name", "")}))
    except ApiError as err:
        return _list(view, err.status, view.errors_from(err), {"Name": view.form.get("Name", "")})
    return view.redirect(f"/groups/{group.GroupId}", flash=f"Created {group.Name}. Now add its members.")


def _group_page(view: View, group_id: str, status: int = 200, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None) -> Any:
    from ..addressbook.models import ListQuery
    from .contacts import PICKER_SIZE, opted_out

    group = groups.get(view.caller, group_id)
    members = groups.list_members(view.caller, group_id, validated(ListQuery, {
        "top": MEMBERS_PAGE, "skiptoken": view.query.get("skiptoken") or None}))
    search = (view.query.get("find") or "").strip()
    matches = contacts.list_contacts(view.caller, validated(ListQuery, {"search": search or None, "top": PICKER_SIZE}))
    return view.render("group.html", status=status, group=group, members=members.items, next_token=members.next_token,
                       paged=bool(view.query.get("skiptoken")), find=search, candidates=matches.items,
                       more_candidates=bool(matches.next_token), opted_out=opted_out(view), errors=errors or {},
                       values=values or {"Name": group.Name}, add_prefix=ADD_PREFIX)


@site.page("GET", "groups/{groupId}", "PortalGroup")
def group_page(view: View) -> Any:
    return _group_page(view, view.route("groupId"))


@site.page("POST", "groups/{groupId}/rename", "PortalRenameGroup")
def rename_group(view: View) -> Any:
    from ..addressbook.models import RenameGroupBody
    from ..common.errors import ApiError

    group_id = view.route("groupId")
    try:
        group = groups.rename(view.caller, group_id, validated(RenameGroupBody, {"Name": view.form.get("Name", "")}))
    except ApiError as err:
        return _group_page(view, group_id, err.status, view.errors_from(err), {"Name": view.form.get("Name", "")})
    return view.redirect(f"/groups/{group_id}", flash=f"Renamed the group to {group.Name}.")


@site.page("POST", "groups/{groupId}/delete", "PortalDeleteGroup")
def delete_group(view: View) -> Any:
    group = groups.get(view.caller, view.route("groupId"))
    groups.delete(view.caller, group.GroupId)
    return view.redirect("/groups", flash=f"Deleted the group {group.Name}; its contacts stay in your contacts.")


@site.page("POST", "groups/{groupId}/members", "PortalAddMembers")
def add_members(view: View) -> Any:
    from ..addressbook.models import GroupMembersBody
    from ..common.errors import ApiError

    group_id = view.route("groupId")
    picked = [k[len(ADD_PREFIX):] for k, v in view.form.items() if k.startswith(ADD_PREFIX) and v]
    try:
        group = groups.add_members(view.caller, group_id, validated(GroupMembersBody, {"Contacts": picked}))
    except ApiError as err:
        errors = {"Contacts": err.message}
        return _group_page(view, group_id, err.status, errors)
    return view.redirect(f"/groups/{group_id}", flash=f"Added {len(picked)} to {group.Name}: "
                                                      f"{group.ContactsCount} member{'s' if group.ContactsCount != 1 else ''} now.")


@site.page("POST", "groups/{groupId}/members/remove", "PortalRemoveMember")
def remove_member(view: View) -> Any:
    from ..addressbook.models import GroupMembersBody

    group_id = view.route("groupId")
    contact_id = view.form.get("ContactId", "")
    group = groups.remove_members(view.caller, group_id, validated(GroupMembersBody, {"Contacts": [contact_id]}))
    return view.redirect(f"/groups/{group_id}", flash=f"Removed from {group.Name}: "
                                                      f"{group.ContactsCount} member{'s' if group.ContactsCount != 1 else ''} now.")
