"""Each process runs at most PAGE_THREADS requests through the app at once, however many threads it has.

gunicorn.conf.py gives each worker more threads than that: the rest can only hold refused staff
sign-in posts through their pause (app/staff/auth/throttle.py), which use no core. Pages keep the
concurrency measured best for respondents: on 2 cores with bench/respondents at overload, 4 threads a
worker confirmed a third more responses a second than 12 did.

A slot is held while the app builds its response. A streamed body (a staff export) is sent after
the slot is given back: exports are rare, and a slot held until a slow client has read the whole
file would be a page thread lost for that long.
"""

import threading


class PageSlots:
    """WSGI middleware: wait for one of `slots` before running the app (0: no limit)."""

    def __init__(self, wsgi_app, slots: int):
        self.wsgi_app = wsgi_app
        self.slots = threading.BoundedSemaphore(slots) if slots > 0 else None

    def __call__(self, environ, start_response):
        if self.slots is None:
            return self.wsgi_app(environ, start_response)
        with self.slots:
            return self.wsgi_app(environ, start_response)
