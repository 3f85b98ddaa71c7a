import azure.functions as func

from ._http import respond

bp = func.Blueprint()


@bp.route(route="account", methods=["GET"])
def GetAccount(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import account
    return respond(req, account.get_account)
