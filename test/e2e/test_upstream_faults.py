"""Upstream faults available on loopback (attack-catalogue §9, issue 3 "Upstream faults"): each
answers 500 with WSO2 fault 101503 (101504 for time-outs), or ends a response that has already
started by closing; the faulty upstream connection is never reused."""

import time
import unittest

from harness import FAULT_BACKEND, FAULT_TIMEOUT, Conn, GatewayTestCase, echo_json

MODE = "X-Backend-Mode"


class UpstreamFaultsTest(GatewayTestCase):
    timeout = 40

    def fault(self, mode, target="/route/1.0.0/echo", expected=FAULT_BACKEND):
        t0 = time.monotonic()
        r = self.get(target, headers=[(MODE, mode)], timeout=15)
        self.assertFault(r, expected, 500)
        return time.monotonic() - t0

    def next_request_uses_new_connection(self):
        """After a fault, the next request must reach the backend on a new connection."""
        faulty = self.main.last()
        self.assertIsNotNone(faulty)
        r = self.get("/route/1.0.0/items/1")
        self.assertEqual(r.status, 200, r)
        e = echo_json(r)
        self.assertEqual(e["path"], "/backend/items/1")
        self.assertNotEqual(e["conn_id"], faulty.conn_id, "faulty upstream connection reused")

    def test_closed_port(self):
        elapsed = self.fault("echo", "/ep/v1/dead")
        self.assertLess(elapsed, 1.0)

    def test_never_answers_times_out(self):
        elapsed = self.fault("never", "/ep/v1/slow", FAULT_TIMEOUT)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 2.5)

    def test_close_before_headers(self):
        self.fault("close")
        self.next_request_uses_new_connection()

    def test_rst_before_headers(self):
        self.fault("rst")
        self.next_request_uses_new_connection()

    def test_bad_status_line(self):
        self.fault("bad_status")
        self.next_request_uses_new_connection()

    def test_not_http(self):
        self.fault("garbage")
        self.next_request_uses_new_connection()

    def test_cl_and_te_response(self):
        self.fault("cl_te")
        self.next_request_uses_new_connection()

    def test_huge_response_headers(self):
        self.fault("huge_headers")
        self.next_request_uses_new_connection()

    def test_too_many_1xx(self):
        self.fault("continue:50")
        self.next_request_uses_new_connection()

    def test_bad_chunking_response(self):
        r = self.get("/route/1.0.0/echo", headers=[(MODE, "bad_chunk")], timeout=15)
        if r is not None and r.status == 500:
            self.assertFault(r, FAULT_BACKEND, 500)
        else:
            # The head was already forwarded: the response must end by a close, never complete.
            self.assertIsNotNone(r)
            self.assertFalse(r.complete, "a broken upstream body looked complete: %r" % r)
        self.next_request_uses_new_connection()

    def test_extra_bytes_after_response_not_reused(self):
        r = self.get("/route/1.0.0/echo", headers=[(MODE, "extra_bytes")])
        if r.status == 200:
            self.assertEqual(r.body, b"hello")
        else:
            self.assertFault(r, FAULT_BACKEND, 500)
        for _ in range(3):
            r = self.get("/route/1.0.0/items/1")
            self.assertEqual(r.status, 200, r)
            self.assertNotIn(b"smuggle", r.body)
            self.assertEqual(echo_json(r)["path"], "/backend/items/1")

    def test_mid_body_close_truncates_client_response(self):
        with Conn(self.port, timeout=15) as c:
            r = c.request("GET", "/route/1.0.0/echo", [(MODE, "truncated")])
            if r.status == 500:
                self.assertEqual(r.json(), FAULT_BACKEND)
                return
            self.assertEqual(r.status, 200)
            self.assertFalse(r.complete, "truncated upstream body delivered as complete")
            self.assertLess(len(r.body), 1048576)
            self.assertTrue(c.reader.eof)
        self.next_request_uses_new_connection()

    def test_fault_keeps_client_connection_usable(self):
        with Conn(self.port, timeout=15) as c:
            r = c.request("GET", "/route/1.0.0/echo", [(MODE, "rst")])
            self.assertEqual(r.status, 500)
            r = c.request("GET", "/route/1.0.0/items/4")
            self.assertEqual(echo_json(r)["path"], "/backend/items/4")

    def test_backend_closing_after_each_response(self):
        # A backend without keep-alive: every request needs a fresh upstream connection and
        # none may fail because a closed one was picked from the pool.
        self.main.close_each = True
        ids = []
        with Conn(self.port) as c:
            for i in range(10):
                r = c.request("GET", "/route/1.0.0/items/%d" % i)
                self.assertEqual(r.status, 200, r)
                ids.append(echo_json(r)["conn_id"])
        self.assertEqual(len(set(ids)), 10, ids)

    def test_upstream_keepalive_reused_when_healthy(self):
        # Not a requirement of the issue, but pooling is expected: two sequential requests on
        # one client connection should not need two upstream connections each time.
        ids = {echo_json(self.get("/route/1.0.0/items/1"))["conn_id"] for _ in range(5)}
        self.assertLessEqual(len(ids), 3, ids)


if __name__ == "__main__":
    unittest.main()
