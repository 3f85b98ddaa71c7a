"""Power Automate webhook triggers: register (201 + Location), delete, and their status."""

import azure.functions as func

from ._http import respond

bp = func.Blueprint()


@bp.route(route="twilio/registration", methods=["POST"])
def ProductionWebhook(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.subscribe_sms)


@bp.route(route="twilio/MMSregistration", methods=["POST"])
def MMSWebhook(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.subscribe_mms)


@bp.route(route="twilio/statusregistration", methods=["POST"])
def DeliveryStatusWebhook(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.subscribe_status)


@bp.route(route="twilio/{RegistrationId}", methods=["DELETE"])
def InternalActionForWebhookDeletion(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.delete_subscription)


@bp.route(route="subscriptions", methods=["GET"])
def ListTriggerSubscriptions(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.list_subscriptions)


@bp.route(route="subscriptions/{subscriptionId}", methods=["GET"])
def GetTriggerSubscription(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import inbound
    return respond(req, inbound.get_subscription)
