import azure.functions as func

from ._http import respond

bp = func.Blueprint()


@bp.route(route="places", methods=["GET"])
def GetPlaces(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import places
    return respond(req, places.list_places)


@bp.route(route="places", methods=["POST"])
def CreatePlace(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import places
    return respond(req, places.create_place)


@bp.route(route="places/{placeId}", methods=["GET"])
def GetPlace(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import places
    return respond(req, places.get_place)


@bp.route(route="places/{placeId}", methods=["PATCH"])
def UpdatePlace(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import places
    return respond(req, places.update_place)


@bp.route(route="places/{placeId}", methods=["DELETE"])
def DeletePlace(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import places
    return respond(req, places.delete_place)
