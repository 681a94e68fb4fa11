"""Why a planning operation was refused: a stable code and a message in English and in Persian."""

from __future__ import annotations


class PlanningError(ValueError):
    """Refused; nothing was changed."""

    def __init__(self, code: str, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_fa = message_fa

    def message(self, language: str | None) -> str:
        return self.message_en if (language or "fa").startswith("en") else self.message_fa
