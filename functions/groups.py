import azure.functions as func

from ._http import respond

bp = func.Blueprint()


@bp.route(route="groups", methods=["GET"])
def GetGroups(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import groups
    return respond(req, groups.list_groups)


@bp.route(route="groups", methods=["POST"])
def CreateGroup(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import groups
    return respond(req, groups.create_group)


@bp.route(route="groups/{groupId}", methods=["GET"])
def GetGroup(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import groups
    return respond(req, groups.get_group)


@bp.route(route="groups/{groupId}", methods=["PATCH"])
def RenameGroup(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import groups
    return respond(req, groups.rename_group)


@bp.route(route="groups/{groupId}", methods=["DELETE"])
def DeleteGroup(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import groups
    return respond(req, groups.delete_group)


@bp.route(route="groups/{groupId}/members", methods=["GET"])
def ListGroupMembers(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import groups
    return respond(req, groups.list_members)


@bp.route(route="groups/{groupId}/members", methods=["POST"])
def AddGroupMembers(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import groups
    return respond(req, groups.add_members)


@bp.route(route="groups/{groupId}/members/remove", methods=["POST"])
def RemoveGroupMembers(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import groups
    return respond(req, groups.remove_members)
