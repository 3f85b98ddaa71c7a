from __future__ import annotations

from ..addressbook.models import CreateGroupBody, GroupMembersBody, ListQuery, RenameGroupBody
from ..addressbook import groups
from ..web.runtime import Call, endpoint


@endpoint(query=ListQuery)
def list_groups(call: Call):  # noqa: ANN201
    return groups.list_groups(call.caller, call.query)


@endpoint(body=CreateGroupBody, status=201)
def create_group(call: Call):  # noqa: ANN201
    return groups.create(call.caller, call.body)


@endpoint()
def get_group(call: Call):  # noqa: ANN201
    return groups.get(call.caller, call.route("groupId"))


@endpoint(body=RenameGroupBody)
def rename_group(call: Call):  # noqa: ANN201
    return groups.rename(call.caller, call.route("groupId"), call.body)


@endpoint()
def delete_group(call: Call):  # noqa: ANN201
    return groups.delete(call.caller, call.route("groupId"))


@endpoint(query=ListQuery)
def list_members(call: Call):  # noqa: ANN201
    return groups.list_members(call.caller, call.route("groupId"), call.query)


@endpoint(body=GroupMembersBody)
def add_members(call: Call):  # noqa: ANN201
    return groups.add_members(call.caller, call.route("groupId"), call.body)


@endpoint(body=GroupMembersBody)
def remove_members(call: Call):  # noqa: ANN201
    return groups.remove_members(call.caller, call.route("groupId"), call.body)


