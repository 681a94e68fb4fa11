from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "shahrvand.planning"
    label = "planning"
    verbose_name = _("Urban planning")

    def ready(self) -> None:
        from shahrvand.planning.workflow import register

        register()
