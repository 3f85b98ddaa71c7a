import azure.functions as func

from ._http import respond

bp = func.Blueprint()


@bp.route(route="campaigns", methods=["GET"])
def ListCampaigns(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import messages
    return respond(req, messages.list_campaigns)


@bp.route(route="campaigns/{campaignId}", methods=["GET"])
def GetCampaign(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import messages
    return respond(req, messages.get_campaign)


@bp.route(route="campaigns/{campaignId}/status", methods=["GET"])
def GetCampaignStatus(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import messages
    return respond(req, messages.campaign_status)


@bp.route(route="campaigns/{campaignId}/recipients", methods=["GET"])
def ListCampaignRecipients(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import messages
    return respond(req, messages.list_recipients)


@bp.route(route="campaigns/{campaignId}/cancel", methods=["POST"])
def CancelCampaign(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import messages
    return respond(req, messages.cancel_campaign)


@bp.route(route="campaigns/{campaignId}/reschedule", methods=["POST"])
def RescheduleCampaign(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import messages
    return respond(req, messages.reschedule_campaign)


@bp.route(route="r/{code}", methods=["GET"])
def FollowReviewLink(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import messages
    return respond(req, messages.follow_link)
