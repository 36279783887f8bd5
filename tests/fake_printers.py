"""Fake network printers on loopback: real TCP servers on free ports speaking raw port-9100 ESC/POS.

``FakePrinter(mode)`` modes:

* ``record`` — answers ``DLE EOT n`` like a healthy printer (0x12: online, paper present) and records
  every byte of every connection;
* ``hang`` — accepts connections and never reads or answers;
* ``drop`` — answers status, reads ``drop_after`` bytes of the job, then resets the connection; after
  ``drops`` such connections it behaves like ``record``;
* ``no_paper`` — answers ``DLE EOT 4`` with paper end (0x72).

``refused_port()`` gives a port where nothing listens (connection refused).
"""

import socket
import struct
import threading

DLE_EOT = b"\x10\x04"


def refused_port():
    """A loopback port with nothing listening (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakePrinter:
    def __init__(self, mode="record", drop_after=300, drops=1):
        self.mode = mode
        self.drop_after = drop_after
        self.drops_left = drops
        self._buffers = []  # bytearray received per connection
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._held = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def connections(self):
        """Bytes received, one entry per connection, in order."""
        with self._lock:
            return [bytes(b) for b in self._buffers]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        for conn in self._held:
            try:
                conn.close()
            except OSError:
                pass
        self._server.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self._server.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _status_reply(self, n):
        if self.mode == "no_paper" and n == 4:
            return b"\x72"
        return b"\x12"

    def _handle(self, conn):
        if self.mode == "hang":
            self._held.append(conn)  # never read, never answer
            return
        with self._lock:
            received = bytearray()
            self._buffers.append(received)
            dropping = self.mode == "drop" and self.drops_left > 0
            if dropping:
                self.drops_left -= 1
        conn.settimeout(0.2)
        scanned = 0
        job_bytes = 0
        try:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(4096)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                with self._lock:
                    received += chunk
                # answer real-time status requests wherever they appear, as a printer does
                while True:
                    at = received.find(DLE_EOT, scanned)
                    if at < 0 or at + 2 >= len(received):
                        scanned = max(scanned, len(received) - 2) if at < 0 else scanned
                        break
                    conn.sendall(self._status_reply(received[at + 2]))
                    scanned = at + 3
                job_bytes = len(received) - 6
                if dropping and job_bytes >= self.drop_after:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()  # RST: the printer fell off the network mid-job
                    return
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass
