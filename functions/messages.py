"""The connector's 36 send actions (and "send and wait"): one route each, one endpoint."""

import azure.functions as func

from shared_code.messaging.catalog import SEND_AND_WAIT, SEND_OPERATIONS

from ._http import respond

bp = func.Blueprint()


def _handler(op_id: str):  # noqa: ANN202 - returns a Functions handler named after the operation
    def handler(req: func.HttpRequest) -> func.HttpResponse:
        from shared_code.api.messages import send_endpoint
        return respond(req, send_endpoint(op_id))
    handler.__name__ = handler.__qualname__ = op_id
    return handler


for _op in (*SEND_OPERATIONS, SEND_AND_WAIT):
    bp.route(route=_op.route, methods=["POST"])(_handler(_op.operation_id))
