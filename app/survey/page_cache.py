"""Question pages rendered once per language and page state, then served from this process's memory.

Why: rendering a question page (Jinja macros and about 140 translation lookups) costs ten times
the rest of the request, yet thousands of respondents see the very same page. The view's key holds
everything the page shows; the only per-respondent part, the CSRF token, goes into a slot after
the page comes out of the cache.

Not cached, so rendered every time:
- a page with errors (only a POST has them);
- a page showing free text the respondent typed: typed words are never kept in memory.

A key holds option codes a respondent chose, with nothing that could tie them to anyone.
The cache is a bounded LRU, shared by a worker's threads; PAGE_CACHE_SIZE=0 turns it off, and
with it the reuse of signed CSRF tokens (signed_csrf_token below).
"""

import secrets
from collections.abc import Callable, Hashable

from flask import current_app, session
from flask_wtf.csrf import generate_csrf

from app.lru import LRU
from app.surveys import live

# Stands in for the CSRF token while rendering: random for each process, so no request can know it
# and put it anywhere on a page (a link, a value) where the token would then be written instead.
CSRF_SLOT = f"csrf-slot-{secrets.token_hex(16)}"
SIGNED_TOKENS_KEPT = 10_000  # sessions seen lately; about 3 MB


def render(key: Hashable | None, render_page: Callable[..., str]) -> str:
    """The page for `key` with this session's CSRF token; `render_page(csrf_token=...)` renders it.

    A key of None means "do not cache this one".
    """
    pages: LRU | None = current_app.extensions.get("page_cache")
    if key is None or pages is None:
        return render_page()
    # The live version's file too: once another is live, no worker serves a page of the old one.
    key = (live.in_use().key, key)
    parts = pages.get(key)
    if parts is None:
        # Kept split at the slot, so the token goes where the form put it and nowhere else.
        parts = tuple(render_page(csrf_token=lambda: CSRF_SLOT).split(CSRF_SLOT))
        pages.put(key, parts)
    return signed_csrf_token().join(parts)


def signed_csrf_token() -> str:
    """This session's CSRF token, as Flask-WTF's generate_csrf() makes it, signed once per session.

    generate_csrf() signs the session's raw token afresh for every page, a tenth of the cost of a
    cached page view. Tokens here never expire (WTF_CSRF_TIME_LIMIT = None), so a signature made
    earlier is exactly as valid; it is kept, keyed by the raw token the session cookie carries anyway.
    """
    signed_tokens: LRU | None = current_app.extensions.get("signed_csrf_tokens")
    raw = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if signed_tokens is None or raw is None or current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    signed = signed_tokens.get(raw)
    if signed is None:
        signed = generate_csrf()
        signed_tokens.put(raw, signed)
    return signed


def init_app(app) -> None:
    size = int(app.config.get("PAGE_CACHE_SIZE", 0))
    if size > 0:
        app.extensions["page_cache"] = LRU(size)
        app.extensions["signed_csrf_tokens"] = LRU(SIGNED_TOKENS_KEPT)
