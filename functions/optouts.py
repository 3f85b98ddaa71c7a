"""Opt-out management: list, check one number, opt a number out or in by hand (audited)."""

import azure.functions as func

from ._http import respond

bp = func.Blueprint()


@bp.route(route="optouts", methods=["GET"])
def ListOptOuts(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.list_optouts)


@bp.route(route="optouts/check", methods=["GET"])
def CheckOptOut(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.check_optout)


@bp.route(route="optouts/optout", methods=["POST"])
def OptOutNumber(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.opt_out)


@bp.route(route="optouts/optin", methods=["POST"])
def OptInNumber(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.opt_in)
