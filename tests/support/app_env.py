"""Run the in-process app with extra settings for a while (a fake Twilio's URL, short
backoffs …) and put the environment back afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def app_settings(env: dict[str, str]) -> Iterator[None]:
    """Set ``env`` in os.environ and drop the app's cached settings and clients, so the
    in-process host reads them; restore both on exit."""
    from shared_code.common import context

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    context.reset()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        context.reset()


@contextmanager
def texting_through_fake_twilio(host: Any, extra_env: dict[str, str] | None = None,
                                **knobs: Any) -> Iterator[Any]:
    """A fake Twilio (``knobs``: its stall_seconds, latency …) that the in-process app served by
    ``host`` texts through, with ``host`` as its public URL (status callbacks, links)."""
    from tests.support.fake_twilio import FakeTwilio

    twilio = FakeTwilio(**knobs).start()
    try:
        with app_settings({**twilio.env(), "PUBLIC_BASE_URL": host.base_url, **(extra_env or {})}):
            yield twilio
    finally:
        twilio.stop()
