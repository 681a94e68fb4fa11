"""Writes to the registry: importing an audit delivery, in one step (the command) or two (the page).

Every import validates the whole delivery before writing anything, then writes its difference
from the registry in one transaction, together with the delivery record and the audit entry. A
crash or an error anywhere rolls everything back: the registry stays as it was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core.access import Action, require
from shahrvand.core.models import District, User
from shahrvand.registry.importing.apply import Plan, apply_plan, plan_delivery
from shahrvand.registry.importing.problems import Problem
from shahrvand.registry.importing.sources import RawDelivery, read_delivery_bytes, read_delivery_path
from shahrvand.registry.importing.validate import ValidatedDelivery, validate_delivery
from shahrvand.registry.models import Delivery


@dataclass
class ImportResult:
    """What an import did or would do."""

    status: str  # "applied", "dry_run", "rejected", "validated", "unchanged"
    problems: list[Problem]
    counts: dict[str, dict[str, int]]
    delivery: Delivery | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _problems_json(problems: list[Problem]) -> list[dict[str, object]]:
    return [p.as_dict() for p in problems]


def _check(district: District, raw: RawDelivery) -> tuple[ValidatedDelivery, Plan | None]:
    validated = validate_delivery(district=district, raw=raw)
    if not validated.ok:
        return validated, None
    return validated, plan_delivery(district=district, validated=validated)


def _sha256_of_path(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in path.glob("*.csv")) if path.is_dir() else [path]
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def audit_import(
    *, actor: User | None, district: District, path: Path, dry_run: bool = False, actor_label: str = "import_audit"
) -> ImportResult:
    """Validate and apply a delivery in one step (``manage.py import_audit``, ``seed_demo``)."""
    if actor is not None:
        require(actor, Action.REGISTRY_IMPORT, district)
    raw = read_delivery_path(path)
    with transaction.atomic():
        validated, plan = _check(district, raw)
        if plan is None:
            # The command writes nothing for a rejected delivery: its report goes to a file.
            return ImportResult("rejected", validated.problems, {})
        if dry_run:
            return ImportResult("dry_run", validated.problems, plan.counts())
        if plan.writes_nothing:
            return ImportResult("unchanged", validated.problems, plan.counts())
        delivery = Delivery.objects.create(
            district=district,
            source_name=path.name,
            source_sha256=_sha256_of_path(path),
            status=Delivery.Status.APPLIED,
            counts=plan.counts(),
            problems=_problems_json(validated.problems),
            warning_count=len(validated.problems),
            created_by=actor,
            applied_by=actor,
            applied_at=timezone.now(),
        )
        apply_plan(district=district, validated=validated, plan=plan, delivery=delivery, actor=actor)
        audit_record(
            actor=actor,
            actor_label="" if actor else actor_label,
            action="registry.delivery_apply",
            target=delivery,
            district=district,
            payload={"source": path.name, "sha256": delivery.source_sha256, "counts": plan.counts()},
        )
    return ImportResult("applied", validated.problems, plan.counts(), delivery)


def _record_rejected(
    *, actor: User | None, district: District, name: str, sha: str, problems: list[Problem]
) -> Delivery:
    """A rejected delivery is remembered (with its report) even though nothing else was written."""
    errors = [p for p in problems if p.severity == "error"]
    delivery = Delivery.objects.create(
        district=district,
        source_name=name[:255],
        source_sha256=sha,
        status=Delivery.Status.REJECTED,
        problems=_problems_json(problems),
        error_count=len(errors),
        warning_count=len(problems) - len(errors),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        actor_label="" if actor else "import_audit",
        action="registry.delivery_reject",
        target=delivery,
        district=district,
        payload={"source": delivery.source_name, "errors": len(errors)},
    )
    return delivery


def _store(data: bytes, sha: str, filename: str) -> str:
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".zip"
    folder = Path(settings.MEDIA_ROOT) / "deliveries"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha}{suffix}"
    if not target.exists():
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return str(target.relative_to(settings.MEDIA_ROOT))


def delivery_upload(*, actor: User, district: District, filename: str, data: bytes) -> Delivery:
    """Step one on the staff page: store the upload, validate it, and report what applying would do."""
    require(actor, Action.REGISTRY_IMPORT, district)
    sha = hashlib.sha256(data).hexdigest()
    raw = read_delivery_bytes(filename, data)
    with transaction.atomic():
        validated, plan = _check(district, raw)
        if plan is None:
            return _record_rejected(actor=actor, district=district, name=filename, sha=sha, problems=validated.problems)
        delivery = Delivery.objects.create(
            district=district,
            source_name=filename[:255],
            source_sha256=sha,
            stored_path=_store(data, sha, filename),
            status=Delivery.Status.VALIDATED,
            counts=plan.counts(),
            problems=_problems_json(validated.problems),
            warning_count=len(validated.problems),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="registry.delivery_validate",
            target=delivery,
            district=district,
            payload={"source": delivery.source_name, "sha256": sha, "counts": plan.counts()},
        )
    return delivery


class DeliveryNotApplicable(Exception):
    def __init__(self, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_fa = message_fa


def delivery_apply(*, actor: User, delivery: Delivery) -> ImportResult:
    """Step two: apply a validated delivery. It is validated again: the registry may have moved on."""
    require(actor, Action.REGISTRY_IMPORT, delivery.district)
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().select_related("district").get(pk=delivery.pk)
        if locked.status != Delivery.Status.VALIDATED:
            raise DeliveryNotApplicable(
                f"this delivery is {locked.status}, not waiting to be applied",
                "این تحویلی در انتظار اعمال نیست",
            )
        data = (Path(settings.MEDIA_ROOT) / locked.stored_path).read_bytes()
        raw = read_delivery_bytes(locked.source_name, data)
        validated, plan = _check(locked.district, raw)
        if plan is None:
            locked.status = Delivery.Status.REJECTED
            locked.problems = _problems_json(validated.problems)
            locked.error_count = len(validated.errors)
            locked.save(update_fields=["status", "problems", "error_count"])
            audit_record(
                actor=actor, action="registry.delivery_reject", target=locked, district=locked.district, payload={}
            )
            return ImportResult("rejected", validated.problems, {}, locked)
        apply_plan(district=locked.district, validated=validated, plan=plan, delivery=locked, actor=actor)
        locked.status = Delivery.Status.APPLIED
        locked.counts = plan.counts()
        locked.applied_by = actor
        locked.applied_at = timezone.now()
        locked.save(update_fields=["status", "counts", "applied_by", "applied_at"])
        audit_record(
            actor=actor,
            action="registry.delivery_apply",
            target=locked,
            district=locked.district,
            payload={"source": locked.source_name, "sha256": locked.source_sha256, "counts": plan.counts()},
        )
    return ImportResult("applied", validated.problems, plan.counts(), locked)
