"""Reading the audit trail, and checking that its chain is intact."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from shahrvand.audit.models import GENESIS_HASH, AuditEntry
from shahrvand.audit.services import entry_hash


@dataclass(frozen=True)
class ChainStatus:
    intact: bool
    checked: int
    last_good_seq: int | None
    first_bad_seq: int | None = None
    problem: str = ""


def audit_chain_verify(*, batch_size: int = 2000) -> ChainStatus:
    """Recompute every entry's hash in order and check each links to the one before.

    Reports the first entry whose stored fields no longer produce its stored hash, whose
    ``prev_hash`` is not the previous entry's hash, or whose sequence number skips (an entry
    deleted from the middle).
    """
    entries = AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size)
    return _walk(entries, expected_prev=GENESIS_HASH, expected_seq=None, last_good=None)


def audit_chain_verify_from(*, seq: int, hash: str, batch_size: int = 2000) -> ChainStatus:
    """Verify the chain from entry ``seq`` (which must still hold ``hash``) to the end.

    ``seq``/``hash`` come from an earlier intact check; entry ``seq`` is re-checked itself, so an
    edit of the anchor or a rewrite of everything after it shows. Edits before ``seq`` need a full
    :func:`audit_chain_verify`.
    """
    anchor = AuditEntry.objects.filter(seq=seq).first()
    if anchor is None:
        return ChainStatus(False, 0, None, seq, f"entry {seq} verified earlier is missing")
    if anchor.hash != hash:
        return ChainStatus(False, 0, None, seq, "entry verified earlier has a different hash now")
    entries = AuditEntry.objects.filter(seq__gte=seq).order_by("seq").iterator(chunk_size=batch_size)
    return _walk(entries, expected_prev=anchor.prev_hash, expected_seq=seq, last_good=seq - 1 or None)


def _walk(
    entries: Iterator[AuditEntry], *, expected_prev: str, expected_seq: int | None, last_good: int | None
) -> ChainStatus:
    checked = 0
    for entry in entries:
        if expected_seq is not None and entry.seq != expected_seq:
            return ChainStatus(False, checked, last_good, entry.seq, f"sequence jumps from {last_good} to {entry.seq}")
        if expected_seq is None and entry.seq != 1:
            return ChainStatus(False, checked, last_good, entry.seq, f"chain starts at {entry.seq}, not 1")
        if entry.prev_hash != expected_prev:
            return ChainStatus(False, checked, last_good, entry.seq, "previous-hash link does not match")
        recomputed = entry_hash(
            seq=entry.seq,
            created_at=entry.created_at,
            actor_id=entry.actor_id,
            actor_label=entry.actor_label,
            district_id=entry.district_id,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            payload=entry.payload,
            request_id=entry.request_id,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            return ChainStatus(False, checked, last_good, entry.seq, "entry content does not match its hash")
        checked += 1
        last_good = entry.seq
        expected_prev = entry.hash
        expected_seq = entry.seq + 1
    return ChainStatus(True, checked, last_good)
