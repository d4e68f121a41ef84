"""Split a listing into pagers; pure, so it is trivially testable."""

from __future__ import annotations

from collections.abc import Sequence

from dateline.model import Article, Pager


def paginate(items: Sequence[Article], *, first_path: str, per_page: int) -> tuple[Pager, ...]:
    """One pager per `per_page` items; an empty listing still has page 1."""
    count = max(1, -(-len(items) // per_page))
    return tuple(
        Pager(
            number=n,
            count=count,
            items=tuple(items[(n - 1) * per_page : n * per_page]),
            path=first_path if n == 1 else f"{first_path}page/{n}/",
            first_path=first_path,
        )
        for n in range(1, count + 1)
    )
