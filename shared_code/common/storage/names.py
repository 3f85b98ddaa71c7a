"""Every table, queue and blob container the code uses, in one place.

Infrastructure (infra/) provisions exactly these; a test cross-checks the two."""

from __future__ import annotations

# tables
ACCOUNTS = "Accounts"        # PK account id: the business, its number and texts
NUMBERS = "Numbers"          # PK E.164: routes a service number to its account
API_KEYS = "ApiKeys"         # PK key id: hash, validity, revocation
ADDRESS_BOOK = "AddressBook"  # PK account id: contacts (+ version, tombstones), phone index, groups, members, places

CAMPAIGNS = "Campaigns"      # PK account id: one row per send action
RECIPIENTS = "Recipients"    # PK campaign id, RK E.164: per-recipient status
AUDIENCES = "Audiences"      # PK campaign id, RK "<kind>_<chunk>": the numbers and contact ids a send names
SCHEDULE = "Schedule"        # PK "due", RK "<send time>_<campaign>": campaigns not yet dispatched
IDEMPOTENCY = "Idempotency"  # PK account id, RK hash of the idempotency key
OPT_OUTS = "OptOuts"         # PK account id, RK E.164: numbers that replied STOP
LINKS = "Links"              # PK short code: tracked review links (/api/r/{code}) and their clicks
OUTBOX = "Outbox"            # PK account id: what the outbox provider "sent" (nothing leaves)

OPT_OUT_LOG = "OptOutLog"    # PK account id, RK "<E.164>_<desc id>": audit of every opt-out/in/help
INBOUND = "Inbound"          # PK account id: "m_<desc id>" received texts, "sid_<MessageSid>" dedupe index
SUBSCRIPTIONS = "Subscriptions"  # PK account id: "s_<id>" trigger registrations, "u_<hash>" same-callback index
DELIVERIES = "Deliveries"    # PK account id, RK "<subscription>_<event>": one per subscription and event
ACCOUNT_ADMINS = "AccountAdmins"  # PK admin email (lower case), RK account id: the accounts a user administers
SECRETS = "Secrets"          # PK "portal", RK secret name: per-deployment secrets made on first use (CSRF)
CONVERSATIONS = "Conversations"  # PK account id: "m_<E.164>_<desc time>_<id>" texts, "a_" activity, "t_"/"u_<E.164>" threads, unread

TABLES: tuple[str, ...] = (ACCOUNTS, NUMBERS, API_KEYS, ADDRESS_BOOK, CAMPAIGNS, RECIPIENTS, SCHEDULE,
                           IDEMPOTENCY, OPT_OUTS, LINKS, OUTBOX, OPT_OUT_LOG, INBOUND, SUBSCRIPTIONS, DELIVERIES,
                           AUDIENCES, ACCOUNT_ADMINS, SECRETS, CONVERSATIONS)

# queues (each has a "<name>-poison" twin made by the Functions host)
DISPATCH_QUEUE = "dispatch"  # {a, c, v}: expand a campaign into recipients
SEND_QUEUE = "send"          # {a, c, p: [phones]}: text a batch of recipients
INBOUND_QUEUE = "inbound"    # {a, p: {form params}, r}: a received text, signature already checked
NOTIFY_QUEUE = "notify"      # {a, s, k, t, n, f, e, p}: one trigger delivery (subscription x event)

QUEUES: tuple[str, ...] = (DISPATCH_QUEUE, SEND_QUEUE, INBOUND_QUEUE, NOTIFY_QUEUE)

# blob containers
MEDIA_CONTAINER = "media"    # MMS attachments, sent to the provider as SAS URLs

CONTAINERS: tuple[str, ...] = (MEDIA_CONTAINER,)
