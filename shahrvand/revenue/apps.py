from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevenueConfig(AppConfig):
    name = "shahrvand.revenue"
    label = "revenue"
    verbose_name = _("Duties and bills")
