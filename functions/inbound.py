"""Received texts: Twilio's webhook, the inbound and notify queues, and reading texts."""

import azure.functions as func

from ._http import respond

bp = func.Blueprint()


@bp.route(route="twilio/inbound", methods=["POST"])
def TwilioInbound(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.twilio_inbound)


@bp.route(route="received", methods=["GET"])
def ListReceivedTexts(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.list_received)


@bp.route(route="received/{messageId}", methods=["GET"])
def GetReceivedText(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.get_received)


@bp.route(route="triggers/receivedtexts", methods=["GET"])
def PollReceivedTexts(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.poll_received)


@bp.queue_trigger(arg_name="msg", queue_name="inbound", connection="AzureWebJobsStorage")
def ReceiveText(msg: func.QueueMessage) -> None:
    from shared_code.inbound.receive import on_inbound
    on_inbound(msg.get_body())


@bp.queue_trigger(arg_name="msg", queue_name="notify", connection="AzureWebJobsStorage")
def NotifyFlow(msg: func.QueueMessage) -> None:
    from shared_code.triggers.notify import on_notify
    on_notify(msg.get_body())
