"""The domain of the Power Textor backend. Never imports azure.functions: handlers stay thin.

Packages by feature, each with its ``models.py``, ``storage.py`` (repositories and their
accessors) and service modules; plumbing shared by all of them lives in ``common``. A package
imports only packages listed BEFORE it here (``tests/unit/test_package_layers.py`` checks every
import, lazy ones included), so there is no cycle between packages:

1. ``common``      clock, errors, settings, ids, paging, wiring (``context``), storage plumbing
                   (connection, tables, queues, rows, names, blobs), text helpers, SMS providers
2. ``accounts``    accounts, API keys, the ``Caller``
3. ``web``         the request runtime and envelope (authenticates through ``accounts``)
4. ``addressbook`` contacts, groups, places, the recipient resolver
5. ``triggers``    webhook subscriptions, deliveries to flows (notify), delivery-status events
6. ``conversations`` one thread per customer number: texts sent and received (written by
                   ``messaging``'s send batch and ``inbound``'s handler, read by the portal)
7. ``inbound``     received texts, carrier keywords, opt-outs (tell flows through ``triggers``)
8. ``messaging``   send actions (campaigns), dispatch, sending, scheduler, links, media, the
                   send operations' catalog, status callbacks of sends (honour ``inbound``'s opt-outs)
9. ``api``, ``cli``, ``portal`` the HTTP endpoints, the admin command line and the business's
                   web pages (may use every feature; none imports another)
"""
