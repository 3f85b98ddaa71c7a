"""Received texts: the inbound and notify queues (the HTTP side is in ``functions/http.py``)."""

import azure.functions as func

bp = func.Blueprint()


@bp.queue_trigger(arg_name="msg", queue_name="inbound", connection="AzureWebJobsStorage")
def ReceiveText(msg: func.QueueMessage) -> None:
    from shared_code.inbound.receive import on_inbound
    on_inbound(msg.get_body())


@bp.queue_trigger(arg_name="msg", queue_name="notify", connection="AzureWebJobsStorage")
def NotifyFlow(msg: func.QueueMessage) -> None:
    from shared_code.triggers.notify import on_notify
    on_notify(msg.get_body())
