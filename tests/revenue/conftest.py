from __future__ import annotations

import pytest

from shahrvand.registry.services import audit_import
from tests.registry.conftest import SAMPLE


@pytest.fixture
def registry(district1):
    """District 1 with the sample audit delivery applied."""
    result = audit_import(actor=None, district=district1, path=SAMPLE)
    assert result.status == "applied"
    return district1
