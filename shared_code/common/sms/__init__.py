"""SMS providers behind one interface: ``get_provider().send(OutboundMessage(...))``.

Only the light interface is imported here; the providers load their SDKs on first use.
"""

from .base import OutboundMessage, ProviderError, SendResult, SmsProvider
from .factory import get_provider, reset_provider

__all__ = ["OutboundMessage", "ProviderError", "SendResult", "SmsProvider", "get_provider",
           "reset_provider"]
