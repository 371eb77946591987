"""HTTP/1.1 downstream and upstream: keep-alive, pipelining, chunked bodies both ways,
Expect: 100-continue, HEAD, 204/304, status pass-through, HTTP/1.0 and Connection: close."""

import json
import unittest

from harness import (FAULT_MISSING_CREDENTIALS, Conn, GatewayTestCase, build_request, echo_json,
                     raw_exchange)


class Http1Test(GatewayTestCase):
    def test_keep_alive_reuse(self):
        with Conn(self.port) as c:
            for i in range(5):
                r = c.request("GET", "/route/1.0.0/items/%d" % i)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(echo_json(r)["path"], "/backend/items/%d" % i)
                self.assertNotIn("close", r.header_tokens("connection"))

    def test_pipelining_three_requests_one_write(self):
        data = b"".join(build_request("GET", "/route/1.0.0/items/%d" % i, host="h")
                        for i in range(3))
        with Conn(self.port) as c:
            c.send(data)
            paths = [echo_json(c.read_response())["path"] for _ in range(3)]
        self.assertEqual(paths, ["/backend/items/0", "/backend/items/1", "/backend/items/2"])

    def test_pipelining_with_bodies(self):
        data = (build_request("POST", "/route/1.0.0/echo", body=b"a" * 10, host="h")
                + build_request("PUT", "/route/1.0.0/echo", body=b"b" * 2000, host="h")
                + build_request("GET", "/route/1.0.0/items/9", host="h"))
        with Conn(self.port) as c:
            c.send(data)
            got = [echo_json(c.read_response()) for _ in range(3)]
        self.assertEqual([(g["method"], g["body_len"]) for g in got],
                         [("POST", 10), ("PUT", 2000), ("GET", 0)])

    def test_chunked_request_body(self):
        before = self.main.snapshot()
        body = b"5\r\nhello\r\n6;ext=1\r\n world\r\n1\r\n!\r\n0\r\n\r\n"
        with Conn(self.port) as c:
            c.send(build_request("POST", "/route/1.0.0/echo",
                                 [("Transfer-Encoding", "chunked")], body, host="h"))
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            self.assertEqual(echo_json(r)["body_len"], 12)
            # The connection stays usable after a chunked request.
            self.assertEqual(c.request("GET", "/route/1.0.0/items/1").status, 200)
        req = self.main.requests[before[2]]
        self.assertTrue(req.complete)
        self.assertEqual(req.body, b"hello world!")

    def test_large_chunked_request_body(self):
        before = self.main.snapshot()
        piece = b"z" * 16384
        body = b"".join(b"%x\r\n" % len(piece) + piece + b"\r\n" for _ in range(64)) + b"0\r\n\r\n"
        with Conn(self.port) as c:
            c.send(build_request("POST", "/route/1.0.0/echo",
                                 [("Transfer-Encoding", "chunked")], body, host="h"))
            r = c.read_response()
        self.assertEqual(echo_json(r)["body_len"], 64 * 16384)
        self.assertEqual(self.main.requests[before[2]].body, piece * 64)

    def test_chunked_response_body(self):
        r = self.get("/route/1.0.0/echo", headers=[("X-Backend-Mode", "chunked")])
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.complete)
        self.assertEqual(echo_json(r)["path"], "/backend/echo")

    def test_large_response_body(self):
        n = 5 * 1024 * 1024
        r = self.get("/route/1.0.0/echo", headers=[("X-Backend-Mode", "big:%d" % n)], timeout=30)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.complete)
        self.assertEqual(len(r.body), n)

    def test_large_request_body(self):
        n = 5 * 1024 * 1024
        r = self.get("/route/1.0.0/echo", method="POST", body=b"u" * n, timeout=30)
        self.assertEqual(echo_json(r)["body_len"], n)

    def test_expect_100_continue(self):
        before = self.main.snapshot()
        with Conn(self.port) as c:
            c.send(build_request("POST", "/route/1.0.0/echo",
                                 [("Expect", "100-continue"), ("Content-Length", "11")],
                                 host="h"))
            interim = c.read_response(stop_at_interim=True)
            self.assertEqual(interim.status, 100, interim)
            c.send(b"hello world")
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            self.assertEqual(echo_json(r)["body_len"], 11)
        self.assertEqual(self.main.requests[before[2]].body, b"hello world")

    def test_expect_on_secured_resource_gets_401_without_continue(self):
        before = self.main.snapshot()
        with Conn(self.port) as c:
            c.send(build_request("POST", "/sec/v1/private",
                                 [("Expect", "100-continue"), ("Content-Length", "5")],
                                 host="h"))
            r = c.read_response(stop_at_interim=True)
            self.assertEqual(r.interim, [])
            self.assertFault(r, FAULT_MISSING_CREDENTIALS, 401)
        self.assertBackendUntouched(self.main, before)

    def test_head(self):
        with Conn(self.port) as c:
            r = c.request("HEAD", "/route/1.0.0/echo")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, b"")
            r = c.request("GET", "/route/1.0.0/items/2")
            self.assertEqual(echo_json(r)["path"], "/backend/items/2")

    def test_204_and_304_have_no_body(self):
        with Conn(self.port) as c:
            for code in (204, 304):
                r = c.request("GET", "/route/1.0.0/echo",
                              [("X-Backend-Mode", "status:%d" % code)])
                self.assertEqual(r.status, code, r)
                self.assertEqual(r.body, b"")
                self.assertEqual(r.header_all("transfer-encoding"), [])
            r = c.request("GET", "/route/1.0.0/items/3")
            self.assertEqual(echo_json(r)["path"], "/backend/items/3")

    def test_backend_status_and_body_pass_through(self):
        r = self.get("/route/1.0.0/echo", headers=[("X-Backend-Mode", "status:404")])
        self.assertEqual(r.status, 404)
        self.assertEqual(echo_json(r)["backend_id"], "main")
        r = self.get("/route/1.0.0/echo", headers=[("X-Backend-Mode", "status:503")])
        self.assertEqual(r.status, 503)
        self.assertEqual(echo_json(r)["backend_id"], "main")

    def test_single_100_continue_from_backend_is_absorbed(self):
        r = self.get("/route/1.0.0/echo", headers=[("X-Backend-Mode", "continue:1")])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["backend_id"], "main")

    def test_connection_close_from_client(self):
        raw = raw_exchange(self.port, build_request(
            "GET", "/route/1.0.0/items/1", [("Connection", "close")], host="h"), read_timeout=5)
        self.assertTrue(raw.closed, raw)
        rs = raw.responses()
        self.assertEqual(len(rs), 1)
        self.assertEqual(rs[0].status, 200)
        self.assertIn("close", rs[0].header_tokens("connection"))

    def test_http10_request_closes(self):
        raw = raw_exchange(self.port, b"GET /route/1.0.0/items/1 HTTP/1.0\r\n\r\n", read_timeout=5)
        self.assertTrue(raw.closed, raw)
        rs = raw.responses()
        self.assertEqual(len(rs), 1, raw)
        self.assertEqual(rs[0].status, 200)
        self.assertEqual(json.loads(rs[0].body)["path"], "/backend/items/1")

    def test_health(self):
        r = self.get("/health")
        self.assertJsonBody(r, {"status": "healthy"}, 200)


if __name__ == "__main__":
    unittest.main()
