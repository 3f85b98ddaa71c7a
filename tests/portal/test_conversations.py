"""Conversations in Chromium: a text received through Twilio's SIGNED webhook shows up in its
open thread without a reload; a reply from the thread goes through the send pipeline and
reaches the fake Twilio; unread counts; opted-out numbers get no reply box.

The session's portal devhost runs HTTP only (its queue functions are off, see conftest), so
these tests serve the app from an in-process devhost of their own that runs every function,
polling queues fast, with the Twilio provider pointed at the fake."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from tests.inbound.helpers import post_webhook, text_params, wait_until
from tests.support import browser as support
from tests.support.app_env import app_settings
from tests.support.browser import shoot
from tests.support.fake_twilio import FakeTwilio

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def live(storage: str) -> Iterator[tuple[object, FakeTwilio]]:
    from devhost.azurite import free_port
    from devhost.host import DevHost
    from function_app import app
    from tests.conftest import ROOT

    fake = FakeTwilio().start()
    dev = DevHost(app, connection_string=storage, port=free_port(), host_json=ROOT / "host.json", poll_interval=0.2)
    with app_settings({**fake.env(), "PUBLIC_BASE_URL": dev.base_url}):
        dev.start()
        try:
            yield dev, fake
        finally:
            dev.stop()
    fake.stop()


@pytest.fixture()
def page(browser, live) -> Iterator[object]:  # noqa: ANN001
    tab = support.new_page(browser, live[0].base_url)
    yield tab
    errors = list(tab.errors)
    tab.context.close()
    assert errors == [], f"uncaught script errors on the page: {errors}"


def _contact(business, name: str, phone: str):  # noqa: ANN001, ANN202
    from shared_code.addressbook import contacts
    from shared_code.addressbook.models import CreateContactBody

    return contacts.create_or_rename(business.caller, CreateContactBody(Phone=phone, Name=name))


def _receipt(fake: FakeTwilio, sent, status: str):  # noqa: ANN001, ANN202
    """Twilio's status callback for ``sent``, signed over its URL."""
    import requests
    from twilio.request_validator import RequestValidator

    params = {"MessageSid": sent.sid, "AccountSid": fake.account_sid, "To": sent.to, "From": sent.from_,
              "MessageStatus": status}
    sig = RequestValidator(fake.auth_token).compute_signature(sent.status_callback, params)
    session = requests.Session()
    session.trust_env = False
    return session.post(sent.status_callback, data=params, headers={"X-Twilio-Signature": sig}, timeout=10)


def _business_phone(business) -> str:  # noqa: ANN001
    from shared_code.accounts.storage import accounts_repo

    return accounts_repo().get(business.account_id).Phone


def test_a_received_text_appears_in_the_open_thread_and_a_reply_reaches_twilio(page, business, live) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    from tests.support.tenants import new_phone

    dev, fake = live
    customer = new_phone("415")
    _contact(business, "Ada Lovelace", customer)
    ours = _business_phone(business)
    first = post_webhook(dev.base_url, fake.auth_token, text_params(customer, ours, "Is my table ready?"))
    assert first.status_code == 200, first.text
    page.goto("/conversations")
    link = page.locator(".thread-item a", has_text="Ada Lovelace")
    assert wait_until(lambda: (page.reload(), link.count() == 1)[1], timeout=15, every=0.5), page.content()
    assert page.locator("[data-unread]").inner_text() == "1 unread"
    shoot(page, "conversations")
    link.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ada Lovelace"
    assert page.locator("#thread-texts li").all_inner_texts()[0].startswith("Is my table ready?")
    # a new text through the signed webhook shows up without a reload
    url_before = page.url
    second = post_webhook(dev.base_url, fake.auth_token, text_params(customer, ours, f"And a high chair {XSS}"))
    assert second.status_code == 200
    page.locator("#thread-texts li", has_text="And a high chair").wait_for(timeout=20_000)
    assert page.url == url_before
    assert page.locator("#thread-texts li").last.inner_text().startswith(f"And a high chair {XSS}")
    assert page.locator("main img").count() == 0
    # the reply box counts segments as you type
    page.get_by_label("Your reply").fill("Yes – ready")  # the en dash makes it UCS-2
    expect(page.locator("#segments")).to_contain_text("(UCS-2)")
    page.get_by_label("Your reply").fill("Yes, your table is ready")
    expect(page.locator("#segments")).to_have_text("1 segment (GSM-7) · 24 characters")
    page.get_by_role("button", name="Send reply").click()
    assert page.get_by_role("status").inner_text().startswith("Reply sent")
    sent = wait_until(lambda: [m for m in fake.messages if m.to == customer], timeout=20, every=0.2)
    assert [m.body for m in sent] == ["Yes, your table is ready"]
    page.locator("#thread-texts li.out", has_text="Yes, your table is ready").wait_for(timeout=20_000)
    texts = page.locator("#thread-texts li").all_inner_texts()
    assert [t.split("\n")[0] for t in texts] == ["Is my table ready?", f"And a high chair {XSS}",
                                                 "Yes, your table is ready"]
    shoot(page, "thread")
    # the thread was read: no unread badge any more
    page.goto("/conversations")
    assert page.locator("[data-unread]").count() == 0
    # search by name and by number
    page.get_by_label("Search conversations").fill("lovelace")
    page.get_by_role("button", name="Search").click()
    assert link.count() == 1
    page.get_by_label("Search conversations").fill(customer[-7:])
    page.get_by_role("button", name="Search").click()
    assert link.count() == 1


def test_a_retried_webhook_message_counts_once(page, business, live) -> None:  # noqa: ANN001
    """The same MessageSid twice (Twilio retries a webhook): one text in the thread, 1 unread."""
    from tests.support.tenants import new_phone

    dev, fake = live
    customer = new_phone("415")
    params = text_params(customer, _business_phone(business), "Hello?")
    for _ in range(2):
        assert post_webhook(dev.base_url, fake.auth_token, params).status_code == 200
    from shared_code.conversations.storage import conversations_repo

    wait_until(lambda: conversations_repo().thread(business.account_id, customer), timeout=15)
    time.sleep(1.5)  # the second queue message's turn
    thread = conversations_repo().thread(business.account_id, customer)
    assert thread.Unread == 1
    page.goto(f"/conversations/{quote(customer)}")
    assert page.locator("#thread-texts li").count() == 1


def test_an_opted_out_number_has_no_reply_box(page, business, live) -> None:  # noqa: ANN001
    from tests.support.tenants import new_phone

    dev, fake = live
    customer = new_phone("415")
    assert post_webhook(dev.base_url, fake.auth_token, text_params(customer, _business_phone(business),
                                                                   "STOP")).status_code == 200
    from shared_code.inbound.storage import optouts_repo

    wait_until(lambda: (s := optouts_repo().get(business.account_id, customer)) and s.OptedOut, timeout=15)
    page.goto(f"/conversations/{quote(customer)}")
    assert "This number opted out" in page.locator("#opted-out").inner_text()
    assert page.get_by_label("Your reply").count() == 0
    # a reply posted anyway (an old tab, a forged form) is refused in the API's words
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    forced = page.request.post(f"/conversations/{quote(customer)}", form={"csrf_token": token, "Body": "Hello?"},
                               headers={"Origin": dev.base_url})
    assert forced.status == 422
    assert f"{customer} opted out (replied STOP)" in forced.text()
    time.sleep(1)
    assert [m for m in fake.messages if m.to == customer and m.body == "Hello?"] == []


def test_a_send_batch_recorded_twice_is_one_text_per_number(storage) -> None:  # noqa: ANN001
    """A send message processed again after a crash between the provider call and the result
    write reconciles the same attempt: its texts must land on the same conversation rows."""
    from datetime import datetime, timedelta, timezone

    from shared_code.accounts import accounts
    from shared_code.conversations import threads
    from shared_code.messaging.models import Recipient
    from tests.support.tenants import new_phone

    account = accounts.create_account("Twice Co", new_phone("628"), "US")
    claimed = datetime.now(timezone.utc) - timedelta(seconds=30)
    phone = new_phone("415")
    for later in (0, 20):  # the second run claims later; the attempt's UncertainSince stays
        r = Recipient(Phone=phone, AccountId=account.AccountId, Status="sending", UncertainSince=claimed,
                      SendingAt=claimed + timedelta(seconds=later), UpdatedAt=claimed)
        threads.record_sent(account.AccountId, "01CAMPAIGNTWICE00000000000", "Hi", [], [(r, "queued", "SM1", "", "")])
    texts = threads.texts(account.AccountId, phone, 10)
    assert [(t.Body, t.Status) for t in texts] == [("Hi", "queued")]
    assert threads.inbox(account.AccountId, 10).items[0].LastBody == "Hi"


def test_media_of_a_received_mms_is_shown_as_links(page, business, live) -> None:  # noqa: ANN001
    from tests.inbound.helpers import mms_params
    from tests.support.tenants import new_phone

    dev, fake = live
    customer = new_phone("415")
    params = mms_params(customer, _business_phone(business), "Look at this", urls=2)
    params.update({"NumMedia": "3", "MediaUrl2": "javascript:alert(1)", "MediaContentType2": "text/html"})
    assert post_webhook(dev.base_url, fake.auth_token, params).status_code == 200
    from shared_code.conversations.storage import conversations_repo

    assert wait_until(lambda: conversations_repo().thread(business.account_id, customer), timeout=15)
    page.goto(f"/conversations/{quote(customer)}")
    links = page.locator("#thread-texts .text-media a")
    assert links.all_inner_texts() == ["Attachment 1 (image/jpeg)", "Attachment 2 (image/png)"]
    assert links.first.get_attribute("href") == params["MediaUrl0"]
    assert page.locator("#thread-texts .text-media").nth(2).inner_text() == "Attachment 3: javascript:alert(1)"


def test_search_finds_a_number_that_is_no_contact_by_its_beginning_or_as_written_at_home(storage) -> None:  # noqa: ANN001
    """Search reads keyed rows only (an inbox of 10,000 threads is not scanned): contacts by
    name or number through the address book, other numbers by their beginning or whole,
    in E.164 or national format; another account's threads never show."""
    from datetime import datetime, timezone

    from shared_code.accounts import accounts
    from shared_code.conversations import threads
    from shared_code.conversations.models import IN, ConversationText
    from shared_code.conversations.storage import conversations_repo
    from tests.support.tenants import new_phone

    ours = accounts.create_account("Search Co", new_phone("628"), "US")
    theirs = accounts.create_account("Other Co", new_phone("628"), "US")
    stranger = new_phone("415")
    other = stranger[:-1] + str((int(stranger[-1]) + 1) % 10)  # the same number but its last digit
    at = datetime.now(timezone.utc)
    for acct, number in ((ours.AccountId, stranger), (ours.AccountId, other), (theirs.AccountId, stranger)):
        conversations_repo().add_received(acct, {number: [ConversationText(
            Number=number, Direction=IN, Body=f"hi from {number}", At=at, MessageId=f"M{number[1:]}")]})

    def found(text: str, phones: tuple[str, ...] = ()) -> list[str]:
        return [t.Number for t in threads.search(ours.AccountId, text, phones, 50, "US")]

    national = f"({stranger[2:5]}) {stranger[5:8]}-{stranger[8:]}"
    assert found(stranger) == [stranger]
    assert found(national) == [stranger]
    assert sorted(found(stranger[:-1])) == sorted([stranger, other])   # their beginning
    assert found(stranger[5:]) == []  # a fragment of a number that is no contact: not searched for
    assert found("lovelace", (other,)) == [other]     # the address book's hits
    assert found("nobody") == []
    assert [t.Unread for t in threads.search(ours.AccountId, stranger, (), 50, "US")] == [1]
    assert [t.LastBody for t in threads.search(theirs.AccountId, stranger, (), 50, "US")] == [f"hi from {stranger}"]


def test_the_inbox_pages_past_fifty_threads_with_every_thread_once(page, business) -> None:  # noqa: ANN001
    """65 customers, some of them texted again later: the first page lists the 50 with the
    newest texts, "Older conversations" the other 15 — each thread once, none missing, even the
    ones whose older texts sort among the second page's; a token made up or from another
    listing is a 400 page, never a 500."""
    from datetime import datetime, timedelta, timezone

    from shared_code.common.paging import encode_token
    from shared_code.conversations import threads
    from shared_code.conversations.models import INBOX_PAGE
    from shared_code.messaging.models import Recipient
    from tests.support.tenants import new_phone

    start = datetime.now(timezone.utc) - timedelta(days=1)
    phones = [new_phone("415") for _ in range(INBOX_PAGE + 15)]

    def send(campaign: str, body: str, numbers: list[str], minute: int) -> None:
        at = start + timedelta(minutes=minute)
        rows = [(Recipient(Phone=p, AccountId=business.account_id, Status="sending", UncertainSince=at, UpdatedAt=at),
                 "queued", "", "", "") for p in numbers]
        threads.record_sent(business.account_id, campaign, body, [], rows)

    for i, p in enumerate(phones):  # one a minute: phones[-1] has the newest text
        send(f"01CAMPAIGNPAGING{i:010d}", f"Hello {p}", [p], i)
    again = phones[:5]  # the five oldest threads texted again: now the newest, on page 1
    send("01CAMPAIGNPAGINGAGAIN0000000", "Hello again", again, len(phones))
    newest_first = again + phones[5:][::-1]

    page.goto("/conversations")
    listed = page.locator(".thread-item .thread-who")
    first = listed.all_inner_texts()
    assert first == newest_first[:INBOX_PAGE]
    assert page.get_by_role("link", name="Newest conversations").count() == 0
    page.get_by_role("link", name="Older conversations").click()
    assert page.get_by_role("heading", name="Older conversations").count() == 1
    rest = listed.all_inner_texts()
    assert rest == newest_first[INBOX_PAGE:]
    assert page.get_by_role("link", name="Older conversations").count() == 0  # nothing older is left
    shoot(page, "conversations-older")
    page.get_by_role("link", name="Newest conversations").click()
    assert listed.all_inner_texts() == first

    for token in ("not a token!", encode_token(f"t_{phones[0]}"), encode_token("a_" + "x" * 2000), "%00"):
        res = page.request.get(f"/conversations?skiptoken={quote(token)}")
        assert res.status == 400, (token, res.status)
        assert "skiptoken is not a token this service issued" in res.text()


def test_a_keyword_reply_shows_in_the_thread_once(page, business, live) -> None:  # noqa: ANN001
    """STOP through the signed webhook: the app's confirmation goes straight to the provider
    (no campaign), and the thread shows it after the STOP, sent, with its status — once, also
    when the webhook is retried and when the inbound handler runs the text again."""
    from datetime import datetime, timezone

    from shared_code.accounts.storage import accounts_repo
    from shared_code.inbound import receive
    from shared_code.inbound.optouts import reply_text
    from tests.support.tenants import new_phone

    dev, fake = live
    customer = new_phone("415")
    params = text_params(customer, _business_phone(business), "STOP")
    assert post_webhook(dev.base_url, fake.auth_token, params).status_code == 200
    confirmation = reply_text(accounts_repo().get(business.account_id), "optout")
    assert wait_until(lambda: [m for m in fake.messages if m.to == customer], timeout=15)
    page.goto(f"/conversations/{quote(customer)}")
    texts = page.locator("#thread-texts li")
    texts.nth(1).wait_for(timeout=15_000)  # the reply's thread row follows its send
    assert [t.split("\n")[0] for t in texts.all_inner_texts()] == ["STOP", confirmation]
    assert page.locator("#thread-texts li.in").inner_text().startswith("STOP")
    reply = page.locator("#thread-texts li.out")
    assert reply.locator("[data-status]").inner_text() == "queued"
    assert "automatic reply to STOP" in reply.inner_text()
    # handled twice: Twilio retries the webhook, and the queue message runs again
    assert post_webhook(dev.base_url, fake.auth_token, params).status_code == 200
    receive.process(business.account_id, params, datetime.now(timezone.utc))
    time.sleep(1.5)  # the retried webhook's queue message's turn
    page.reload()
    assert [t.split("\n")[0] for t in texts.all_inner_texts()] == ["STOP", confirmation]
    assert [m.body for m in fake.messages if m.to == customer] == [confirmation]
    page.goto("/conversations")
    assert page.locator(".thread-item", has_text=customer).locator(".thread-last").inner_text() == f"You: {confirmation}"
    # its delivery receipts, signed as Twilio signs them: delivered, then a late "sent" that changes nothing
    (sent,) = [m for m in fake.messages if m.to == customer]
    assert sent.status_callback.startswith(f"{dev.base_url}/api/twilio/status?")
    for status in ("delivered", "sent"):
        assert _receipt(fake, sent, status).json()["Data"]["Outcome"] == ("updated" if status == "delivered" else "ignored")
    page.goto(f"/conversations/{quote(customer)}")
    assert page.locator("#thread-texts li.out [data-status]").inner_text() == "delivered"


def test_a_keyword_reply_the_provider_refuses_shows_failed(page, business, live) -> None:  # noqa: ANN001
    """HELP from a number Twilio refuses for good (a landline): no retry, and the thread says
    the answer failed and why, instead of showing nothing."""
    from tests.support.tenants import new_phone

    dev, fake = live
    customer = new_phone("415")
    fake.landline(customer)
    assert post_webhook(dev.base_url, fake.auth_token, text_params(customer, _business_phone(business),
                                                                   "HELP")).status_code == 200
    from shared_code.conversations import threads

    assert wait_until(lambda: len(threads.texts(business.account_id, customer, 10)) == 2, timeout=15)
    page.goto(f"/conversations/{quote(customer)}")
    reply = page.locator("#thread-texts li.out")
    assert reply.locator("[data-status]").inner_text() == "failed"
    assert "automatic reply to HELP" in reply.inner_text()
    assert reply.locator(".text-error").inner_text()  # Twilio's words
    assert [m for m in fake.messages if m.to == customer] == []


def test_inbox_pages_reach_every_thread_behind_a_number_texting_hundreds_of_times(storage) -> None:  # noqa: ANN001
    """A page reads a bounded number of activity rows past its start: one number's 450 newest
    texts end the first page early, and the pages after it still list every other thread, once."""
    from datetime import datetime, timedelta, timezone

    from shared_code.accounts import accounts
    from shared_code.conversations import threads
    from shared_code.conversations.models import INBOX_PAGE, OUT, ConversationText
    from shared_code.conversations.storage import ACTIVITY_SCAN_ROWS, conversations_repo
    from tests.support.tenants import new_phone

    account = accounts.create_account("Busy Co", new_phone("628"), "US").AccountId
    start = datetime.now(timezone.utc) - timedelta(days=1)
    quiet, busy = [new_phone("415") for _ in range(INBOX_PAGE + 10)], new_phone("415")
    texts = [ConversationText(Number=p, Direction=OUT, Body="hi", At=start + timedelta(seconds=i), MessageId=f"Q{i:04d}")
             for i, p in enumerate(quiet)]
    conversations_repo().add_sent(account, texts)
    for i in range(ACTIVITY_SCAN_ROWS + 50):  # a transaction writes a number's summary once: a text a call
        conversations_repo().add_sent(account, [ConversationText(
            Number=busy, Direction=OUT, Body="again", At=start + timedelta(hours=1, seconds=i), MessageId=f"B{i:04d}")])
    listed, token, pages = [], None, 0
    while pages == 0 or token:
        page = threads.inbox(account, INBOX_PAGE, token)
        listed += [t.Number for t in page.items]
        token, pages = page.next_token, pages + 1
    assert listed == [busy] + quiet[::-1]
    assert pages >= 3  # the busy number's rows took a page of their own


def test_inbox_lists_threads_of_every_age_newest_first_across_its_read_windows(storage) -> None:  # noqa: ANN001
    """The inbox reads the newest hour first, then the day, the month and the rest: threads
    whose last texts fall in each of those (and one a skewed clock dated minutes ahead) come
    newest first, each once, also when a page ends inside a window or on its edge."""
    from datetime import datetime, timedelta, timezone

    from shared_code.accounts import accounts
    from shared_code.conversations import threads
    from shared_code.conversations.models import OUT, ConversationText
    from shared_code.conversations.storage import ACTIVITY_WINDOWS, conversations_repo
    from tests.support.tenants import new_phone

    account = accounts.create_account("Old Co", new_phone("628"), "US").AccountId
    now = datetime.now(timezone.utc)
    ages = [-timedelta(minutes=5), timedelta(minutes=10)]
    for span in (*ACTIVITY_WINDOWS, timedelta(days=400)):  # just inside each window and just past it
        ages += [span - timedelta(minutes=1), span + timedelta(minutes=1)]
    phones = [new_phone("415") for _ in ages]
    conversations_repo().add_sent(account, [
        ConversationText(Number=p, Direction=OUT, Body=f"aged {age}", At=now - age, MessageId=f"W{i:04d}")
        for i, (p, age) in enumerate(zip(phones, ages))])
    for top in (1, 2, 3, len(phones)):
        listed, token, pages = [], None, 0
        while pages == 0 or token:
            page = threads.inbox(account, top, token)
            listed += [t.Number for t in page.items]
            token, pages = page.next_token, pages + 1
        assert listed == phones, top


def test_unread_counts_each_received_text_once_whether_its_count_is_new_kept_or_read(storage) -> None:  # noqa: ANN001
    """Received texts are written first without reading the unread counts (a count this process
    wrote replaced by its ETag, an unknown one created; the transaction fails whole when a
    count is there or has moved, or a text is stored already): new senders, senders with unread
    texts, a thread read meanwhile, a rerun of the same texts and counts moved by another
    instance must each end with every text counted once."""
    from datetime import datetime, timedelta, timezone

    from shared_code.accounts import accounts
    from shared_code.conversations import threads
    from shared_code.conversations.models import IN, ConversationText
    from shared_code.conversations.storage import conversations_repo
    from tests.support.tenants import new_phone

    account = accounts.create_account("Unread Co", new_phone("628"), "US").AccountId
    repo = conversations_repo()
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    a, b, c = (new_phone("415") for _ in range(3))

    def texts(*pairs: tuple[str, int]) -> dict[str, list[ConversationText]]:
        out: dict[str, list[ConversationText]] = {}
        for number, i in pairs:
            out.setdefault(number, []).append(ConversationText(
                Number=number, Direction=IN, Body=f"t{i}", At=start + timedelta(seconds=i), MessageId=f"IN{i:04d}",
                Status="received"))
        return out

    def unread() -> dict[str, int]:
        return repo.unread(account, [a, b, c])

    first = texts((a, 1), (b, 2))
    repo.add_received(account, first)
    assert unread() == {a: 1, b: 1}
    repo.add_received(account, first)                   # the same queue message again
    assert unread() == {a: 1, b: 1}
    threads.mark_read(account, b)
    second = texts((a, 3), (b, 4), (c, 5), (c, 6))      # a still unread, b read since, c new
    repo.add_received(account, second)
    assert unread() == {a: 2, b: 1, c: 2}
    repo.add_received(account, second)
    repo.add_received(account, texts((c, 6)))           # one text of a group, again, alone
    assert unread() == {a: 2, b: 1, c: 2}
    assert [t.Body for t in threads.texts(account, c, 10)] == ["t5", "t6"]
    # another instance (a repository of its own on the same storage) counts texts of a and c
    # and reads b's thread: this process's copies of those counts are stale now
    from shared_code.common.storage.tables import TableStore
    from shared_code.conversations.storage import ConversationRepository

    other = ConversationRepository(TableStore())
    repo.add_received(account, texts((a, 14), (c, 15)))  # this process's copies: a 3, c 3
    assert unread() == {a: 3, b: 1, c: 3}
    other.add_received(account, texts((a, 7), (c, 8)))
    other.mark_read(account, b)
    assert unread() == {a: 4, c: 4}
    repo.add_received(account, texts((a, 9), (b, 10), (c, 11)))
    assert unread() == {a: 5, b: 1, c: 5}
    repo.add_received(account, texts((a, 12)))
    other.add_received(account, texts((a, 12), (b, 13)))  # a's text again, from the other instance
    assert unread() == {a: 6, b: 2, c: 5}
