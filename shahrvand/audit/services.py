"""Writing to the audit trail.

Services call :func:`audit_record` inside their own transaction, so an entry exists exactly when
the change it describes was committed. Appends are serialised so the chain never forks: on
PostgreSQL with a transaction-scoped advisory lock, on SQLite by the write lock that every
transaction takes when it starts (``transaction_mode = IMMEDIATE`` in the settings).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from shahrvand.audit.models import GENESIS_HASH, AuditEntry, ChainCheck
from shahrvand.core.context import current_request_id
from shahrvand.core.models import District, User

# An arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
_CHAIN_LOCK_KEY = 0x5348_4152  # "SHAR"


def normalize_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as it reads back from the database (JSON types only)."""
    normalized: dict[str, Any] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return normalized


def entry_hash(
    *,
    seq: int,
    created_at: datetime,
    actor_id: int | None,
    actor_label: str,
    district_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    payload: dict[str, Any],
    request_id: str,
    prev_hash: str,
) -> str:
    """SHA-256 over a canonical JSON form of every field of an entry and the previous hash."""
    canonical = json.dumps(
        {
            "seq": seq,
            "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "district_id": district_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "payload": payload,
            "request_id": request_id,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _describe_target(target: models.Model | tuple[str, str] | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        return target
    return target._meta.label_lower, str(target.pk)


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | tuple[str, str] | None = None,
    district: District | None = None,
    payload: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction.

    ``actor`` is the user who acted (``None`` for the system; then ``actor_label`` says who,
    e.g. ``"import_audit"``). ``payload`` holds what changed (before/after) or what was read.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    target_type, target_id = _describe_target(target)
    body = normalize_payload(payload or {})
    label = actor_label or (actor.get_username() if actor is not None else "system")
    with transaction.atomic():
        _lock_chain()
        last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
        seq = (last["seq"] + 1) if last else 1
        prev_hash = last["hash"] if last else GENESIS_HASH
        created_at = timezone.now()
        fields: dict[str, Any] = {
            "seq": seq,
            "created_at": created_at,
            "actor_id": actor.pk if actor is not None else None,
            "actor_label": label,
            "district_id": district.pk if district is not None else None,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "payload": body,
            "request_id": current_request_id(),
            "prev_hash": prev_hash,
        }
        return AuditEntry.objects.create(hash=entry_hash(**fields), **fields)


def chain_check_run(*, actor: User | None, full: bool = False) -> ChainCheck:
    """Check the chain (from the last intact check, or from entry 1) and record the result.

    Incremental by default: the last intact :class:`ChainCheck` gives the entry to start from.
    The result and an ``audit.chain_check`` entry are written in one transaction.
    """
    from shahrvand.audit.selectors import audit_chain_verify, audit_chain_verify_from

    last = None if full else ChainCheck.objects.filter(ok=True, seq__isnull=False).order_by("-pk").first()
    if last is not None and last.seq is not None:
        status = audit_chain_verify_from(seq=last.seq, hash=last.hash)
    else:
        status = audit_chain_verify()
        full = True
    head = status.last_good_seq
    head_hash = ""
    if head is not None:
        head_hash = AuditEntry.objects.filter(seq=head).values_list("hash", flat=True).first() or ""
    with transaction.atomic():
        check = ChainCheck.objects.create(
            seq=head,
            hash=head_hash,
            checked_at=timezone.now(),
            ok=status.intact,
            first_bad_seq=status.first_bad_seq,
            problem=status.problem[:200],
            checked=status.checked,
            full=full,
        )
        audit_record(
            actor=actor,
            actor_label="" if actor else "chain_check",
            action="audit.chain_check",
            target=check,
            payload={
                "ok": status.intact,
                "full": full,
                "checked": status.checked,
                "up_to": check.seq,
                "first_bad_seq": status.first_bad_seq,
                "problem": status.problem,
            },
        )
    return check
