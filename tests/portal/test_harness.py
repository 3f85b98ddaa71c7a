"""The browser harness itself: Debian's Chromium opens what devhost serves."""

from __future__ import annotations

import json

from tests.support.browser import RUN_SHOTS, shoot


def test_chromium_opens_a_devhost_url(page) -> None:  # noqa: ANN001
    answer = page.goto("/api/account")
    assert answer is not None and answer.status == 401
    body = json.loads(page.locator("body").inner_text())
    assert body["Success"] is False and body["Error"]["Code"] == "ApiKeyMissing"


def test_shoot_writes_a_desktop_and_a_phone_image(page) -> None:  # noqa: ANN001
    page.goto("/api/account")
    files = shoot(page, "harness-smoke")
    assert files == [RUN_SHOTS / "harness-smoke-desktop.png", RUN_SHOTS / "harness-smoke-phone.png"]
    sizes = []
    for f in files:
        head = f.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        sizes.append((int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")))
    assert sizes == [(1280, 800), (390, 844)]
    assert page.viewport_size == {"width": 1280, "height": 800}  # put back for the rest of the test
