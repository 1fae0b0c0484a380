"""Slowing a crude bot or spam flood, without JavaScript and without keeping any address.

- A honeypot field with the hidden attribute (no person sees, reaches or fills it): a post that fills it is
  refused with a clear page and changes nothing.
- A token bucket per draft, in this process's memory, for the posts that start, save or send
  answers. Over the limit gets a 429 page with Retry-After; the draft is untouched. The bucket is
  keyed by a hash of the draft's token, held only in memory, and forgotten when idle.

There is deliberately no bucket shared by every client: one client could empty it and every real
person after it would be refused. New starts without a draft are limited per client address by
nginx (deploy/nginx/survey.conf, in nginx's memory only); the app never sees an address.
What this does not stop is in docs/security.md ("Bots and floods").
"""

import hashlib
import threading
import time
from collections import OrderedDict

from flask import Flask, current_app, render_template, request, session, url_for
from werkzeug.exceptions import BadRequest, TooManyRequests

from app import i18n
from app.survey.views import DRAFT_KEY

HONEYPOT_FIELD = "website"
MAX_TRACKED_DRAFTS = 50_000  # a bound on memory: about 10 MB at most


class TokenBucket:
    """`rate` tokens a second up to `capacity`; each allowed request takes one."""

    __slots__ = ("rate", "capacity", "tokens", "updated")

    def __init__(self, rate: float, capacity: float, now: float):
        self.rate, self.capacity, self.tokens, self.updated = rate, capacity, capacity, now

    def take(self, now: float) -> float:
        """0 when allowed; otherwise the seconds until a token is free."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FloodBrakes:
    """The per-process limits; thread-safe (gunicorn's gthread workers share one)."""

    def __init__(self, config, clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.per_draft_rate = config["POSTS_PER_DRAFT_PER_MINUTE"] / 60
        self.per_draft_burst = config["POSTS_PER_DRAFT_BURST"]
        self.drafts: OrderedDict[str, TokenBucket] = OrderedDict()

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def moved(self, old_token: str | None, new_token: str) -> None:
        """A draft's token changed (against draft fixation): its bucket goes with it, so starting
        over and over, which gives a new token each time, never refills the bucket."""
        if not old_token:
            return
        with self.lock:
            bucket = self.drafts.pop(self._key(old_token), None)
            if bucket is not None:
                self.drafts[self._key(new_token)] = bucket

    def post_for_draft(self, token: str) -> float:
        if self.per_draft_rate <= 0:
            return 0.0
        key = self._key(token)
        now = self.clock()
        with self.lock:
            bucket = self.drafts.pop(key, None) or TokenBucket(self.per_draft_rate, self.per_draft_burst, now)
            self.drafts[key] = bucket  # most recently used last
            while len(self.drafts) > MAX_TRACKED_DRAFTS:
                self.drafts.popitem(last=False)
            return bucket.take(now)


def check_post():
    """Before every survey POST: the honeypot, then the limits. Returns a page to refuse with, or None."""
    if request.method != "POST":
        return None
    if request.form.get(HONEYPOT_FIELD):
        # "Go back" leads to a page that shows a form: /start itself only takes posts.
        back = url_for("survey.start") if request.endpoint == "survey.begin" else i18n.this_page_path()
        return render_template("errors/error.html", error=BadRequest(), back=back), 400
    brakes: FloodBrakes = current_app.extensions["flood_brakes"]
    token = session.get(DRAFT_KEY)
    wait = brakes.post_for_draft(token) if token else 0.0
    if wait:
        page = render_template("errors/error.html", error=TooManyRequests(), back=i18n.this_page_path())
        return page, 429, {"Retry-After": str(max(1, round(wait)))}
    return None


def init_app(app: Flask) -> None:
    app.extensions["flood_brakes"] = FloodBrakes(app.config)
