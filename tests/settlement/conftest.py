from __future__ import annotations

from tests.revenue.conftest import registry  # noqa: F401  (the district with the sample delivery applied)
