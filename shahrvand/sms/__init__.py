"""Text messages (SMS): an outbox table, backends behind one adapter, delivery after commit.

Every message is a row in :class:`~shahrvand.sms.models.OutboxMessage`, written inside the caller's
transaction by :func:`~shahrvand.sms.services.sms_send` and handed to the configured backend only
after that transaction commits. ``settings.SMS_BACKEND`` picks the backend: ``outbox`` (the
default: nothing leaves the building, staff read the outbox page), ``console`` (the log) or
``kavenegar`` (Kavenegar's HTTP API, configured by ``KAVENEGAR_API_KEY`` and ``KAVENEGAR_SENDER``).
"""
