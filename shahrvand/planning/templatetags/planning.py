"""``{% load planning %}``: the planning rules of a parcel for people (the portal's property page).

``{{ zoning.permitted_uses|land_uses }}`` — the uses' names in the page's language, «، » between;
``{% planning_rules zoning code %}`` — the panel itself (``planning/_portal_rules.html``).
"""

from __future__ import annotations

from typing import Any

from django import template

from shahrvand.registry.models import LandUse, Zoning

register = template.Library()


@register.filter
def land_uses(uses: object) -> str:
    if not isinstance(uses, list | tuple):
        return ""
    return "، ".join(str(LandUse(u).label) if u in LandUse.values else str(u) for u in uses)


@register.inclusion_tag("planning/_rules_panel.html", takes_context=True)
def planning_rules(context: template.Context, zoning: Zoning | None, code: str) -> dict[str, Any]:
    return {"zoning": zoning, "code": code, "LANGUAGE_CODE": context.get("LANGUAGE_CODE")}
