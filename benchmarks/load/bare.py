"""The baseline of the load test: a bare Django view doing one query, on the same gunicorn and database.

Not part of Shahrvand's URLs: ``DJANGO_SETTINGS_MODULE=benchmarks.load.bare`` serves only ``/bare``,
which reads one row of ``core_city`` (the database ``run.py`` seeded) and answers it as text. No
middleware, no templates, no sessions: what Django + gunicorn + PostgreSQL cost per request, so the
application's throughput can be given as a share of it.
"""

from __future__ import annotations

import os

import dj_database_url
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
USE_TZ = True
_db = dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=0)
_db["OPTIONS"] = {"pool": {"min_size": 1, "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "8"))}}
DATABASES = {"default": _db}


def bare(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name FROM core_city ORDER BY id LIMIT 1")
        row = cursor.fetchone()
    return HttpResponse(f"{row[0]} {row[1]}", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bare", bare)]
