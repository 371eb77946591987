"""Request smuggling and framing: every row of attack-catalogue §2 as raw bytes.

Common pass criterion (catalogue §2): the gateway answers the expected status itself, closes the
connection after that one response, and the recording backend receives zero bytes. Where the
error lies in a body the gateway may already stream (bad chunking), the backend must never
receive a complete request instead.
"""

import time
import unittest

from harness import GatewayTestCase, build_request, echo_json, raw_exchange

T = b"/route/1.0.0/echo"
H = b"Host: gw.example\r\n"


def req(head_lines, body=b"", method=b"POST", target=T, version=b"HTTP/1.1", host=True):
    return (method + b" " + target + b" " + version + b"\r\n" + (H if host else b"")
            + b"".join(line + b"\r\n" for line in head_lines) + b"\r\n" + body)


BAD400 = {400}
BAD_TE = {400, 501}

# name -> (raw bytes, allowed statuses, "zero": backend gets no byte | "incomplete": no
#          complete request reaches the backend)
CASES = {
    # 1, 2: CL and TE together, both orders.
    "cl_te": (req([b"Content-Length: 6", b"Transfer-Encoding: chunked"], b"0\r\n\r\nG"),
              BAD400, "zero"),
    "te_cl": (req([b"Transfer-Encoding: chunked", b"Content-Length: 4"],
                  b"5c\r\nGPOST /route/1.0.0/echo HTTP/1.1\r\nContent-Length: 15\r\n\r\nx=1\r\n"
                  b"0\r\n\r\n"), BAD400, "zero"),
    "cl_te_uppercase": (req([b"content-length: 6", b"TRANSFER-ENCODING: CHUNKED"],
                            b"0\r\n\r\nG"), BAD400, "zero"),
    # 3: TE variants.
    "te_chunked_chunked": (req([b"Transfer-Encoding: chunked, chunked"], b"0\r\n\r\n"),
                           BAD_TE, "zero"),
    "te_chunked_gzip": (req([b"Transfer-Encoding: chunked, gzip"], b"0\r\n\r\n"), BAD_TE, "zero"),
    "te_gzip": (req([b"Transfer-Encoding: gzip"], b"0\r\n\r\n"), BAD_TE, "zero"),
    "te_xchunked": (req([b"Transfer-Encoding: xchunked"], b"0\r\n\r\n"), BAD_TE, "zero"),
    "te_identity": (req([b"Transfer-Encoding: identity"], b"0\r\n\r\n"), BAD_TE, "zero"),
    "te_two_fields": (req([b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"],
                          b"0\r\n\r\n"), BAD_TE, "zero"),
    "te_vertical_tab": (req([b"Transfer-Encoding:\x0bchunked"], b"0\r\n\r\n"), BAD_TE, "zero"),
    "te_empty": (req([b"Transfer-Encoding: "], b"0\r\n\r\n"), BAD_TE, "zero"),
    # 4: whitespace before the colon.
    "te_space_before_colon": (req([b"Transfer-Encoding : chunked"], b"0\r\n\r\n"), BAD400,
                              "zero"),
    "te_tab_before_colon": (req([b"Transfer-Encoding\t: chunked"], b"0\r\n\r\n"), BAD400,
                            "zero"),
    "cl_space_before_colon": (req([b"Content-Length : 5"], b"hello"), BAD400, "zero"),
    # 5, 6: bad Content-Length values.
    "cl_two_different": (req([b"Content-Length: 5", b"Content-Length: 6"], b"hello!"), BAD400,
                         "zero"),
    "cl_two_identical": (req([b"Content-Length: 5", b"Content-Length: 5"], b"hello"), BAD400,
                         "zero"),
    "cl_list_different": (req([b"Content-Length: 5, 6"], b"hello!"), BAD400, "zero"),
    "cl_list_identical": (req([b"Content-Length: 5, 5"], b"hello"), BAD400, "zero"),
    "cl_plus": (req([b"Content-Length: +5"], b"hello"), BAD400, "zero"),
    "cl_negative": (req([b"Content-Length: -1"], b"hello"), BAD400, "zero"),
    "cl_hex": (req([b"Content-Length: 0x5"], b"hello"), BAD400, "zero"),
    "cl_suffix": (req([b"Content-Length: 5a"], b"hello"), BAD400, "zero"),
    "cl_25_digits": (req([b"Content-Length: 1234567890123456789012345"], b"hello"), BAD400,
                     "zero"),
    "cl_empty": (req([b"Content-Length: "], b"hello"), BAD400, "zero"),
    # 8: obs-fold.
    "obs_fold": (req([b"X-A: a", b" b"], b"", method=b"GET"), BAD400, "zero"),
    "obs_fold_tab": (req([b"X-A: a", b"\tb"], b"", method=b"GET"), BAD400, "zero"),
    # 9: bare CR, NUL, control characters.
    "bare_cr_in_value": (req([b"X-A: a\rb"], method=b"GET"), BAD400, "zero"),
    "nul_in_value": (req([b"X-A: a\x00b"], method=b"GET"), BAD400, "zero"),
    "ctl_in_value": (req([b"X-A: a\x01b"], method=b"GET"), BAD400, "zero"),
    "del_in_value": (req([b"X-A: a\x7fb"], method=b"GET"), BAD400, "zero"),
    "ctl_in_name": (req([b"X\x01A: b"], method=b"GET"), BAD400, "zero"),
    "space_in_name": (req([b"X A: b"], method=b"GET"), BAD400, "zero"),
    "empty_name": (req([b": b"], method=b"GET"), BAD400, "zero"),
    "no_colon": (req([b"X-A b"], method=b"GET"), BAD400, "zero"),
    # 10: bare LF line endings (issue 3: rejected with 400).
    "bare_lf_everywhere": (b"GET /route/1.0.0/echo HTTP/1.1\nHost: x\n\n", BAD400, "zero"),
    "bare_lf_one_header": (b"GET /route/1.0.0/echo HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", BAD400,
                           "zero"),
    "bare_lf_request_line": (b"GET /route/1.0.0/echo HTTP/1.1\nHost: x\r\n\r\n", BAD400, "zero"),
    # 11: whitespace line / leading whitespace before the first header.
    "whitespace_line_after_request_line": (b"GET /route/1.0.0/echo HTTP/1.1\r\n \r\nHost: x\r\n\r\n",
                                           BAD400, "zero"),
    "leading_ws_first_header": (b"GET /route/1.0.0/echo HTTP/1.1\r\n Host: x\r\n\r\n", BAD400,
                                "zero"),
    # 12: bad chunking.
    "chunk_size_not_hex": (req([b"Transfer-Encoding: chunked"], b"zz\r\nhello\r\n0\r\n\r\n"),
                           BAD400, "incomplete"),
    "chunk_size_overflow": (req([b"Transfer-Encoding: chunked"],
                                b"fffffffffffffffff1\r\nhello\r\n0\r\n\r\n"), {400, 413},
                            "incomplete"),
    "chunk_size_negative": (req([b"Transfer-Encoding: chunked"], b"-5\r\nhello\r\n0\r\n\r\n"),
                            BAD400, "incomplete"),
    "chunk_size_0x": (req([b"Transfer-Encoding: chunked"], b"0x5\r\nhello\r\n0\r\n\r\n"),
                      BAD400, "incomplete"),
    "chunk_missing_crlf_after_data": (req([b"Transfer-Encoding: chunked"],
                                          b"5\r\nhelloXX0\r\n\r\n"), BAD400, "incomplete"),
    "chunk_extension_5k": (req([b"Transfer-Encoding: chunked"],
                               b"5;" + b"a" * 5000 + b"\r\nhello\r\n0\r\n\r\n"), BAD400,
                           "incomplete"),
    "chunk_extension_8k": (req([b"Transfer-Encoding: chunked"],
                               b"5;" + b"a" * 8192 + b"\r\nhello\r\n0\r\n\r\n"), BAD400,
                           "incomplete"),
    "chunk_bare_lf": (req([b"Transfer-Encoding: chunked"], b"5\nhello\n0\n\n"), BAD400,
                      "incomplete"),
    # 14: request-target forms.
    "target_no_slash": (b"GET admin HTTP/1.1\r\nHost: x\r\n\r\n", BAD400, "zero"),
    "target_asterisk_get": (b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", BAD400, "zero"),
    "target_asterisk_path": (b"OPTIONS */x HTTP/1.1\r\nHost: x\r\n\r\n", BAD400, "zero"),
    "target_space_inside": (b"GET /route/1.0.0/ech o HTTP/1.1\r\nHost: x\r\n\r\n", BAD400,
                            "zero"),
    "bad_method_char": (b"G(T /route/1.0.0/echo HTTP/1.1\r\nHost: x\r\n\r\n", BAD400, "zero"),
    "bad_version_token": (b"GET /route/1.0.0/echo HTTX/1.1\r\nHost: x\r\n\r\n", BAD400, "zero"),
    "version_2_0": (b"GET /route/1.0.0/echo HTTP/2.0\r\nHost: x\r\n\r\n", {505}, "zero"),
    "version_3_0": (b"GET /route/1.0.0/echo HTTP/3.0\r\nHost: x\r\n\r\n", {505}, "zero"),
    # 15: Host.
    "no_host_http11": (b"GET /route/1.0.0/echo HTTP/1.1\r\nX-A: b\r\n\r\n", BAD400, "zero"),
    "two_hosts": (b"GET /route/1.0.0/echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", BAD400, "zero"),
    "host_with_space": (b"GET /route/1.0.0/echo HTTP/1.1\r\nHost: a b\r\n\r\n", BAD400, "zero"),
    "host_with_at": (b"GET /route/1.0.0/echo HTTP/1.1\r\nHost: u@a\r\n\r\n", BAD400, "zero"),
}


class SmugglingTest(GatewayTestCase):
    timeout = 30

    def check_rejected(self, name):
        data, statuses, criterion = CASES[name]
        before = self.main.snapshot()
        raw = raw_exchange(self.port, data, read_timeout=5.0)
        rs = raw.responses()
        self.assertEqual(len(rs), 1, "exactly one response expected: %r" % raw)
        self.assertIn(rs[0].status, statuses, raw)
        self.assertClosedAfter(raw)
        if criterion == "zero":
            self.assertBackendUntouched(self.main, before)
        else:
            self.assertNoCompleteRequest(self.main, before)

    # Rows where processing is allowed instead of rejection.
    def test_http10_with_te_processed_or_rejected_then_closed(self):
        before = self.main.snapshot()
        raw = raw_exchange(self.port, req([b"Transfer-Encoding: chunked"],
                                          b"5\r\nhello\r\n0\r\n\r\n", version=b"HTTP/1.0"), 5.0)
        rs = raw.responses()
        self.assertEqual(len(rs), 1, raw)
        self.assertClosedAfter(raw)
        if rs[0].status == 200:
            reqs = self.main.complete_requests()[before[2]:]
            self.assertEqual(len(reqs), 1)
            self.assertEqual(reqs[0].body, b"hello")
        else:
            self.assertEqual(rs[0].status, 400, raw)
            self.assertBackendUntouched(self.main, before)

    def test_trailer_framing_fields_never_applied(self):
        before = self.main.snapshot()
        data = req([b"Transfer-Encoding: chunked"],
                   b"5\r\nhello\r\n0\r\nContent-Length: 50\r\nTransfer-Encoding: gzip\r\n\r\n")
        raw = raw_exchange(self.port, data + build_request("GET", "/route/1.0.0/items/7",
                                                           host="h"), 5.0)
        rs = raw.responses()
        self.assertGreaterEqual(len(rs), 1, raw)
        if rs[0].status == 400:
            self.assertEqual(len(rs), 1, raw)
            self.assertClosedAfter(raw)
            self.assertBackendUntouched(self.main, before)
            return
        self.assertEqual(rs[0].status, 200, raw)
        self.assertEqual(echo_json(rs[0])["body_len"], 5)
        reqs = self.main.requests[before[2]:]
        self.assertTrue(reqs[0].complete)
        self.assertEqual(reqs[0].body, b"hello")
        self.assertNotIn(b"content-length: 50", reqs[0].raw_head.lower())
        # The pipelined request after it is parsed at the right place.
        self.assertEqual(len(rs), 2, raw)
        self.assertEqual(echo_json(rs[1])["path"], "/backend/items/7")

    def test_options_asterisk_allowed(self):
        raw = raw_exchange(self.port, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        rs = raw.responses()
        self.assertEqual(len(rs), 1, raw)
        self.assertNotEqual(rs[0].status, 400, raw)
        self.assertLess(rs[0].status, 500, raw)

    def test_pipeline_stops_after_error(self):
        before = self.main.snapshot()
        data = (build_request("GET", "/route/1.0.0/items/1", host="h")
                + req([b"Content-Length: 5", b"Content-Length: 6"], b"hello!")
                + build_request("GET", "/route/1.0.0/items/3", host="h"))
        raw = raw_exchange(self.port, data, 5.0)
        rs = raw.responses()
        self.assertEqual([r.status for r in rs], [200, 400], raw)
        self.assertClosedAfter(raw)
        time.sleep(0.3)
        targets = [r.target for r in self.main.requests[before[2]:]]
        self.assertEqual(targets, ["/backend/items/1"])

    def test_valid_request_after_rejections_still_served(self):
        for name in ("cl_te", "obs_fold", "no_host_http11"):
            raw_exchange(self.port, CASES[name][0], 3.0)
        r = self.get("/route/1.0.0/items/1")
        self.assertEqual(r.status, 200)


def _make(name):
    def test(self):
        self.check_rejected(name)
    test.__name__ = "test_" + name
    return test


for _name in CASES:
    setattr(SmugglingTest, "test_" + _name, _make(_name))


if __name__ == "__main__":
    unittest.main()
