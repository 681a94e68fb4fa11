from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PermitsConfig(AppConfig):
    name = "shahrvand.permits"
    label = "permits"
    verbose_name = _("Building permits")

    def ready(self) -> None:
        from shahrvand.permits.workflow import register

        register()
        try:  # the revenue package's hook table (added by the permit-fees work); optional until it exists
            from shahrvand.revenue import hooks
        except ImportError:  # pragma: no cover - an older revenue package without payment hooks
            return
        hooks.BILL_PAID_HANDLERS["permit"] = "shahrvand.permits.services.permit_fees_paid"
