"""The portal's address book at 10,000 contacts: how long the Contacts page takes (first page,
a later page, searches that find one, many or none), the API's list beside it, a CSV import of
1,000 rows through the page's import endpoint, and the export.

The account's 10,000 contacts are seeded with ``AddressBookRepository.import_contacts`` (the
CSV import's write path) on a private Azurite; the pages are served by a ``python -m devhost``
process and fetched over HTTP by a signed-in session (devhost's development sign-in), one
request at a time, timed to the full response.

    .venv/bin/python bench/portal_contacts.py             # 10,000 contacts, 10 samples per page
    .venv/bin/python bench/portal_contacts.py --contacts 2000 --samples 5

Goals (issue 13, item 5: "stays fast at 10,000 contacts"): the first page and a later page
p50 <= 300 ms, a search p50 <= 1 s, 1,000 imported rows <= 30 s (well within the Functions
timeout and the 230 s an HTTP request may take in Azure). Exits 0 whether goals are met or missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ROOT, Stack, portal_pages, http_session, machine_note, percentile, summary, timed, verdict  # noqa: E402

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOAL_PAGE_S = 0.300
GOAL_SEARCH_S = 1.0
GOAL_IMPORT_S = 30.0
IMPORT_ROWS = 1000


def seed(stack: Stack, account_id: str, n: int) -> float:
    """n contacts named "Bench 00042 Smith" (the last one: "Needle"), 50 per transaction, on 4 threads."""
    from shared_code.addressbook.models import Contact
    from shared_code.addressbook.storage import CONTACTS_PER_TRANSACTION as step, address_book_repo
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_id

    started = time.perf_counter()
    book, now = address_book_repo(), utcnow()
    phones = stack.phones.take(n)
    made = [Contact(ContactId=new_id(), Phone=p, Name="Needle" if i == n - 1 else f"Bench {i:05d}", LastName="Smith",
                    CreatedAt=now, UpdatedAt=now) for i, p in enumerate(phones)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: book.import_contacts(account_id, made[i:i + step]), range(0, n, step)))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()


    with Stack("portal-contacts") as stack:
        from shared_code.accounts import accounts, keys

        email = "bench-owner@example.com"
        account = accounts.create_account("Bench Co", "+16285550100", "US", admins=[email])
        _, key = keys.create_key(account.AccountId, "bench", 30)
        seconds = seed(stack, account.AccountId, args.contacts)
        print(f"seeded {args.contacts:,} contacts in {seconds:.1f} s")
        host = stack.start_devhost(pipeline=False)
        portal, page = portal_pages(host.base_url, email)

        first = portal.get("/contacts")
        token = first.text.split("skiptoken=", 1)[1].split('"', 1)[0]
        api = http_session(key)

        def api_get(params: dict[str, str]) -> Callable[[], object]:
            def get() -> object:
                r = api.get(f"{host.base_url}/api/contacts", params=params, timeout=60)
                assert r.status_code == 200, r.text[:300]
                return r
            return get

        rows = [
            ("Contacts page, first page (50)", page("/contacts", "Bench 00000"), GOAL_PAGE_S),
            ("Contacts page, next page", page(f"/contacts?skiptoken={token}", "Bench 00050"), GOAL_PAGE_S),
            ("search, one match at the end (needle)", page("/contacts?search=needle", "Needle"), GOAL_SEARCH_S),
            ("search, no match", page("/contacts?search=nobody-at-all", "No contact matches"), GOAL_SEARCH_S),
            ("search, digits matching many (555)", page("/contacts?search=555", "Next page"), GOAL_SEARCH_S),
            ("API GetContacts top=50", api_get({"top": "50"}), GOAL_PAGE_S),
            ("API GetContacts top=50 search=needle", api_get({"top": "50", "search": "needle"}), GOAL_SEARCH_S),
            ("group page's picker (JSON), search=needle",
             page("/contacts/picker?search=needle", "Needle"), GOAL_SEARCH_S),
        ]
        print(f"\n{args.contacts:,} contacts, {args.samples} samples each (+1 warm-up), one request at a time")
        results = []
        for label, call, goal in rows:
            values = timed(args.samples, call)
            ok = percentile(values, 50) <= goal
            results.append(ok)
            print(f"  {label:<44} {summary(values)}  goal p50 <= {goal * 1000:.0f} ms: {verdict(ok)}")

        # an import of 1,000 new rows through the page's endpoint, in the slices its script sends
        from shared_code.addressbook.models import MAX_IMPORT_ROWS

        lines = ["Name,LastName,Phone"] + [f"Imported {i},Row,{p}" for i, p in
                                           enumerate(stack.phones.take(IMPORT_ROWS))]
        portal.get("/contacts/import")
        csrf = portal.csrf()
        t0 = time.perf_counter()
        created = 0
        for i in range(0, len(lines), MAX_IMPORT_ROWS):
            r = portal.session.post(portal.url("/contacts/import/rows"), timeout=300,
                                    json={"Header": lines[0], "Csv": "\n".join(lines[i:i + MAX_IMPORT_ROWS]),
                                          "FirstRow": i + 1},
                                    headers={"X-CSRF-Token": csrf, "Origin": host.base_url})
            assert r.status_code == 200, r.text[:300]
            created += r.json()["Created"]
        import_s = time.perf_counter() - t0
        ok = import_s <= GOAL_IMPORT_S and created == IMPORT_ROWS
        results.append(ok)
        print(f"  {'CSV import of 1,000 rows (2 calls)':<44} {import_s:.2f} s, {created} created"
              f"  goal <= {GOAL_IMPORT_S:.0f} s: {verdict(ok)}")
        t0 = time.perf_counter()
        exported = portal.get("/contacts/export")
        export_s = time.perf_counter() - t0
        print(f"  {'CSV export':<44} {export_s:.2f} s, {exported.text.count(chr(10)) - 1:,} contacts, "
              f"{len(exported.content) / 1024:.0f} KiB")
        print(f"\n{machine_note()}")
        print(f"overall: {verdict(all(results))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
