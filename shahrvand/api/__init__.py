"""The JSON API v1 (django-ninja): citizens with bearer tokens, notaries and banks with API keys.

Nothing below this package imports it: handlers parse, call one selector or service of a domain
package, and answer. See ``docs/api.md``.
"""
