from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffAccountsConfig(AppConfig):
    name = "shahrvand.staffaccounts"
    label = "staffaccounts"
    verbose_name = _("Staff accounts")
