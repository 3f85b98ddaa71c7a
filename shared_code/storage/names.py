"""Every table, queue and blob container the code uses, in one place.

Infrastructure (infra/) provisions exactly these; a test cross-checks the two."""

from __future__ import annotations

# tables
ACCOUNTS = "Accounts"        # PK account id: the business, its number and texts
NUMBERS = "Numbers"          # PK E.164: routes a service number to its account
API_KEYS = "ApiKeys"         # PK key id: hash, validity, revocation
ADDRESS_BOOK = "AddressBook"  # PK account id: contacts, phone index, groups, members, places

TABLES: tuple[str, ...] = (ACCOUNTS, NUMBERS, API_KEYS, ADDRESS_BOOK)

# queues (each has a "<name>-poison" twin made by the Functions host)
QUEUES: tuple[str, ...] = ()

# blob containers
CONTAINERS: tuple[str, ...] = ()
