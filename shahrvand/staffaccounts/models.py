"""What the city administrator keeps about a staff account beyond ``core.User`` and its role grants.

``core`` stays as it is: a staff member is a ``User`` with ``RoleGrant`` rows. This one-to-one
profile adds the city that manages the account, the mobile and (optional) national code given when
it was created, whether the member must still replace a temporary password, and the last
deactivation's reason. Accounts made before this app (the demo staff) get a profile the first
time the city administrator acts on them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shahrvand.core.models import City, User


class StaffProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="staff_profile", verbose_name=_("user"))
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    mobile = models.CharField(_("mobile"), max_length=13, blank=True, help_text=_("Stored as +989…"))
    national_code = models.CharField(_("national code"), max_length=10, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    temporary_password_at = models.DateTimeField(_("temporary password set at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    deactivated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("deactivated by")
    )
    deactivation_reason = models.CharField(_("reason for deactivation"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["national_code"],
                condition=~Q(national_code=""),
                name="staffprofile_unique_national_code",
            ),
        ]

    def __str__(self) -> str:
        return self.user.get_username()
