from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "shahrvand.payments"
    label = "payments"
    verbose_name = _("Online payments")

    def ready(self) -> None:
        # Refuse a wrong gateway configuration (e.g. the sandbox bank in production) at start-up.
        from shahrvand.payments import conf

        conf.payment_settings()
