"""Payment gateway adapters: one interface (``base``), Saman (``sep``) and the sandbox bank (``sandbox``).

:func:`gateway_for` builds the adapter a payment attempt was started with; :func:`active_gateway`
the one new payments use (``SHAHRVAND_PAYMENT_GATEWAY``).
"""

from __future__ import annotations

from shahrvand.payments import conf
from shahrvand.payments.gateways.base import Gateway


def gateway_for(name: str) -> Gateway:
    config = conf.payment_settings()
    if name == conf.SANDBOX:
        from shahrvand.payments.gateways.sandbox import SandboxGateway

        return SandboxGateway(timeout=config.timeout)
    if name == conf.SEP:
        from shahrvand.payments.gateways.sep import SepGateway

        return SepGateway(terminal_id=config.sep_terminal_id, base_url=config.sep_base_url, timeout=config.timeout)
    raise ValueError(f"unknown gateway {name!r}")


def active_gateway() -> Gateway:
    return gateway_for(conf.payment_settings().gateway)
