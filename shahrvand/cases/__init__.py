"""Requests (cases): what every citizen request shares, for every service.

A case has a tracking code, a type, a status, a timeline of events, an SLA per step in working
days and attachments. Each type's states and transitions are one table in :mod:`.workflows`;
:func:`.services.case_act` is the only function that changes a status.
"""
