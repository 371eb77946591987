"""Routing: base path + templates, 404/405 bodies, backend URL construction, forwarded headers,
hop-by-hop removal (RFC 9110 §7.6.1). Issue 3 "Routing" and "HTTP/1.1" bullets."""

import unittest

from harness import (METHOD_NOT_ALLOWED_BODY, NOT_FOUND_BODY, Conn, GatewayTestCase, echo_json,
                     raw_exchange)


class RoutingTest(GatewayTestCase):
    def test_base_path_with_version_and_template(self):
        r = self.get("/route/1.0.0/items/42")
        self.assertEqual(r.status, 200, r)
        e = echo_json(r)
        self.assertEqual(e["backend_id"], "main")
        self.assertEqual(e["method"], "GET")
        self.assertEqual(e["path"], "/backend/items/42")

    def test_collection_and_methods(self):
        self.assertEqual(echo_json(self.get("/route/1.0.0/items"))["path"], "/backend/items")
        r = self.get("/route/1.0.0/items", method="POST", body=b'{"a":1}',
                     headers=[("Content-Type", "application/json")])
        e = echo_json(r)
        self.assertEqual((e["method"], e["path"], e["body_len"]), ("POST", "/backend/items", 7))
        self.assertEqual(echo_json(self.get("/route/1.0.0/items/7", method="DELETE"))["method"],
                         "DELETE")

    def test_suffix_template(self):
        r = self.get("/route/1.0.0/files/report.api")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["path"], "/backend/files/report.api")
        self.assertJsonBody(self.get("/route/1.0.0/files/report.txt"), NOT_FOUND_BODY, 404)

    def test_wildcard(self):
        for tail in ("/wild/a", "/wild/a/b/c", "/wild/x.y/z"):
            r = self.get("/route/1.0.0" + tail)
            self.assertEqual(r.status, 200, (tail, r))
            self.assertEqual(echo_json(r)["path"], "/backend" + tail)

    def test_oas2_base_path_from_basePath(self):
        r = self.get("/legacy/v2/things/abc")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["path"], "/legacy-backend/things/abc")

    def test_404_exact_body(self):
        before = self.main.snapshot()
        for target in ("/route/1.0.0/nothing", "/nope", "/route/2.0.0/items", "/route/1.0.0",
                       "/ROUTE/1.0.0/items", "/route/1.0.0/items/1/2"):
            self.assertJsonBody(self.get(target), NOT_FOUND_BODY, 404)
        self.assertBackendUntouched(self.main, before)

    def test_405_exact_body_and_allow(self):
        before = self.main.snapshot()
        r = self.get("/route/1.0.0/items", method="PATCH")
        self.assertJsonBody(r, METHOD_NOT_ALLOWED_BODY, 405)
        allow = r.header_tokens("allow")
        self.assertIn("get", allow)
        self.assertIn("post", allow)
        self.assertNotIn("patch", allow)
        self.assertNotIn("delete", allow)
        r = self.get("/route/1.0.0/items/3", method="POST", body=b"x")
        self.assertJsonBody(r, METHOD_NOT_ALLOWED_BODY, 405)
        self.assertEqual(set(r.header_tokens("allow")) & {"get", "put", "delete", "post"},
                         {"get", "put", "delete"})
        self.assertBackendUntouched(self.main, before)

    def test_query_kept(self):
        r = self.get("/route/1.0.0/items?x=1&y=%20z&x=2&empty=")
        self.assertEqual(echo_json(r)["path"], "/backend/items?x=1&y=%20z&x=2&empty=")
        r = self.get("/route/1.0.0/items/9?q=%2F..%2F")
        self.assertEqual(echo_json(r)["path"], "/backend/items/9?q=%2F..%2F")

    def test_encoded_slash_kept(self):
        r = self.get("/route/1.0.0/items/a%2Fb")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["path"], "/backend/items/a%2Fb")
        r = self.get("/route/1.0.0/wild/a%2Fb/c")
        self.assertEqual(echo_json(r)["path"], "/backend/wild/a%2Fb/c")

    def test_per_resource_endpoint(self):
        r = self.get("/route/1.0.0/other/zz")
        e = echo_json(r)
        self.assertEqual(e["backend_id"], "other")
        self.assertEqual(e["path"], "/otherbase/other/zz")

    def test_host_rewritten_and_forwarded_headers(self):
        r = self.get("/route/1.0.0/echo", headers=[("Host", "client.example:8443")])
        h = echo_json(r)["headers"]
        self.assertEqual(h.get("host"), "127.0.0.1:%d" % self.main.port)
        self.assertEqual(h.get("x-forwarded-host"), "client.example:8443")
        self.assertEqual(h.get("x-forwarded-proto"), "http")
        xff = [x.strip() for x in h.get("x-forwarded-for", "").split(",")]
        self.assertEqual(xff[-1], "127.0.0.1")

    def test_client_xff_is_appended_not_trusted_as_last_hop(self):
        r = self.get("/route/1.0.0/echo", headers=[("X-Forwarded-For", "203.0.113.9")])
        xff = [x.strip() for x in echo_json(r)["headers"].get("x-forwarded-for", "").split(",")]
        self.assertEqual(xff[-1], "127.0.0.1")

    def test_hop_by_hop_removed(self):
        r = self.get("/route/1.0.0/echo", headers=[
            ("Connection", "keep-alive, X-Custom-Hop"),
            ("Keep-Alive", "timeout=5"),
            ("X-Custom-Hop", "secret"),
            ("Proxy-Connection", "keep-alive"),
            ("X-End-To-End", "kept"),
        ])
        h = echo_json(r)["headers"]
        self.assertNotIn("x-custom-hop", h)
        self.assertNotIn("keep-alive", h)
        self.assertNotIn("proxy-connection", h)
        self.assertNotIn("x-custom-hop", h.get("connection", "").lower())
        self.assertEqual(h.get("x-end-to-end"), "kept")

    def test_response_hop_by_hop_removed(self):
        r = self.get("/route/1.0.0/echo", headers=[("X-Backend-Mode", "hop_headers")])
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("x-resp-hop"))
        self.assertIsNone(r.header("keep-alive"))
        self.assertIsNone(r.header("proxy-connection"))
        self.assertNotIn("x-resp-hop", r.header_tokens("connection"))
        self.assertEqual(r.header("x-resp-e2e"), "kept")

    def test_connection_list_cannot_strip_gateway_headers(self):
        r = self.get("/route/1.0.0/echo", headers=[
            ("Connection", "X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host, Host"),
        ])
        self.assertEqual(r.status, 200, r)
        h = echo_json(r)["headers"]
        self.assertIn("x-forwarded-for", h)
        self.assertEqual(h.get("x-forwarded-proto"), "http")
        self.assertIn("x-forwarded-host", h)
        self.assertEqual(h.get("host"), "127.0.0.1:%d" % self.main.port)

    def test_fragment_never_forwarded(self):
        before = self.main.snapshot()
        raw = raw_exchange(self.port, b"GET /route/1.0.0/items/1#frag HTTP/1.1\r\n"
                           b"Host: x\r\nConnection: close\r\n\r\n")
        rs = raw.responses()
        self.assertEqual(len(rs), 1, raw)
        if rs[0].status == 200:
            self.assertEqual(echo_json(rs[0])["path"], "/backend/items/1")
        else:
            self.assertEqual(rs[0].status, 400, raw)
            self.assertBackendUntouched(self.main, before)
        for req in self.main.requests[before[2]:]:
            self.assertNotIn("#", req.target)

    def test_backend_sees_crlf_framed_request(self):
        before = self.main.snapshot()
        self.get("/route/1.0.0/echo", headers=[("X-A", "1")])
        req = self.main.requests[before[2]]
        self.assertTrue(req.complete)
        self.assertEqual(req.raw_head.count(b"\n"), req.raw_head.count(b"\r\n"))
        self.assertTrue(req.raw_head.startswith(b"GET /backend/echo HTTP/1.1\r\n"))

    def test_options_routed_to_backend(self):
        r = self.get("/route/1.0.0/echo", method="OPTIONS")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["method"], "OPTIONS")

    def test_keepalive_across_apis(self):
        with Conn(self.port) as c:
            self.assertEqual(echo_json(c.request("GET", "/route/1.0.0/items"))["backend_id"],
                             "main")
            self.assertEqual(echo_json(c.request("GET", "/route/1.0.0/other/1"))["backend_id"],
                             "other")
            self.assertJsonBody(c.request("GET", "/missing"), NOT_FOUND_BODY, 404)
            self.assertEqual(c.request("GET", "/legacy/v2/things/1").status, 200)


if __name__ == "__main__":
    unittest.main()
