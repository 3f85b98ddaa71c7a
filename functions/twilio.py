import azure.functions as func

from ._http import respond

bp = func.Blueprint()


@bp.route(route="twilio/status", methods=["POST"])
def TwilioStatusCallback(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import messages
    return respond(req, messages.twilio_status)
