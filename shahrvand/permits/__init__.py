"""Building permits (پروانه ساختمانی): the application, its pre-check against zoning, and its workflow.

The workflow is one table (:mod:`shahrvand.permits.workflow`) registered with the cases engine; every
status change goes through ``shahrvand.cases.services.case_act``.
"""
