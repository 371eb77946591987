"""Slow clients (attack-catalogue §4, issue 3 "Slow clients"): a total deadline for the request
head that dripping bytes never extends (408 + close), a body inactivity timeout, and a keep-alive
idle timeout. All three are set to 1.5 s here through their config keys."""

import socket
import time
import unittest

from harness import (Conn, GatewayTestCase, build_request, echo_json, parse_responses,
                     raw_exchange)

DEADLINE = 1.5
SLACK = 2.5  # generous for sanitizer builds on a loaded 2-core box


def drip(port, data, interval, max_seconds):
    """Sends `data` one byte per `interval` s until the peer answers or closes. Returns
    (bytes received, closed, seconds from connect to the first reply byte or close)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    t0 = time.monotonic()
    received = bytearray()
    closed = False
    first = None
    try:
        i = 0
        while time.monotonic() - t0 < max_seconds:
            if i < len(data):
                try:
                    sock.sendall(data[i:i + 1])
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                i += 1
            sock.settimeout(interval)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                closed = True
                break
            if first is None:
                first = time.monotonic() - t0
            if not chunk:
                closed = True
                break
            received += chunk
        # Read the rest until close (bounded).
        end = time.monotonic() + 3
        while not closed and time.monotonic() < end:
            sock.settimeout(max(0.05, end - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
    finally:
        sock.close()
    return bytes(received), closed, first


class SlowClientsTest(GatewayTestCase):
    timeout = 40
    extra_args = ("--listenerConfig.requestHeaderTimeoutMillis=1500",
                  "--listenerConfig.bodyIdleTimeoutMillis=1500",
                  "--listenerConfig.keepAliveTimeoutMillis=1500")

    def test_head_drip_does_not_extend_deadline(self):
        before = self.main.snapshot()
        head = build_request("GET", "/route/1.0.0/items/1", [("X-Pad", "p" * 60)], host="h")
        data, closed, first = drip(self.port, head, 0.3, 12)
        self.assertIsNotNone(first, "no reply and no close within 12 s")
        self.assertGreaterEqual(first, DEADLINE - 0.3)
        self.assertLess(first, DEADLINE + SLACK)
        rs = parse_responses(data)
        self.assertEqual([r.status for r in rs], [408], data)
        self.assertTrue(closed)
        self.assertBackendUntouched(self.main, before)

    def test_partial_head_then_silence(self):
        before = self.main.snapshot()
        raw = raw_exchange(self.port, b"GET /route/1.0.0/items/1 HTTP/1.1\r\nHo",
                           read_timeout=DEADLINE + SLACK + 1)
        self.assertTrue(raw.closed, raw)
        self.assertGreaterEqual(raw.elapsed, DEADLINE - 0.3)
        self.assertLess(raw.elapsed, DEADLINE + SLACK)
        self.assertEqual([r.status for r in raw.responses()], [408], raw)
        self.assertBackendUntouched(self.main, before)

    def test_body_idle_timeout(self):
        before = self.main.snapshot()
        with Conn(self.port) as c:
            c.send(build_request("POST", "/route/1.0.0/echo", [("Content-Length", "100")],
                                 host="h") + b"0123456789")
            t0 = time.monotonic()
            c.sock.settimeout(DEADLINE + SLACK + 2)
            rest = b""
            try:
                while True:
                    chunk = c.sock.recv(65536)
                    if not chunk:
                        break
                    rest += chunk
            except ConnectionResetError:
                pass
            elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, DEADLINE - 0.3)
        self.assertLess(elapsed, DEADLINE + SLACK)
        rs = parse_responses(rest)
        self.assertEqual([r.status for r in rs], [408], rest)
        self.assertNoCompleteRequest(self.main, before)

    def test_slow_body_within_idle_timeout_completes(self):
        # Idle, not total: 8 bytes every 0.5 s for 4 s outlives the 1.5 s deadlines.
        with Conn(self.port) as c:
            c.send(build_request("POST", "/route/1.0.0/echo", [("Content-Length", "64")],
                                 host="h"))
            for _ in range(8):
                time.sleep(0.5)
                c.send(b"b" * 8)
            r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["body_len"], 64)

    def test_keep_alive_idle_close(self):
        with Conn(self.port) as c:
            self.assertEqual(c.request("GET", "/route/1.0.0/items/1").status, 200)
            t0 = time.monotonic()
            self.assertTrue(c.closed_within(DEADLINE + SLACK + 1), "idle connection kept open")
            elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, DEADLINE - 0.3)
        self.assertLess(elapsed, DEADLINE + SLACK)

    def test_keep_alive_request_before_idle_timeout(self):
        with Conn(self.port) as c:
            for _ in range(3):
                self.assertEqual(c.request("GET", "/route/1.0.0/items/1").status, 200)
                time.sleep(0.8)

    def test_fresh_connection_without_bytes_is_closed(self):
        with Conn(self.port) as c:
            t0 = time.monotonic()
            c.sock.settimeout(DEADLINE + SLACK + 1)
            data = b""
            try:
                while True:
                    chunk = c.sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
            except socket.timeout:
                self.fail("silent connection kept open")
            elapsed = time.monotonic() - t0
        self.assertLess(elapsed, DEADLINE + SLACK)
        if data:
            self.assertEqual([r.status for r in parse_responses(data)], [408], data)

    def test_normal_client_served_during_slow_clients(self):
        socks = []
        try:
            for _ in range(20):
                s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                s.sendall(b"GET /route/1.0.0/items/1 HTTP/1.1\r\nHo")
                socks.append(s)
            t0 = time.monotonic()
            r = self.get("/route/1.0.0/items/2")
            self.assertEqual(r.status, 200)
            self.assertLess(time.monotonic() - t0, 1.0)
        finally:
            for s in socks:
                s.close()


if __name__ == "__main__":
    unittest.main()
