"""Security is fail-closed: a secured resource never passes through unauthenticated; resources
that use interceptors which cannot run here answer 500 naming the interceptor."""

import unittest

from harness import (FAULT_INVALID_CREDENTIALS, FAULT_MISSING_CREDENTIALS, Conn, GatewayTestCase,
                     echo_json)

JAVA_INTERCEPTOR = "org.example.e2e.AuditInterceptor"


class FailClosedTest(GatewayTestCase):
    def test_no_credentials_401_900902(self):
        before = self.main.snapshot()
        self.assertFault(self.get("/sec/v1/private"), FAULT_MISSING_CREDENTIALS, 401)
        self.assertFault(self.get("/sec/v1/private", method="POST", body=b"{}"),
                         FAULT_MISSING_CREDENTIALS, 401)
        self.assertBackendUntouched(self.main, before)

    def test_unverifiable_credentials_401_900901(self):
        before = self.main.snapshot()
        for value in ("Bearer x", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.",
                      "Bearer aaa.bbb.ccc", "bearer 0123456789abcdef"):
            r = self.get("/sec/v1/private", headers=[("Authorization", value)])
            self.assertFault(r, FAULT_INVALID_CREDENTIALS, 401)
        self.assertBackendUntouched(self.main, before)

    def test_empty_bearer_is_not_a_pass(self):
        before = self.main.snapshot()
        r = self.get("/sec/v1/private", headers=[("Authorization", "Bearer ")])
        self.assertEqual(r.status, 401, r)
        self.assertIn(r.json()["fault"]["code"], (900901, 900902))
        self.assertBackendUntouched(self.main, before)

    def test_other_schemes_do_not_pass(self):
        before = self.main.snapshot()
        for value in ("Basic YWRtaW46YWRtaW4=", "Digest x", "garbage"):
            r = self.get("/sec/v1/private", headers=[("Authorization", value)])
            self.assertEqual(r.status, 401, (value, r))
        self.assertBackendUntouched(self.main, before)

    def test_disabled_security_resource_passes(self):
        r = self.get("/sec/v1/public")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["path"], "/sec/public")

    def test_open_resource_forwards_end_to_end_headers(self):
        r = self.get("/sec/v1/public", headers=[("X-Trace", "1")])
        self.assertEqual(echo_json(r)["headers"].get("x-trace"), "1")

    def test_keepalive_after_401(self):
        with Conn(self.port) as c:
            self.assertEqual(c.request("GET", "/sec/v1/private").status, 401)
            self.assertEqual(c.request("GET", "/sec/v1/public").status, 200)

    def test_java_interceptor_resource_500_naming_it(self):
        before = self.main.snapshot()
        for target in ("/sec/v1/java", "/route/1.0.0/intercepted"):
            r = self.get(target)
            self.assertEqual(r.status, 500, (target, r))
            self.assertIn(JAVA_INTERCEPTOR, r.body.decode("utf-8", "replace"))
        self.assertBackendUntouched(self.main, before)

    def test_secured_method_unknown_path_is_404_not_401(self):
        r = self.get("/sec/v1/nothing")
        self.assertEqual(r.status, 404, r)


if __name__ == "__main__":
    unittest.main()
