"""Proving who someone is: one-time codes by SMS, staff second factor (TOTP), sign-in lockouts,
password reset by SMS, and the national-code ↔ mobile matching adapter (شاهکار)."""
