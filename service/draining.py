"""Graceful shutdown in two steps. On SIGTERM the service first drains for a few seconds: every new request gets
503 with Retry-After and `Connection: close` (a load balancer takes /ready's 503 as its cue), while requests in
flight go on; then the server's own shutdown lets them finish and exits. A second SIGTERM stops at once."""
from __future__ import annotations

import logging
import signal
import threading

log = logging.getLogger("service")

class Drain:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.started = threading.Event()

    def install(self) -> None:
        """Take over SIGTERM from the server (uvicorn's handler runs after the drain). Signals reach the main
        thread only: where the app runs elsewhere (a TestClient) nothing is installed."""
        if threading.current_thread() is not threading.main_thread():
            return
        server_handler = signal.getsignal(signal.SIGTERM)
        if not callable(server_handler):
            return

        def on_sigterm(sig, frame):
            if self.started.is_set():
                return server_handler(sig, frame)
            self.started.set()
            log.warning("SIGTERM: refusing new requests for %.1f s, then finishing the ones in flight", self.seconds)
            threading.Timer(self.seconds, server_handler, (sig, frame)).start()

        signal.signal(signal.SIGTERM, on_sigterm)
