"""What the SDK calls a text cannot do without cost in CPU, on this machine: the floor under
``cost_per_text.py``'s app CPU per text.

Each call runs in this process against a private in-memory Azurite and the repo's fake
Twilio, and only the calling thread's CPU is counted (``time.thread_time``: the servers'
threads and processes are not). Median of ``--samples`` calls each, after a warm-up.

- sent, per text: one ``twilio`` ``messages.create`` (the provider call; one HTTP POST each
  cannot be batched), the text's share of three 99-row transactions (dispatch stores the
  recipient, send claims it and writes the outcome) and of one transaction of its two
  conversation rows, and its share of the chunk's queue put, receive and delete.
- received, per text: the webhook's signature check (``twilio``'s RequestValidator), its queue
  put, the handler's receive and delete, one table transaction of the stored text (2 rows),
  and one HTTP POST to the flow. Texts arriving together share a queue message and its
  transaction (``--group``: texts per inbound message, as ``cost_per_text.py --detail`` shows
  them: received texts / ``queue inbound put``), so the floor is given for one text alone and
  for ``--group``. The host's own HTTP work (in Azure the .NET host's, here devhost's) is not in it.
  Beside it, the floor with the calls the product makes per queue message whatever the code:
  the senders' contacts and the subscribed flows (a query each), the conversations (one
  transaction), and the deliveries' claims and results (two transactions: a flow gets a text
  once however often its message runs).

    .venv/bin/python bench/sdk_floor.py
    .venv/bin/python bench/sdk_floor.py --baseline-sent 3.5 --baseline-received 16.5   # ms/text of the
                                                                                       # baseline, from
                                                                                       # cost_per_text.py

With the baseline's figures it prints the CPU goal (1/5 of them) beside the floor. Exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Stack, machine_note  # noqa: E402

CHUNK = 99  # recipients per send message and per transaction (messaging.models.MAX_SEND_BATCH)


def cpu_ms(call: Callable[[int], object], samples: int) -> float:
    """Median CPU milliseconds of the calling thread per ``call(i)``."""
    for i in range(3):
        call(-1 - i)  # warm-up: connections, lazy imports
    spent = []
    for i in range(samples):
        t0 = time.thread_time()
        call(i)
        spent.append((time.thread_time() - t0) * 1000)
    return statistics.median(spent)


class _Flow(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="calls measured per kind (default 200)")
    parser.add_argument("--baseline-sent", type=float, help="the baseline's app CPU ms per sent text")
    parser.add_argument("--baseline-received", type=float, help="the baseline's app CPU ms per received text")
    parser.add_argument("--group", type=float, default=1.0,
                        help="received texts per inbound queue message (default 1: each text alone)")
    args = parser.parse_args()
    n = args.samples

    with Stack("floor", in_memory=True) as stack:
        import requests

        from shared_code.common import context
        from shared_code.common.clock import utcnow
        from shared_code.common.sms.base import OutboundMessage
        from shared_code.common.sms.factory import get_provider
        from shared_code.common.storage.rows import create_op, transact

        fake = stack.start_fake(latency=0.0)
        os.environ.update(fake.env())  # the app's own Twilio provider, pointed at the fake
        context.reset()
        provider = get_provider()
        table = context.repos().store.table("FloorRows")
        queue = context.repos().queues.client("floor")
        flow = ThreadingHTTPServer(("127.0.0.1", 0), _Flow)
        threading.Thread(target=flow.serve_forever, daemon=True).start()
        flow_url = f"http://127.0.0.1:{flow.server_address[1]}/flow"
        session = requests.Session()
        session.trust_env = False
        text = OutboundMessage(account_id="acct", campaign_id="camp", to="+14155550100", body="Floor",
                               from_number="+16285550100",
                               status_callback="http://127.0.0.1:1/api/twilio/status?a=acct&c=camp&r=%2B14155550100")

        def rows(pk: str, count: int) -> list[tuple]:
            now = utcnow()
            return [create_op({"PartitionKey": pk, "RowKey": f"+1415555{j:04d}", "AccountId": "acct",
                               "ContactId": "01JCONTACT0000000000000000", "Name": "Bench Contact",
                               "Status": "pending", "Attempts": 0, "UpdatedAt": now}) for j in range(count)]

        figures: dict[str, float] = {}
        figures["twilio messages.create"] = cpu_ms(lambda i: provider.send(text), n)
        figures["table transaction, per row of 99"] = cpu_ms(
            lambda i: transact(table, rows(f"c{i}", CHUNK)), max(20, n // 10)) / CHUNK
        figures["table transaction of 2 rows"] = cpu_ms(lambda i: transact(table, rows(f"t{i}", 2)), n)
        figures["queue put"] = cpu_ms(lambda i: queue.send_message('{"a":"acct","c":"c","p":["+14155550100"]}'), n)
        received: list = []
        figures["queue receive (one message)"] = cpu_ms(
            lambda i: received.extend(queue.receive_messages(max_messages=1, visibility_timeout=300)), n)
        figures["queue delete"] = cpu_ms(lambda i: queue.delete_message(received.pop()), min(n, len(received) - 3))
        figures["HTTP POST to the flow"] = cpu_ms(lambda i: session.post(flow_url, json={"Body": "hi"}, timeout=10), n)
        from twilio.request_validator import RequestValidator

        signature = RequestValidator(_TOKEN).compute_signature(_URL, _PARAMS)
        figures["webhook signature check"] = cpu_ms(lambda i: _signature_check(signature), n)
        transact(table, rows("q", 3))
        figures["table query of a partition's 3 rows"] = cpu_ms(
            lambda i: list(table.query_entities("PartitionKey eq @pk", parameters={"pk": "q"})), n)
        flow.shutdown()

    queue_ops = figures["queue put"] + figures["queue receive (one message)"] + figures["queue delete"]
    # rows a sent text is in: its recipient row stored, claimed, its outcome; its 2 conversation rows
    sent = figures["twilio messages.create"] + 5 * figures["table transaction, per row of 99"] + queue_ops / CHUNK
    per_text = figures["webhook signature check"] + figures["HTTP POST to the flow"]
    row = figures["table transaction, per row of 99"]

    def received_floor(group: float) -> float:
        """Per text, ``group`` texts to a queue message: the message's calls and its transaction
        of 2 rows a text shared, the signature check and the POST each text's own."""
        shared = queue_ops + figures["table transaction of 2 rows"] + (2 * group - 2) * row
        return shared / group + per_text

    print("the SDK calls' CPU, calling thread only, median of each (ms):")
    for name, value in figures.items():
        print(f"  {name:38s} {value:7.3f}")
    print(machine_note())
    print(f"floor per sent text:     {sent:6.2f} ms  (provider call + 5 row writes in 99-row transactions "
          "+ a 99th of put/receive/delete)")
    print(f"floor per received text: {received_floor(1):6.2f} ms  (signature check + put + receive + delete "
          "+ a 2-row transaction + the flow's POST)")
    if args.group != 1:
        print(f"  in groups of {args.group:g} texts a queue message: {received_floor(args.group):6.2f} ms")
    # what the product adds to each queue message of received texts, whatever the code: the
    # senders' contacts (one query), the flows subscribed (one query), the texts' conversations
    # (one transaction) and the deliveries' claims and results (two transactions: a flow is
    # posted to once however often the message runs)
    features = 2 * figures["table query of a partition's 3 rows"] + 3 * figures["table transaction of 2 rows"]
    design = received_floor(args.group) + features / args.group
    print(f"  with what the product needs per queue message (contacts and subscriptions queries, the "
          f"conversations transaction, the deliveries' claim and result): {design:6.2f} ms")
    for label, base, floor in (("sent", args.baseline_sent, sent), ("received, SDK calls", args.baseline_received,
                                                                       received_floor(args.group)),
                               ("received, with the product's calls", args.baseline_received, design)):
        if base:
            goal = base / 5
            print(f"  {label}: goal 1/5 of the baseline's {base:g} ms = {goal:.2f} ms; the floor is "
                  f"{floor / goal:.2f} x that goal ({'below' if floor < goal else 'above'} it)")
    return 0


_PARAMS = {"ToCountry": "US", "ToState": "CA", "SmsMessageSid": "SM" + "0" * 32, "NumMedia": "0",
           "ToCity": "SAN FRANCISCO", "FromZip": "94105", "SmsSid": "SM" + "0" * 32, "FromState": "CA",
           "SmsStatus": "received", "FromCity": "SAN FRANCISCO", "Body": "Hello there", "FromCountry": "US",
           "To": "+16285550100", "ToZip": "94105", "NumSegments": "1", "MessageSid": "SM" + "0" * 32,
           "AccountSid": "AC" + "0" * 32, "From": "+14155550100", "ApiVersion": "2010-04-01"}
_URL = "https://example.azurewebsites.net/api/twilio/inbound"
_TOKEN = "0" * 32  # a Twilio auth token's shape


def _signature_check(signature: str) -> None:
    """What the webhook does for every text before anything else (web/twilio_signature.verify)."""
    from twilio.request_validator import RequestValidator

    if not RequestValidator(_TOKEN).validate(_URL, _PARAMS, signature):
        raise AssertionError("the bench's own signature does not match")


if __name__ == "__main__":
    sys.exit(main())
