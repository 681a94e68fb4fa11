"""Reads for the payment pages: only the signed-in citizen's own bills and attempts."""

from __future__ import annotations

from shahrvand.citizens.models import Citizen
from shahrvand.payments.models import PaymentAttempt
from shahrvand.revenue.models import Bill


def bill_for_citizen(citizen: Citizen, bill_id: str) -> Bill | None:
    """The bill with national bill ID ``bill_id`` when ``citizen`` is its payer (else None → 404)."""
    return Bill.objects.select_related("district").filter(bill_id=bill_id[:13], payer_id=citizen.person_id).first()


def attempt_for_user(user: object, order_id: str) -> PaymentAttempt | None:
    """The attempt ``order_id`` when ``user`` started it (else None → 404)."""
    user_pk = getattr(user, "pk", None)
    if user_pk is None:
        return None
    return (
        PaymentAttempt.objects.select_related("bill", "payment_record")
        .filter(order_id=order_id[:64], started_by_id=user_pk)
        .first()
    )
