"""Composition root: one FunctionApp that registers the blueprints, nothing else."""

import azure.functions as func

from functions import http, inbound, pipeline, portal
from shared_code.common import logs

logs.configure()

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for module in (http, portal, pipeline, inbound):
    app.register_functions(module.bp)
