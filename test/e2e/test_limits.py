"""Size limits (attack-catalogue §3, issue 3 "Bad input"): URI 414, header section / count 431,
maxEntityBodySize 413 before forwarding, chunked crossing it -> 413 or reset; all configurable."""

import time
import unittest

from harness import Conn, GatewayTestCase, build_request, echo_json, raw_exchange


class DefaultLimitsTest(GatewayTestCase):
    timeout = 60

    def rejected(self, data, status, criterion="zero"):
        before = self.main.snapshot()
        raw = raw_exchange(self.port, data, read_timeout=5.0)
        rs = raw.responses()
        self.assertGreaterEqual(len(rs), 1, raw)
        self.assertEqual(rs[0].status, status, raw)
        self.assertEqual(len(rs), 1, raw)
        if criterion == "zero":
            self.assertBackendUntouched(self.main, before)
        else:
            self.assertNoCompleteRequest(self.main, before)
        return raw

    def test_uri_over_4096_is_414(self):
        target = "/route/1.0.0/items?q=" + "a" * 4100
        self.rejected(build_request("GET", target, host="h"), 414)

    def test_uri_under_limit_passes(self):
        target = "/route/1.0.0/items?q=" + "a" * 3900
        r = self.get(target)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["path"], "/backend/items?q=" + "a" * 3900)

    def test_single_header_over_8k_is_431(self):
        self.rejected(build_request("GET", "/route/1.0.0/echo", [("X-Big", "b" * 9000)], host="h"),
                      431)

    def test_header_section_over_8k_is_431(self):
        headers = [("X-H%d" % i, "v" * 1000) for i in range(10)]
        self.rejected(build_request("GET", "/route/1.0.0/echo", headers, host="h"), 431)

    def test_101_fields_is_431(self):
        headers = [("X-H%d" % i, "1") for i in range(100)]  # + Host = 101
        self.rejected(build_request("GET", "/route/1.0.0/echo", headers, host="h"), 431)

    def test_100_fields_pass(self):
        headers = [("X-H%d" % i, "1") for i in range(99)]  # + Host = 100
        r = self.get("/route/1.0.0/echo", headers=headers)
        self.assertEqual(r.status, 200, r)

    def test_64k_authorization_is_431_before_auth(self):
        self.rejected(build_request("GET", "/sec/v1/private",
                                    [("Authorization", "Bearer " + "a" * 65536)], host="h"), 431)

    def test_headers_under_limit_pass(self):
        r = self.get("/route/1.0.0/echo", headers=[("X-Big", "b" * 6000)])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(echo_json(r)["headers"]["x-big"]), 6000)

    def test_default_body_size_unlimited(self):
        n = 3 * 1024 * 1024
        r = self.get("/route/1.0.0/echo", method="POST", body=b"x" * n, timeout=30)
        self.assertEqual(echo_json(r)["body_len"], n)

    def test_gateway_survives_limit_storm(self):
        for _ in range(20):
            raw_exchange(self.port, build_request("GET", "/route/1.0.0/echo",
                                                  [("X-Big", "b" * 20000)], host="h"), 2.0)
        self.assertEqual(self.get("/route/1.0.0/items/1").status, 200)


class ConfiguredLimitsTest(GatewayTestCase):
    extra_args = ("--listenerConfig.maxUriLength=200",
                  "--listenerConfig.maxHeaderSize=2048",
                  "--listenerConfig.maxHeaderCount=20",
                  "--listenerConfig.maxEntityBodySize=1024")

    def rejected(self, data, status, criterion="zero"):
        return DefaultLimitsTest.rejected(self, data, status, criterion)

    def test_uri_limit_configurable(self):
        self.rejected(build_request("GET", "/route/1.0.0/items?q=" + "a" * 250, host="h"), 414)
        self.assertEqual(self.get("/route/1.0.0/items?q=" + "a" * 100).status, 200)

    def test_header_size_configurable(self):
        self.rejected(build_request("GET", "/route/1.0.0/echo", [("X-Big", "b" * 3000)],
                                    host="h"), 431)
        self.assertEqual(self.get("/route/1.0.0/echo", headers=[("X-Big", "b" * 1000)]).status,
                         200)

    def test_header_count_configurable(self):
        self.rejected(build_request("GET", "/route/1.0.0/echo",
                                    [("X-H%d" % i, "1") for i in range(25)], host="h"), 431)
        r = self.get("/route/1.0.0/echo", headers=[("X-H%d" % i, "1") for i in range(10)])
        self.assertEqual(r.status, 200)

    def test_declared_length_over_max_is_413_before_forwarding(self):
        # Only the head is sent: the 413 must come without waiting for the body.
        before = self.main.snapshot()
        data = build_request("POST", "/route/1.0.0/echo", [("Content-Length", "2048")], host="h")
        raw = raw_exchange(self.port, data, read_timeout=3.0)
        rs = raw.responses()
        self.assertEqual(len(rs), 1, raw)
        self.assertEqual(rs[0].status, 413, raw)
        self.assertLess(raw.elapsed, 2.9, "413 waited for the body")
        self.assertBackendUntouched(self.main, before)

    def test_declared_length_with_expect_gets_413_without_continue(self):
        before = self.main.snapshot()
        with Conn(self.port) as c:
            c.send(build_request("POST", "/route/1.0.0/echo",
                                 [("Content-Length", "4096"), ("Expect", "100-continue")],
                                 host="h"))
            r = c.read_response(stop_at_interim=True)
            self.assertEqual(r.interim, [])
            self.assertEqual(r.status, 413)
        self.assertBackendUntouched(self.main, before)

    def test_body_at_limit_passes(self):
        r = self.get("/route/1.0.0/echo", method="POST", body=b"q" * 1024)
        self.assertEqual(echo_json(r)["body_len"], 1024)

    def test_chunked_body_crossing_max(self):
        before = self.main.snapshot()
        piece = b"c" * 600
        body = b"".join(b"%x\r\n" % len(piece) + piece + b"\r\n" for _ in range(3)) + b"0\r\n\r\n"
        raw = raw_exchange(self.port, build_request(
            "POST", "/route/1.0.0/echo", [("Transfer-Encoding", "chunked")], body, host="h"), 5.0)
        rs = raw.responses() if raw.data else []
        if rs:
            self.assertEqual([r.status for r in rs], [413], raw)
        self.assertTrue(raw.closed, "neither 413 nor reset: %r" % raw)
        self.assertNoCompleteRequest(self.main, before)

    def test_chunked_body_under_max_passes(self):
        body = b"3\r\nabc\r\n0\r\n\r\n"
        with Conn(self.port) as c:
            c.send(build_request("POST", "/route/1.0.0/echo",
                                 [("Transfer-Encoding", "chunked")], body, host="h"))
            self.assertEqual(echo_json(c.read_response())["body_len"], 3)

    def test_gateway_alive_after(self):
        time.sleep(0.1)
        self.assertEqual(self.get("/health").status, 200)


if __name__ == "__main__":
    unittest.main()
