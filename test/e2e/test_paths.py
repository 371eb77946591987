"""Path normalisation and traversal (attack-catalogue §8, issue 3 "Paths"): dot-segments (raw,
encoded, overlong UTF-8), `..;`, backslash and its encoding, NUL, bad escapes -> 400 and nothing
forwarded; `%2F` stays encoded; absolute-form is routed by its path and the named host is never
contacted."""

import unittest

from harness import (NOT_FOUND_BODY, GatewayTestCase, RecordingBackend, echo_json,
                     raw_exchange)

P = "/route/1.0.0/wild"

REJECT_400 = {
    "dotdot": P + "/../items",
    "dotdot_end": P + "/a/..",
    "dot": P + "/./items",
    "dot_end": P + "/a/.",
    "enc_dotdot_lower": P + "/%2e%2e/items",
    "enc_dotdot_mixed": P + "/%2E%2e/items",
    "enc_dot_half": P + "/.%2e/items",
    "enc_dot_single": P + "/%2e/items",
    "overlong_utf8_dots": P + "/%c0%ae%c0%ae/items",
    "overlong_utf8_dot_e0": P + "/%e0%80%ae%e0%80%ae/items",
    "dotdot_semicolon": P + "/..;/items",
    "dotdot_semicolon_param": P + "/..;x=y/items",
    "backslash_raw": P + "\\..\\items",
    "backslash_raw_plain": P + "/a\\b",
    "backslash_encoded_upper": P + "/a%5Cb",
    "backslash_encoded_lower": P + "/..%5citems",
    "nul_encoded": P + "/a%00",
    "bad_escape_zz": P + "/a%zz",
    "bad_escape_trailing": P + "/a%",
    "bad_escape_short": P + "/a%4",
    "root_traversal": "/../../etc/passwd",
    "base_traversal": "/route/1.0.0/../../etc/passwd",
    "fragment": P + "/a#f",
    "absolute_form_dotdot": "http://127.0.0.1/route/1.0.0/wild/../items",
}


class PathsTest(GatewayTestCase):
    def check(self, target):
        before = self.main.snapshot()
        raw = raw_exchange(self.port, b"GET " + target.encode("latin-1")
                           + b" HTTP/1.1\r\nHost: x\r\n\r\n", read_timeout=5.0)
        rs = raw.responses()
        self.assertEqual(len(rs), 1, raw)
        self.assertEqual(rs[0].status, 400, "%s -> %r" % (target, raw))
        self.assertBackendUntouched(self.main, before)

    def test_double_encoding_decoded_once_only(self):
        before = self.main.snapshot()
        r = self.get(P + "/%252e%252e/items")
        if r.status == 400:
            self.assertBackendUntouched(self.main, before)
        else:
            self.assertEqual(r.status, 200, r)
            self.assertEqual(echo_json(r)["path"], "/backend/wild/%252e%252e/items")

    def test_encoded_slash_dotdot_stays_one_segment(self):
        # /public%2F..%2Fprivate is one segment under /sec/v1: no resource, never /private.
        before = self.main.snapshot()
        for target in ("/sec/v1/public%2F..%2Fprivate", "/sec/v1/public%2f..%2fprivate"):
            r = self.get(target)
            self.assertIn(r.status, (400, 404), (target, r))
        self.assertBackendUntouched(self.main, before)

    def test_traversal_to_secured_resource_never_forwarded(self):
        before = self.main.snapshot()
        for target in ("/sec/v1/public/../private", "/sec/v1/public/%2e%2e/private",
                       "/sec/v1/public/..;/private", "/sec/v1/./private"):
            raw = raw_exchange(self.port, b"GET " + target.encode()
                               + b" HTTP/1.1\r\nHost: x\r\n\r\n", read_timeout=5.0)
            rs = raw.responses()
            self.assertEqual(len(rs), 1, raw)
            self.assertEqual(rs[0].status, 400, (target, raw))
        self.assertBackendUntouched(self.main, before)

    def test_case_sensitive(self):
        self.assertJsonBody(self.get("/Route/1.0.0/items"), NOT_FOUND_BODY, 404)
        self.assertJsonBody(self.get("/route/1.0.0/ITEMS"), NOT_FOUND_BODY, 404)

    def test_dots_inside_segment_are_not_dot_segments(self):
        for tail in ("/a..b", "/...", "/.hidden", "/a.b.c"):
            r = self.get(P + tail)
            self.assertEqual(r.status, 200, (tail, r))
            self.assertEqual(echo_json(r)["path"], "/backend/wild" + tail)

    def test_percent_encoded_forwarded_verbatim_or_normalised_equivalently(self):
        # RFC 3986 §6.2.2.2: decoding %41 to "A" does not change meaning; anything else does.
        r = self.get(P + "/caf%C3%A9/%41")
        self.assertEqual(r.status, 200, r)
        self.assertIn(echo_json(r)["path"], ("/backend/wild/caf%C3%A9/%41",
                                             "/backend/wild/caf%C3%A9/A"))

    def test_absolute_form_routed_by_path_named_host_never_contacted(self):
        with RecordingBackend("sentinel") as sentinel:
            before = self.main.snapshot()
            target = "http://127.0.0.1:%d/route/1.0.0/items/5?z=1" % sentinel.port
            raw = raw_exchange(self.port, b"GET " + target.encode()
                               + b" HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n",
                               read_timeout=5.0)
            rs = raw.responses()
            self.assertEqual(len(rs), 1, raw)
            self.assertEqual(rs[0].status, 200, raw)
            e = echo_json(rs[0])
            self.assertEqual(e["backend_id"], "main")
            self.assertEqual(e["path"], "/backend/items/5?z=1")
            self.assertEqual(e["headers"]["host"], "127.0.0.1:%d" % self.main.port)
            self.assertEqual(sentinel.snapshot()[1], 0, "gateway connected to the named host")
            self.assertEqual(self.main.snapshot()[2], before[2] + 1)


def _make(name, target):
    def test(self):
        self.check(target)
    test.__name__ = "test_reject_" + name
    return test


for _n, _t in REJECT_400.items():
    setattr(PathsTest, "test_reject_" + _n, _make(_n, _t))


if __name__ == "__main__":
    unittest.main()
