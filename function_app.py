"""Composition root: one FunctionApp that registers the blueprints, nothing else."""

import azure.functions as func

from functions import (account, campaigns, contacts, groups, inbound, messages, optouts, pipeline, places, triggers,
                       twilio)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for module in (account, contacts, groups, places, messages, campaigns, pipeline, twilio, inbound, triggers, optouts):
    app.register_functions(module.bp)
