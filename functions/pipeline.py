"""The sending pipeline: dispatch and send queues, and the scheduler timer."""

import azure.functions as func

bp = func.Blueprint()


@bp.queue_trigger(arg_name="msg", queue_name="dispatch", connection="AzureWebJobsStorage")
def Dispatch(msg: func.QueueMessage) -> None:
    from shared_code.messaging.pipeline import on_dispatch
    on_dispatch(msg.get_body())


@bp.queue_trigger(arg_name="msg", queue_name="send", connection="AzureWebJobsStorage")
def Send(msg: func.QueueMessage) -> None:
    from shared_code.messaging.pipeline import on_send
    on_send(msg.get_body())


@bp.timer_trigger(arg_name="timer", schedule="0 * * * * *", run_on_startup=False, use_monitor=False)
def Scheduler(timer: func.TimerRequest) -> None:
    from shared_code.messaging.pipeline import on_timer
    on_timer()
