"""Thin trigger adapters (Blueprints): ``http`` registers every operation declared in
``shared_code.api``; the queue and timer triggers hand their message to one service.
shared_code's heavy parts are imported inside the handler so cold start stays light."""
