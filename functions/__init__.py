"""Thin trigger adapters (Blueprints). Each handler hands its request to one endpoint in
``shared_code.api``; shared_code is imported inside the handler so cold start stays light."""
