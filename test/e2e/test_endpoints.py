"""Endpoints: per-resource, load_balance round robin (also across workers), failover, URL override
flags (reference names and inline api_<sha256>), timeoutInMillis -> 101504, unreachable -> 101503.
"""

import time
import unittest

from harness import (FAULT_BACKEND, FAULT_TIMEOUT, Conn, E2ETestCase, Gateway, GatewayTestCase,
                     RecordingBackend, e2e_artifact, echo_json, free_port, http_request)


class EndpointsTest(GatewayTestCase):
    def test_per_resource_endpoint_overrides_api_endpoint(self):
        self.assertEqual(echo_json(self.get("/route/1.0.0/other/1"))["backend_id"], "other")
        self.assertEqual(echo_json(self.get("/route/1.0.0/items/1"))["backend_id"], "main")

    def test_load_balance_alternates_new_connections(self):
        ids = [echo_json(self.get("/ep/v1/lb"))["backend_id"] for _ in range(8)]
        self.assertEqual(sorted(set(ids)), ["lb0", "lb1"], ids)
        for a, b in zip(ids, ids[1:]):
            self.assertNotEqual(a, b, ids)

    def test_load_balance_alternates_on_one_connection(self):
        with Conn(self.port) as c:
            ids = [echo_json(c.request("GET", "/ep/v1/lb"))["backend_id"] for _ in range(6)]
        for a, b in zip(ids, ids[1:]):
            self.assertNotEqual(a, b, ids)

    def test_load_balance_path(self):
        e = echo_json(self.get("/ep/v1/lb?k=v"))
        self.assertEqual(e["path"], "/lb/lb?k=v")

    def test_failover_skips_closed_port(self):
        for _ in range(3):
            r = self.get("/ep/v1/fo")
            self.assertEqual(r.status, 200, r)
            e = echo_json(r)
            self.assertEqual(e["backend_id"], "lb1")
            self.assertEqual(e["path"], "/fo/fo")

    def test_unreachable_is_101503_quickly(self):
        t0 = time.monotonic()
        r = self.get("/ep/v1/dead")
        elapsed = time.monotonic() - t0
        self.assertFault(r, FAULT_BACKEND, 500)
        self.assertLess(elapsed, 1.0)

    def test_timeout_in_millis_is_101504(self):
        t0 = time.monotonic()
        r = self.get("/ep/v1/slow", headers=[("X-Backend-Mode", "never")], timeout=10)
        elapsed = time.monotonic() - t0
        self.assertFault(r, FAULT_TIMEOUT, 500)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 2.5)

    def test_slow_response_within_timeout_passes(self):
        r = self.get("/ep/v1/slow", headers=[("X-Backend-Mode", "delay:300")])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["path"], "/slow/slow")

    def test_delayed_response_beyond_timeout_is_101504(self):
        r = self.get("/ep/v1/slow", headers=[("X-Backend-Mode", "delay:3000")])
        self.assertFault(r, FAULT_TIMEOUT, 500)

    def test_inline_api_endpoint_override(self):
        r = self.get("/sec/v1/public")
        self.assertEqual(r.status, 200, r)
        e = echo_json(r)
        self.assertEqual((e["backend_id"], e["path"]), ("main", "/sec/public"))


class LoadBalanceWorkersTest(GatewayTestCase):
    workers = 2

    def test_round_robin_shared_by_workers(self):
        ids = []
        for _ in range(10):
            ids.append(echo_json(self.get("/ep/v1/lb"))["backend_id"])
        for a, b in zip(ids, ids[1:]):
            self.assertNotEqual(a, b, ids)
        self.assertEqual(ids.count("lb0"), 5)


class OverrideTest(E2ETestCase):
    """Without overrides the placeholder URLs (closed port 9) are used; with them, the
    backend named on the command line."""

    def test_override_flag_changes_url(self):
        with RecordingBackend("b") as b:
            with Gateway(e2e_artifact(), ["--main_prod_endpoint_0=" + b.url("/x")]) as gw:
                r = http_request(gw.port, "GET", "/route/1.0.0/items/5")
                self.assertEqual(echo_json(r)["path"], "/x/items/5")
                r = http_request(gw.port, "GET", "/legacy/v2/things/1")
                self.assertEqual(r.status, 500)
                self.assertEqual(r.json(), FAULT_BACKEND)

    def test_unused_override_port(self):
        closed = free_port()
        with Gateway(e2e_artifact(), ["--main_prod_endpoint_0=http://127.0.0.1:%d" % closed]) as gw:
            r = http_request(gw.port, "GET", "/route/1.0.0/items/5")
            self.assertEqual(r.status, 500)
            self.assertEqual(r.json(), FAULT_BACKEND)


if __name__ == "__main__":
    unittest.main()
