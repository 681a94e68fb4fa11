"""Which gateway pays bills, and its settings — from the environment (or Django settings), with defaults.

* ``SHAHRVAND_PAYMENT_GATEWAY`` — ``sandbox`` (the built-in test bank; the default outside
  production) or ``sep`` (Saman Electronic Payment; the default in production).
* ``SHAHRVAND_PAYMENT_DEMO`` — ``1`` lets a production-mode demo use the sandbox bank; without it,
  production with the sandbox is refused (:class:`ImproperlyConfigured`), because the sandbox
  "charges" cards that do not exist.
* ``SHAHRVAND_SEP_TERMINAL_ID`` — the terminal number Saman issued to the municipality.
* ``SHAHRVAND_SEP_BASE_URL`` — ``https://sep.shaparak.ir`` (tests point it at a local server).
* ``SHAHRVAND_PAYMENT_TIMEOUT`` — seconds for each server-to-server call (default 15).
* ``SHAHRVAND_SANDBOX_FAULTS`` — faults of the sandbox bank for demos, e.g.
  ``duplicate_callbacks=1,verify_timeout=after`` (see :class:`shahrvand.payments.sandbox.SandboxFaults`).

A Django setting of the same name wins over the environment variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SANDBOX: Final = "sandbox"
SEP: Final = "sep"
GATEWAYS: Final = (SANDBOX, SEP)
SEP_BASE_URL: Final = "https://sep.shaparak.ir"


def _value(name: str, default: str) -> str:
    configured = getattr(settings, name, None)
    if configured is not None and configured != "":
        return str(configured)
    return os.environ.get(name, "").strip() or default


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class PaymentSettings:
    gateway: str
    demo: bool
    production: bool
    sep_terminal_id: str
    sep_base_url: str
    timeout: float
    sandbox_faults: str


def payment_settings() -> PaymentSettings:
    """The payment settings now in force; refuses production with the sandbox bank (unless a demo)."""
    production = str(getattr(settings, "DJANGO_ENV", os.environ.get("DJANGO_ENV", ""))) == "production"
    gateway = _value("SHAHRVAND_PAYMENT_GATEWAY", SEP if production else SANDBOX).lower()
    if gateway not in GATEWAYS:
        raise ImproperlyConfigured(f"SHAHRVAND_PAYMENT_GATEWAY must be one of {', '.join(GATEWAYS)}, not {gateway!r}.")
    demo = _truthy(_value("SHAHRVAND_PAYMENT_DEMO", "0"))
    if production and gateway == SANDBOX and not demo:
        raise ImproperlyConfigured(
            "Refusing the sandbox bank in production: set SHAHRVAND_PAYMENT_GATEWAY=sep "
            "(with SHAHRVAND_SEP_TERMINAL_ID), or SHAHRVAND_PAYMENT_DEMO=1 for a demonstration site."
        )
    try:
        timeout = float(_value("SHAHRVAND_PAYMENT_TIMEOUT", "15"))
    except ValueError as exc:
        raise ImproperlyConfigured("SHAHRVAND_PAYMENT_TIMEOUT must be a number of seconds.") from exc
    return PaymentSettings(
        gateway=gateway,
        demo=demo,
        production=production,
        sep_terminal_id=_value("SHAHRVAND_SEP_TERMINAL_ID", ""),
        sep_base_url=_value("SHAHRVAND_SEP_BASE_URL", SEP_BASE_URL).rstrip("/"),
        timeout=timeout,
        sandbox_faults=_value("SHAHRVAND_SANDBOX_FAULTS", ""),
    )
