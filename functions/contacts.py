import azure.functions as func

from ._http import respond

bp = func.Blueprint()


@bp.route(route="contacts", methods=["GET"])
def GetContacts(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import contacts
    return respond(req, contacts.list_contacts)


@bp.route(route="contacts/contactnew", methods=["POST"])
def CreateAContact(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import contacts
    return respond(req, contacts.create_contact)


@bp.route(route="contacts/contactupdate", methods=["POST"])
def UpdateAPowerTextorContact(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import contacts
    return respond(req, contacts.update_contact)


@bp.route(route="contacts/{contactId}", methods=["GET"])
def GetContact(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import contacts
    return respond(req, contacts.get_contact)


@bp.route(route="contacts/{contactId}", methods=["DELETE"])
def DeleteContact(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.api import contacts
    return respond(req, contacts.delete_contact)
