"""Groups of contacts and their members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import Envelope, Feature, Param, Reply, lazy
from ..web.dropdowns import GROUP_ID

if TYPE_CHECKING:
    from ..web.runtime import Call

groups = lazy("shared_code.addressbook.groups")
api = Feature("shared_code.addressbook.models")

GROUP = Envelope("GroupResponse", "A group.", data="GroupOut")
GROUPS = Envelope("GroupListResponse", "Groups, sorted by name (or one page of them).", items="GroupOut", paged=True)
MEMBERS = Envelope("MemberListResponse", "The members of a group.", items="MemberOut", paged=True)
DELETED = Envelope("DeletedGroupResponse", "The group that was deleted.", data="DeletedGroup")
GROUP_PATH = {"groupId": Param("Group", "The group's id (pick from the list).", GROUP_ID)}


@api.get("groups", "GetGroups", query="ListQuery", ok=GROUPS, ok_description="The groups.", visibility="advanced",
         summary="Get groups",
         description="Lists the groups of your account sorted by name, optionally filtered by a search and paged.")
def list_groups(call: Call) -> Any:
    return groups.list_groups(call.caller, call.query)


@api.post("groups", "CreateGroup", body="CreateGroupBody", body_description="The new group.",
          ok=Reply(GROUP, "The group was created."), status=201, visibility="advanced", summary="Create a group",
          description="Creates a group, optionally with members, without sending anything.")
def create_group(call: Call) -> Any:
    return groups.create(call.caller, call.body)


@api.get("groups/{groupId}", "GetGroup", path=GROUP_PATH, ok=GROUP, ok_description="The group.",
         visibility="advanced", summary="Get a group", description="Returns one group with its size.")
def get_group(call: Call) -> Any:
    return groups.get(call.caller, call.route("groupId"))


@api.patch("groups/{groupId}", "RenameGroup", path=GROUP_PATH, body="RenameGroupBody", body_description="The new name.",
           ok=GROUP, ok_description="The renamed group.", visibility="advanced", summary="Rename a group",
           description="Gives a group a new name; its members stay.")
def rename_group(call: Call) -> Any:
    return groups.rename(call.caller, call.route("groupId"), call.body)


@api.delete("groups/{groupId}", "DeleteGroup", path=GROUP_PATH, ok=DELETED, ok_description="Deleted.",
            visibility="advanced", summary="Delete a group",
            description="Deletes a group; its contacts stay in your address book.")
def delete_group(call: Call) -> Any:
    return groups.delete(call.caller, call.route("groupId"))


@api.get("groups/{groupId}/members", "ListGroupMembers", path=GROUP_PATH, query="ListQuery", ok=MEMBERS,
         ok_description="The members.", visibility="advanced", summary="List the members of a group",
         description="Lists the contacts in a group, optionally filtered by a search and paged.")
def list_members(call: Call) -> Any:
    return groups.list_members(call.caller, call.route("groupId"), call.query)


@api.post("groups/{groupId}/members", "AddGroupMembers", path=GROUP_PATH, body="GroupMembersBody",
          body_description="The contacts to add.", ok=GROUP, ok_description="The group with its new size.",
          visibility="advanced", summary="Add contacts to a group",
          description="Adds contacts to a group; numbers not in your address book become contacts.")
def add_members(call: Call) -> Any:
    return groups.add_members(call.caller, call.route("groupId"), call.body)


@api.post("groups/{groupId}/members/remove", "RemoveGroupMembers", path=GROUP_PATH, body="GroupMembersBody",
          body_description="The contacts to remove.", ok=GROUP, ok_description="The group with its new size.",
          visibility="advanced", summary="Remove contacts from a group",
          description="Takes contacts out of a group; they stay in your address book.")
def remove_members(call: Call) -> Any:
    return groups.remove_members(call.caller, call.route("groupId"), call.body)
