"""Local throttling (issue 5, reference wso2-mgw3.md §4, §5): resource and API tiers with exact
limits (N pass, N+1 refused with WSO2's exact bodies), a tier without a policy (500 900809),
Retry-After and the IETF RateLimit fields, exact limits across worker threads, and the
Unauthenticated tier of unsecured resources keyed by client IP (X-Forwarded-For believed only
from `[listenerConfig] trustedProxies`).

Fixture: projects/throttle (policies 3PerMin and 5PerMin resource tiers, Unauthenticated 6 per
window; all windows 60 s, aligned to the clock). Each test starts its own gateway, so counters
start empty, and steps over a window edge before its burst so the burst stays in one window.
"""

import math
import threading
import time
import unittest

from harness import (PROJECTS, Conn, E2ETestCase, Gateway, RecordingBackend, build_project,
                     echo_json, http_request, run_gateway_expect_exit)

WINDOW_S = 60

# Exact WSO2 bodies (Ballerina's ", " separators), compared byte for byte.
BODY_API = (b'{"fault":{"code":900800, "message":"Message throttled out", '
            b'"description":"You have exceeded your quota"}}')
BODY_RESOURCE = (b'{"fault":{"code":900802, "message":"Message throttled out", '
                 b'"description":"You have exceeded your quota"}}')
BODY_SUBSCRIPTION = (b'{"fault":{"code":900804, "message":"Message throttled out", '
                     b'"description":"You have exceeded your quota"}}')
BODY_POLICY_MISSING = (b'{"fault":{"code":900809, "message":"Internal server error occured", '
                       b'"description":"POLICY ENFORCEMENT ERROR"}}')
BODY_MISSING_CREDENTIALS = (b'{"fault":{"code":900902, "message":"Missing Credentials", '
                            b'"description":"Make sure your API request provides required '
                            b'credentials"}}')

_ARTIFACT = {}


def throttle_artifact():
    if "a" not in _ARTIFACT:
        _ARTIFACT["a"] = build_project(PROJECTS / "throttle")
    return _ARTIFACT["a"]


def seconds_to_window_end(now=None):
    now = time.time() if now is None else now
    return WINDOW_S - (now % WINDOW_S)


def avoid_window_edge(margin=3.0):
    """Sleeps past the next window boundary when it is less than `margin` seconds away."""
    left = seconds_to_window_end()
    if left < margin:
        time.sleep(left + 0.2)


class ThrottleTestCase(E2ETestCase):
    """One recording backend and a fresh gateway per test (empty counters)."""

    gateway_args = ()
    workers = None

    @classmethod
    def setUpClass(cls):
        cls.artifact = throttle_artifact()
        cls.backend = RecordingBackend("thr")

    @classmethod
    def tearDownClass(cls):
        cls.backend.stop()

    def setUp(self):
        args = ["--thr_prod_endpoint_0=" + self.backend.url("/thr"),
                "--tier_prod_endpoint_0=" + self.backend.url("/tier")] + list(self.gateway_args)
        if self.workers:
            args += ["--workers", str(self.workers)]
        self.gw = Gateway(self.artifact, args)
        self.gw.start()
        self.addCleanup(self.gw.stop)
        avoid_window_edge()

    def get(self, target, headers=None, method="GET"):
        return http_request(self.gw.port, method, target, headers)

    # -- assertions --
    def assertPassed(self, resp, backend_path=None):
        self.assertIsNotNone(resp, "no response")
        self.assertEqual(resp.status, 200, "body=%r" % resp.body[:300])
        if backend_path:
            self.assertEqual(echo_json(resp)["path"], backend_path)

    def assertRefused(self, resp, status, body):
        self.assertIsNotNone(resp, "no response")
        self.assertEqual(resp.status, status, "body=%r" % resp.body[:300])
        self.assertEqual(resp.header("content-type"), "application/json")
        self.assertEqual(resp.body, body)

    def assertRateLimit(self, resp, policy, quota, remaining):
        self.assertEqual(resp.header_all("RateLimit-Policy"),
                         ['"%s";q=%d;w=%d' % (policy, quota, WINDOW_S)])
        fields = resp.header_all("RateLimit")
        self.assertEqual(len(fields), 1, resp.headers)
        prefix = '"%s";r=%d;t=' % (policy, remaining)
        self.assertTrue(fields[0].startswith(prefix), (fields[0], prefix))
        reset = int(fields[0][len(prefix):])
        self.assertTrue(1 <= reset <= WINDOW_S, reset)
        self.assertLessEqual(abs(reset - math.ceil(seconds_to_window_end())), 2, reset)

    def assertRetryAfter(self, resp):
        values = resp.header_all("Retry-After")
        self.assertEqual(len(values), 1, resp.headers)
        self.assertTrue(values[0].isdigit(), values)  # delta-seconds, RFC 9110 §10.2.3
        retry = int(values[0])
        self.assertTrue(1 <= retry <= WINDOW_S, retry)
        # The refusing window ends then (clock-aligned windows).
        self.assertLessEqual(abs(retry - math.ceil(seconds_to_window_end())), 2, retry)

    def backend_count(self):
        return self.backend.snapshot()[2]


class ResourceTierTest(ThrottleTestCase):
    def test_exact_limit_then_900802_with_retry_after(self):
        before = self.backend_count()
        with Conn(self.gw.port) as c:
            for remaining in (2, 1, 0):
                r = c.request("GET", "/thr/v1/limited")
                self.assertPassed(r, "/thr/limited")
                # Tightest tier: the resource tier (2 left) beats Unauthenticated (5 left).
                self.assertRateLimit(r, "3PerMin", 3, remaining)
                self.assertEqual(r.header_all("Retry-After"), [])
            r = c.request("GET", "/thr/v1/limited")
            self.assertRefused(r, 429, BODY_RESOURCE)
            self.assertRetryAfter(r)
            self.assertRateLimit(r, "3PerMin", 3, 0)
            # The connection stays usable after a 429.
            self.assertRefused(c.request("GET", "/thr/v1/limited"), 429, BODY_RESOURCE)
        self.assertRefused(self.get("/thr/v1/limited"), 429, BODY_RESOURCE)
        time.sleep(0.2)
        self.assertEqual(self.backend_count() - before, 3, "refused requests reached the backend")

    def test_resource_key_includes_method(self):
        for _ in range(3):
            self.assertPassed(self.get("/thr/v1/limited"))
        self.assertRefused(self.get("/thr/v1/limited"), 429, BODY_RESOURCE)
        r = self.get("/thr/v1/limited", method="POST")
        self.assertPassed(r)
        self.assertRateLimit(r, "3PerMin", 3, 2)

    def test_resource_key_is_the_template(self):
        for i in range(3):
            self.assertPassed(self.get("/thr/v1/limited/%d" % i), "/thr/limited/%d" % i)
        self.assertRefused(self.get("/thr/v1/limited/99"), 429, BODY_RESOURCE)
        self.assertPassed(self.get("/thr/v1/limited"))  # another resource, its own counter

    def test_tier_without_policy_is_500_900809(self):
        before = self.backend_count()
        for _ in range(3):
            r = self.get("/thr/v1/broken")
            self.assertRefused(r, 500, BODY_POLICY_MISSING)
            self.assertEqual(r.header_all("Retry-After"), [])
            self.assertEqual(r.header_all("RateLimit"), [])
        time.sleep(0.2)
        self.assertEqual(self.backend_count(), before)
        self.assertIn("throttling.policy_missing", self.gw.logs())
        # Nothing was counted: the open resource still has its whole Unauthenticated quota.
        r = self.get("/thr/v1/open")
        self.assertPassed(r)
        self.assertRateLimit(r, "Unauthenticated", 6, 5)


class ApiTierTest(ThrottleTestCase):
    def test_api_tier_is_one_counter_for_all_resources(self):
        before = self.backend_count()
        paths = ["/tier/v1/a", "/tier/v1/b", "/tier/v1/a", "/tier/v1/b", "/tier/v1/a"]
        for i, p in enumerate(paths):
            r = self.get(p)
            self.assertPassed(r, p.replace("/tier/v1", "/tier"))
            self.assertRateLimit(r, "5PerMin", 5, 4 - i)
        for p in ("/tier/v1/a", "/tier/v1/b"):
            r = self.get(p)
            self.assertRefused(r, 429, BODY_API)
            self.assertRetryAfter(r)
            self.assertRateLimit(r, "5PerMin", 5, 0)
        time.sleep(0.2)
        self.assertEqual(self.backend_count() - before, 5)

    def test_rejected_by_security_is_not_counted(self):
        for _ in range(7):
            self.assertRefused(self.get("/tier/v1/secured"), 401, BODY_MISSING_CREDENTIALS)
        for _ in range(5):
            self.assertPassed(self.get("/tier/v1/a"))
        self.assertRefused(self.get("/tier/v1/a"), 429, BODY_API)


class WorkersTest(ThrottleTestCase):
    """Two worker threads share one set of counters: the limit is exact, not N per worker."""

    workers = 2

    def burst(self, target, n, threads=8):
        statuses = []
        lock = threading.Lock()
        barrier = threading.Barrier(threads)
        per_thread = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]

        def run(count):
            barrier.wait(timeout=10)
            for _ in range(count):
                r = http_request(self.gw.port, "GET", target)  # a new connection each
                with lock:
                    statuses.append((r.status, r.body) if r is not None else (None, b""))

        ts = [threading.Thread(target=run, args=(c,), daemon=True) for c in per_thread]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=30)
        self.assertEqual(len(statuses), n)
        return statuses

    def test_api_tier_exact_across_workers(self):
        before = self.backend_count()
        statuses = self.burst("/tier/v1/a", 24)
        self.assertEqual(sum(1 for s, _ in statuses if s == 200), 5, statuses)
        refused = [(s, b) for s, b in statuses if s != 200]
        self.assertEqual(refused, [(429, BODY_API)] * 19)
        time.sleep(0.2)
        self.assertEqual(self.backend_count() - before, 5)

    def test_resource_tier_exact_across_workers(self):
        statuses = self.burst("/thr/v1/limited", 16)
        self.assertEqual(sum(1 for s, _ in statuses if s == 200), 3, statuses)
        self.assertEqual([(s, b) for s, b in statuses if s != 200], [(429, BODY_RESOURCE)] * 13)


class UnauthenticatedTest(ThrottleTestCase):
    """Untrusted peer: X-Forwarded-For is ignored, the peer address is the key."""

    def test_keyed_by_peer_and_xff_ignored(self):
        before = self.backend_count()
        for i in range(6):
            r = self.get("/thr/v1/open", [("X-Forwarded-For", "198.51.100.%d" % i)])
            self.assertPassed(r, "/thr/open")
            self.assertRateLimit(r, "Unauthenticated", 6, 5 - i)
        r = self.get("/thr/v1/open", [("X-Forwarded-For", "198.51.100.77")])
        self.assertRefused(r, 429, BODY_SUBSCRIPTION)
        self.assertRetryAfter(r)
        self.assertRateLimit(r, "Unauthenticated", 6, 0)
        # The same client on every unsecured resource of the API (key <ip>:<basePath>:<version>).
        self.assertRefused(self.get("/thr/v1/limited"), 429, BODY_SUBSCRIPTION)
        time.sleep(0.2)
        self.assertEqual(self.backend_count() - before, 6)
        # Another API is another key.
        self.assertPassed(self.get("/tier/v1/a"))


class TrustedProxyTest(ThrottleTestCase):
    """127.0.0.1 is a trusted proxy: the first X-Forwarded-For element is the client."""

    gateway_args = ("--listenerConfig.trustedProxies=127.0.0.1/32",)

    def test_first_xff_element_is_the_key(self):
        for _ in range(6):
            self.assertPassed(self.get("/thr/v1/open", [("X-Forwarded-For", "203.0.113.7")]))
        self.assertRefused(self.get("/thr/v1/open", [("X-Forwarded-For", "203.0.113.7")]), 429,
                           BODY_SUBSCRIPTION)
        # The first element counts, whatever proxies appended after it.
        self.assertRefused(
            self.get("/thr/v1/open", [("X-Forwarded-For", " 203.0.113.7 , 10.9.9.9")]), 429,
            BODY_SUBSCRIPTION)
        # Another client behind the same proxy has its own quota; so has the proxy itself.
        r = self.get("/thr/v1/open", [("X-Forwarded-For", "203.0.113.8, 203.0.113.7")])
        self.assertPassed(r)
        self.assertRateLimit(r, "Unauthenticated", 6, 5)
        r = self.get("/thr/v1/open")
        self.assertPassed(r)
        self.assertRateLimit(r, "Unauthenticated", 6, 5)
        # An empty first element falls back to the peer.
        r = self.get("/thr/v1/open", [("X-Forwarded-For", ", 203.0.113.7")])
        self.assertPassed(r)
        self.assertRateLimit(r, "Unauthenticated", 6, 4)


class RateLimitHeadersOffTest(ThrottleTestCase):
    gateway_args = ("--throttlingConfig.rateLimitHeaders=false",
                    "--throttlingConfig.counterTableSlots=256")

    def test_no_ratelimit_fields_but_retry_after(self):
        for _ in range(3):
            r = self.get("/thr/v1/limited")
            self.assertPassed(r)
            self.assertEqual(r.header_all("RateLimit"), [])
            self.assertEqual(r.header_all("RateLimit-Policy"), [])
        r = self.get("/thr/v1/limited")
        self.assertRefused(r, 429, BODY_RESOURCE)
        self.assertRetryAfter(r)
        self.assertEqual(r.header_all("RateLimit"), [])
        self.assertEqual(r.header_all("RateLimit-Policy"), [])
        self.assertNotIn("config.unknown_key", self.gw.logs())


class ThrottlingConfigTest(E2ETestCase):
    def test_bad_values_stop_the_start(self):
        artifact = throttle_artifact()
        for flag, needle in (("--throttlingConfig.counterTableSlots=10", "counterTableSlots"),
                             ("--throttlingConfig.counterTableSlots=abc", "counterTableSlots"),
                             ("--throttlingConfig.rateLimitHeaders=maybe", "rateLimitHeaders")):
            code, out = run_gateway_expect_exit([artifact, "--listenerConfig.httpPort=0", flag])
            self.assertIsNotNone(code, "gateway kept running with " + flag)
            self.assertNotEqual(code, 0, out)
            self.assertIn("config.bad_value", out)
            self.assertIn(needle, out)


if __name__ == "__main__":
    unittest.main()
