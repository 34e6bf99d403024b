"""A small TCP proxy on loopback that can make the server behind it "go away".

``smpstudio serve`` talks to PostgreSQL through it. :meth:`TcpProxy.outage` drops every
live connection (both ends shut down, as when PostgreSQL's backends die) and closes the
listening socket, so that new connections are *refused* (``ECONNREFUSED``, as when nothing
listens on the port) for the given time; then it listens again on the same port and
relays as before. The PostgreSQL server behind it is never touched.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field

__all__ = ["TcpProxy"]


@dataclass
class TcpProxy:
    """Relay ``127.0.0.1:<port>`` to ``target`` (host, port) in threads."""

    target: tuple[str, int]
    port: int = 0
    accepted: int = 0
    dropped: int = 0
    _listener: socket.socket | None = None
    _live: set[socket.socket] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)  # the accept loop notices a closed listener at once
        self.port = int(listener.getsockname()[1])
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept(self, listener: socket.socket) -> None:
        while listener is self._listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed: an outage or the end
                return
            if listener is not self._listener:
                client.close()
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self.accepted += 1
                self._live |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            with self._lock:
                for s in (source, sink):
                    if s in self._live:
                        self._live.discard(s)
                        s.close()

    def drop_all(self) -> int:
        """Cut every relayed connection; returns how many sockets were cut."""
        with self._lock:
            live, self._live = self._live, set()
        for s in live:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self.dropped += len(live) // 2
        return len(live)

    def outage(self, seconds: float) -> None:
        """Drop every connection and refuse new ones for ``seconds``, then relay again."""
        listener, self._listener = self._listener, None
        assert listener is not None, "the proxy is not running"
        listener.close()
        time.sleep(0.1)  # the accept loop has seen it
        self.drop_all()
        time.sleep(seconds)
        self.drop_all()  # anything that slipped through while the listener closed
        self.start()

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        self.drop_all()
