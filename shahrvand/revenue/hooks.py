"""What runs when a bill is paid, by the bill's purpose.

:data:`BILL_PAID_HANDLERS` maps a :class:`~shahrvand.revenue.models.BillPurpose` value to the dotted
path of a function ``fn(*, bill, payment) -> None``. :func:`~shahrvand.revenue.services.bill_settle`
calls the handler of the bill's purpose inside its transaction, after it marked the bill paid and
wrote its audit entry, so the handler's writes (e.g. the permit request moving on) commit or roll
back with the payment itself. A handler that raises makes the payment fail: the caller (the
gateway, the settlement file) then returns the money as for any refused payment.

Another package adds its handler from its ``AppConfig.ready`` (``BILL_PAID_HANDLERS["permit"] =
"shahrvand.permits.services.permit_fees_paid"``); it is imported only when a bill of that purpose
is paid, so ``revenue`` never imports that package at load time. Bills of a purpose without a
handler (the annual duties) are simply paid.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from shahrvand.revenue.models import Bill, Payment


class PaidHandler(Protocol):
    def __call__(self, *, bill: Bill, payment: Payment) -> None: ...


BILL_PAID_HANDLERS: Final[dict[str, str]] = {}


def paid_handler(purpose: str) -> PaidHandler | None:
    """The function registered for ``purpose``, imported now; None when the purpose has none."""
    path = BILL_PAID_HANDLERS.get(purpose)
    if not path:
        return None
    module, _, name = path.rpartition(".")
    handler: PaidHandler = getattr(import_module(module), name)
    return handler


def bill_paid_run(*, bill: Bill, payment: Payment) -> None:
    """Call the handler of ``bill.purpose`` (inside the caller's transaction), if it has one."""
    handler = paid_handler(bill.purpose)
    if handler is not None:
        handler(bill=bill, payment=payment)


def bills_paid_run_many(*, bill_pks: list[int]) -> int:
    """:func:`bill_paid_run` for bills marked paid set-based (the bank's settlement file), in its transaction.

    Only bills whose purpose has a handler are read (one query; none when no handler is registered).
    Returns how many handlers ran.
    """
    from shahrvand.revenue.models import Bill

    purposes = [purpose for purpose, path in BILL_PAID_HANDLERS.items() if path]
    if not purposes or not bill_pks:
        return 0
    ran = 0
    for start in range(0, len(bill_pks), 900):
        chunk = bill_pks[start : start + 900]
        for bill in Bill.objects.filter(pk__in=chunk, purpose__in=purposes).select_related("payment").order_by("pk"):
            bill_paid_run(bill=bill, payment=bill.payment)
            ran += 1
    return ran
