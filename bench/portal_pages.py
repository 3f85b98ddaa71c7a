"""The portal's part-2 pages at a real business's scale: 10,000 contacts, 100,000 sent texts
(100 campaigns of 1,000, every fifth a review request) and 10,000 received, then each page's
time, p50/p95 beside its goal (issue 16, item 5: every page p95 <= 300 ms, the dashboard
<= 500 ms).

Seeding goes straight through the repositories in big transactions (contacts:
``AddressBookRepository.import_contacts``; campaigns and their recipients: ``CampaignRepository``;
the texts' conversation rows: ``ConversationRepository.add_sent`` / ``add_received``, the write
paths the send batch and the inbound handler use), on a private Azurite. The pages are served
by a ``python -m devhost`` process (HTTP functions only) and fetched by a signed-in session, one
request at a time; a sample is the whole response as the client sees it (the server's time plus
the local HTTP hop, a few ms), so the figures bound the server time from above.

    .venv/bin/python bench/portal_pages.py            # the full scale (seeding takes minutes)
    .venv/bin/python bench/portal_pages.py --quick    # a tenth of it
    .venv/bin/python bench/portal_pages.py --samples 30

Exits 0 whether goals are met or missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ROOT, Stack, portal_pages, _retrying, machine_note, percentile, summary, timed, verdict  # noqa: E402

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOAL_PAGE_S = 0.300
GOAL_DASHBOARD_S = 0.500
CAMPAIGN_SIZE = 1000    # recipients per seeded campaign
REVIEW_EVERY = 5        # every fifth seeded campaign is a review request
OPTED_OUT = 200         # numbers opted out by hand
SEED_THREADS = 4
RECEIVED_GROUP = 25     # senders per seeded transaction (4 operations each, at most 100)
PLACES = (("ChIJN1t_tDeuEmsRUsoyG83frY4", "Main St"), ("ChIJ3S-JXmauEmsRUcIaWtf4MzE", "Harbour"))


def _parallel(items: Sequence[object], work: Callable[[object], object]) -> None:
    """Seeding writes side by side, each retried when Azurite drops a connection under load."""
    with ThreadPoolExecutor(max_workers=SEED_THREADS) as pool:
        list(pool.map(lambda item: _retrying(lambda: work(item)), items))


def seed_contacts(stack: Stack, account_id: str, n: int) -> list[str]:
    from shared_code.addressbook.models import Contact
    from shared_code.addressbook.storage import CONTACTS_PER_TRANSACTION as step, address_book_repo
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_id

    book, now = address_book_repo(), utcnow()
    phones = stack.phones.take(n)
    made = [Contact(ContactId=new_id(), Phone=p, Name="Needle" if i == n - 1 else f"Bench {i:05d}", LastName="Smith",
                    CreatedAt=now, UpdatedAt=now) for i, p in enumerate(phones)]
    _parallel(range(0, n, step), lambda i: book.import_contacts(account_id, made[i:i + step]))  # type: ignore[misc]
    return phones


def seed_campaigns(account_id: str, phones: list[str], sent: int) -> list[str]:
    """``sent // CAMPAIGN_SIZE`` finished campaigns over the last 30 days, recipients delivered
    (5 % failed), each text in its number's conversation."""
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_desc_id
    from shared_code.conversations.models import OUT, ConversationText
    from shared_code.conversations.storage import conversations_repo
    from shared_code.messaging.models import Campaign, Recipient
    from shared_code.messaging.storage import campaigns_repo

    store, talk, now = campaigns_repo(), conversations_repo(), utcnow()
    names = {p: ("Needle" if i == len(phones) - 1 else f"Bench {i:05d}") + " Smith" for i, p in enumerate(phones)}
    count = max(1, sent // CAMPAIGN_SIZE)
    ids = []
    for k in range(count):
        at = now - timedelta(days=30) + timedelta(days=30 * k / count)
        review = k % REVIEW_EVERY == 0
        place = PLACES[k % 2][0] if review else ""
        body = f"Bench campaign {k}" + (f"\nhttps://search.google.com/local/writereview?placeid={place}" if review else "")
        start = (k * CAMPAIGN_SIZE) % len(phones)
        to = [phones[(start + i) % len(phones)] for i in range(min(CAMPAIGN_SIZE, len(phones)))]
        failed = set(to[::20])
        c = Campaign(CampaignId=new_desc_id(int(at.timestamp() * 1000)), AccountId=account_id,
                     Operation="SendReviewRequest" if review else "SendText", Type="Review" if review else "Message",
                     Body=body, PlaceId=place, SendDate=at, Status="Sent", CreatedAt=at, CreatedBy="bench",
                     Reach=len(to), SentCount=len(to) - len(failed), DeliveredCount=len(to) - len(failed),
                     UndeliveredCount=len(failed), FailedCount=len(failed), DispatchedAt=at,
                     DispatchCompletedAt=at, DispatchedCount=len(to), CompletedAt=at)
        _retrying(lambda: store.insert(c))
        rows = [Recipient(Phone=p, AccountId=account_id, Name=names[p], Status="failed" if p in failed else "delivered",
                          ErrorCode="30003" if p in failed else "", UpdatedAt=at, Attempts=1) for p in to]
        _parallel(range(0, len(rows), 100),
                  lambda i: store.create_recipients(c.CampaignId, rows[i:i + 100]))  # type: ignore[misc]
        texts = [ConversationText(Number=r.Phone, Direction=OUT, Body=body, At=at, MessageId=c.CampaignId,
                                  CampaignId=c.CampaignId, Status=r.Status, ErrorCode=r.ErrorCode,
                                  ContactName=r.Name) for r in rows]
        step = 33 * 4
        _parallel(range(0, len(texts), step),
                  lambda i: talk.add_sent(account_id, texts[i:i + step]))  # type: ignore[misc]
        ids.append(c.CampaignId)
    return ids


def seed_received(account_id: str, phones: list[str], n: int) -> None:
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_desc_id
    from shared_code.conversations.models import IN, ConversationText
    from shared_code.conversations.storage import conversations_repo

    talk, now = conversations_repo(), utcnow()
    texts = [ConversationText(Number=phones[i % len(phones)], Direction=IN, Body=f"Reply {i}",
                              At=now - timedelta(seconds=n - i), MessageId=new_desc_id(), Status="received")
             for i in range(n)]
    # as the inbound handler stores a queue message's texts: several senders in one transaction
    groups = [{t.Number: [t] for t in texts[i:i + RECEIVED_GROUP]} for i in range(0, len(texts), RECEIVED_GROUP)]
    _parallel(groups, lambda g: talk.add_received(account_id, g))  # type: ignore[misc,arg-type]


def seed_compliance(account, email: str, phones: list[str]) -> None:  # noqa: ANN001
    from shared_code.accounts.models import Caller
    from shared_code.inbound import optouts
    from shared_code.inbound.models import OptOutBody

    caller = Caller.signed_in(account, email)
    _parallel(phones[-OPTED_OUT:], lambda p: optouts.change(caller, OptOutBody(Phone=p, Reason="bench"), True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the scale")
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    n_contacts, n_sent, n_received = 10_000 // scale, 100_000 // scale, 10_000 // scale


    with Stack("portal-pages", in_memory=True) as stack:  # see devhost.azurite.start
        from shared_code.accounts import accounts
        from shared_code.accounts.models import Caller
        from shared_code.addressbook import places
        from shared_code.addressbook.models import CreatePlaceBody

        email = "bench-owner@example.com"
        account = accounts.create_account("Bench Co", "+16285550100", "US", admins=[email])
        caller = Caller.signed_in(account, email)
        for gpid, name in PLACES:
            places.create(caller, CreatePlaceBody(GooglePlaceId=gpid, Name=name))
        t0 = time.perf_counter()
        phones = seed_contacts(stack, account.AccountId, n_contacts)
        print(f"seeded {n_contacts:,} contacts in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        campaign_ids = seed_campaigns(account.AccountId, phones, n_sent)
        print(f"seeded {len(campaign_ids)} campaigns, {len(campaign_ids) * CAMPAIGN_SIZE:,} sent texts "
              f"(recipients + conversations) in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        seed_received(account.AccountId, phones, n_received)
        print(f"seeded {n_received:,} received texts in {time.perf_counter() - t0:.1f} s")
        seed_compliance(account, email, phones)
        os.environ.setdefault("CALLBACK_ALLOW_LOCALHOST", "true")

        host = stack.start_devhost(pipeline=False)
        portal, page = portal_pages(host.base_url, email)

        busy = phones[0]  # texted by ~every tenth campaign, and it replied
        today = datetime.now(timezone.utc).date()
        from shared_code.addressbook import contacts
        from shared_code.addressbook.storage import address_book_repo

        renamed = address_book_repo().contact_id_for_phone(account.AccountId, phones[1])
        turn = iter(range(10**6))

        def rename() -> None:
            """Someone edited a contact: the next search reads every contact again."""
            contacts.apply_changes(caller, renamed, name=f"Renamed {next(turn)}")

        rows = [
            ("Conversations inbox", page("/conversations", "Latest conversations"), GOAL_PAGE_S),
            ("Conversations search (a name)", page("/conversations?search=needle", "Needle"), GOAL_PAGE_S),
            ("  the same, a contact edited before each", page("/conversations?search=needle", "Needle"), GOAL_PAGE_S,
             rename),
            ("Conversations search (digits)", page(f"/conversations?search={busy[-7:]}", busy), GOAL_PAGE_S),
            ("a thread", page(f"/conversations/{quote(busy)}", "Send reply"), GOAL_PAGE_S),
            ("a thread's poll (JSON)", page(f"/conversations/{quote(busy)}/texts", "Html"), GOAL_PAGE_S),
            ("Campaigns list", page("/campaigns", "Bench campaign"), GOAL_PAGE_S),
            ("Campaigns list, status=Sent + 7 days",
             page(f"/campaigns?status=Sent&from={today - timedelta(days=7)}&to={today}", "Bench campaign"), GOAL_PAGE_S),
            (f"a campaign ({CAMPAIGN_SIZE:,} recipients)", page(f"/campaigns/{campaign_ids[-1]}", "Recipients"),
             GOAL_PAGE_S),
            ("a campaign's progress (JSON)", page(f"/campaigns/{campaign_ids[-1]}/progress", "Percent"), GOAL_PAGE_S),
            ("Compose", page("/compose", "Send"), GOAL_PAGE_S),
            ("Compliance", page("/compliance", "Opted-out numbers"), GOAL_PAGE_S),
            ("Review dashboard (30 days)", page("/dashboard", "Review requests sent"), GOAL_DASHBOARD_S),
        ]
        print(f"\n{n_contacts:,} contacts, {len(campaign_ids) * CAMPAIGN_SIZE:,} sent, {n_received:,} received; "
              f"{args.samples} samples each (+1 warm-up), one request at a time")
        results = []
        for label, call, goal, *before in rows:
            values = timed(args.samples, call, *before)
            ok = percentile(values, 95) <= goal
            results.append(ok)
            print(f"  {label:<44} {summary(values)}  goal p95 <= {goal * 1000:.0f} ms: {verdict(ok)}")
        print(f"\n{machine_note()}")
        print(f"overall: {verdict(all(results))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
