"""What a browser test watches for on every page: console errors (CSP violations are reported there),
page errors, and answers from the server that say something broke."""

from __future__ import annotations


class PageProblems:
    """Collects problems in ``items``. ``status_from``: the lowest HTTP status counted (400, or 500 where a
    test visits refusals on purpose); ``failed_requests``: also count requests that never got an answer."""

    def __init__(self, page, *, status_from: int = 400, failed_requests: bool = True) -> None:
        self.items: list[str] = []
        page.on("console", lambda msg: self.items.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        if failed_requests:
            page.on("requestfailed", lambda request: self.items.append(f"failed: {request.url}"))
        page.on(
            "response",
            lambda response: (
                self.items.append(f"{response.status}: {response.url}") if response.status >= status_from else None
            ),
        )
