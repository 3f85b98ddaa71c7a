"""Contract: every request TwilioProvider makes is valid against Twilio's own OpenAPI spec.

Prism mocks the spec and answers 422 to any request the spec forbids (bad SID patterns,
missing To, malformed StatusCallback...), so a call that returns parsed data was accepted.
Prism's log is checked too, because twilio-python hides the validation reason.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from shared_code.common.sms.base import ProviderError
from tests.sms.helpers import MG_SID, msg

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "reference" / "twilio" / "twilio_api_v2010.json"
PRISM = ROOT / "node_modules" / ".bin" / "prism"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2      # ^AC[0-9a-fA-F]{32}$
REJECTED = "did not pass the validation rules"


class Prism:
    def __init__(self, proc: subprocess.Popen, base_url: str, log: Path) -> None:
        self.proc, self.base_url, self.log = proc, base_url, log
        self._seen = 0

    def new_log(self) -> str:
        """Log text written since the last call."""
        text = self.log.read_text(errors="replace")
        new, self._seen = text[self._seen:], len(text)
        return new


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, deadline: float = 30.0) -> None:
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        if proc.poll() is not None:
            pytest.fail(f"prism exited with {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            requests.get(url, timeout=1)   # any HTTP answer (404 at /) means it is listening
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"prism not ready after {deadline}s:\n{log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    if not SPEC.is_file():
        pytest.fail(f"Twilio OpenAPI spec not found at {SPEC} (reference/ is part of the repository)")
    if not PRISM.exists():
        pytest.fail("Prism is not installed: run `npm ci` (make test does it)")
    from devhost.azurite import free_port

    port = free_port()
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
                                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base_url, log)
        yield Prism(proc, base_url, log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)   # its own session: only Prism and its children
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@pytest.fixture()
def contract(prism: Prism, make_settings: Callable[..., Any]) -> Iterator[Any]:
    """A TwilioProvider aimed at Prism; afterwards Prism must not have rejected anything."""
    from shared_code.common.sms.twilio_provider import TwilioProvider

    prism.new_log()
    yield TwilioProvider(make_settings(twilio_account_sid=ACCOUNT_SID, twilio_auth_token="t" * 32,
                                       twilio_api_base_url=prism.base_url))
    log = prism.new_log()
    assert "Request received" in log
    assert REJECTED not in log, log


def _assert_parsed(result: Any) -> None:
    assert re.fullmatch(r"SM[0-9a-fA-F]{32}", result.sid)
    assert result.status == "queued" and result.segments == 1


def test_send_from_number(contract):
    _assert_parsed(contract.send(msg()))


def test_send_with_messaging_service(contract):
    _assert_parsed(contract.send(msg(messaging_service_sid=MG_SID, from_number=None)))


def test_send_with_media_urls(prism, make_settings):
    """twilio-python sends MediaUrl as repeated form keys, as Twilio documents ("provide
    multiple media_url parameters"). Prism 5.14-5.16 cannot read repeated form keys as an
    array (stoplightio/prism#2473), so it answers 422 "MediaUrl must be array": accept that
    one complaint and nothing else. Should Prism learn it, the send must simply pass."""
    from shared_code.common.sms.twilio_provider import TwilioProvider

    provider = TwilioProvider(make_settings(twilio_account_sid=ACCOUNT_SID, twilio_auth_token="t" * 32,
                                            twilio_api_base_url=prism.base_url))
    prism.new_log()
    try:
        _assert_parsed(provider.send(msg(media_urls=("https://cdn.example.com/a.jpg",
                                                     "https://cdn.example.com/b.png"))))
    except ProviderError as err:
        assert err.status == 422, err
        complaints = re.findall(r"\[VALIDATOR\] ✖\s+error\s+(.*)", prism.new_log())
        assert complaints == ["Request body property MediaUrl must be array"], complaints
    else:
        assert REJECTED not in prism.new_log()


def test_send_with_status_callback(contract):
    _assert_parsed(contract.send(msg(
        status_callback="https://func.example.net/api/twilio/status?account=acc1&campaign=c1")))


def test_find_sent_list_calls(contract, prism):
    since = datetime.now(timezone.utc) - timedelta(minutes=5)
    assert contract.find_sent(msg(), since) is None   # Prism's fixed example never matches
    listed = contract._messages.list(to="+15551230001", date_sent_after=since, limit=2)
    assert listed and all(re.fullmatch(r"(SM|MM)[0-9a-fA-F]{32}", m.sid) for m in listed)
    assert isinstance(listed[0].date_created, datetime)
    log = prism.log.read_text(errors="replace")
    assert "DateSent%3E=" in log or "DateSent>=" in log


def test_control_prism_rejects_an_invalid_request(prism, make_settings):
    """Proves the contract tests can fail: a malformed StatusCallback is a 422."""
    from shared_code.common.sms.twilio_provider import TwilioProvider

    provider = TwilioProvider(make_settings(twilio_account_sid=ACCOUNT_SID, twilio_auth_token="t" * 32,
                                            twilio_api_base_url=prism.base_url))
    prism.new_log()
    with pytest.raises(ProviderError) as info:
        provider.send(msg(status_callback="not a url"))
    assert info.value.status == 422 and info.value.transient is False and info.value.code is None
    assert REJECTED in prism.new_log()
