"""x-wso2-transports: which listener serves which API (issue 4 "Listeners"; reference
wso2-mgw3.md §2 `x-wso2-transports`, §1 listeners).

Covered: an https-only API answers the normal 404 on the HTTP listener and 200 on HTTPS; an
http-only API the reverse; an API without the extension on both; an https-only API's base path
does not shadow a "/" API on the HTTP listener; the token listener serves no API.

Fixture: projects/upstream (HttpsOnly /httpsonly/v1, HttpOnly /httponly/v1, Both /).
"""

from harness import (NOT_FOUND_BODY, PROJECTS, E2ETestCase, Gateway, RecordingBackend, TestPki,
                     build_project, echo_json, http_request, https_request, inline_endpoint_name,
                     tls_client_context)

_STATE = {}


def fixture():
    if "pki" not in _STATE:
        _STATE["pki"] = TestPki()
        _STATE["artifact"] = build_project(PROJECTS / "upstream")
    return _STATE["pki"], _STATE["artifact"]


class TransportsTest(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki, artifact = fixture()
        cls.backend = RecordingBackend()
        cls.gw = Gateway(artifact, args=cls.pki.gateway_args(trust=False) + [
            "--transep_prod_endpoint_0=" + cls.backend.url("/https-only"),
            "--%s_prod_endpoint_0=%s" % (inline_endpoint_name("HttpOnly", "v1"),
                                         cls.backend.url("/http-only")),
            "--%s_prod_endpoint_0=%s" % (inline_endpoint_name("Both", "v1"),
                                         cls.backend.url("/both"))]).start()
        cls.tls = tls_client_context(cls.pki.server_ca[0])

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def http(self, path):
        return http_request(self.gw.port, "GET", path)

    def https(self, path, port=None):
        return https_request(port or self.gw.https_port, "GET", path, self.tls)

    def test_https_only_api_is_not_served_on_http(self):
        resp = self.http("/httpsonly/v1/only")
        self.assertEqual(resp.status, 404)
        self.assertEqual(resp.json(), NOT_FOUND_BODY)
        resp = self.https("/httpsonly/v1/only")
        self.assertEqual(resp.status, 200, self.gw.logs())
        self.assertEqual(echo_json(resp)["path"], "/https-only/only")

    def test_http_only_api_is_not_served_on_https(self):
        resp = self.https("/httponly/v1/hello")
        self.assertEqual(resp.status, 404)
        self.assertEqual(resp.json(), NOT_FOUND_BODY)
        resp = self.http("/httponly/v1/hello")
        self.assertEqual(resp.status, 200)
        self.assertEqual(echo_json(resp)["path"], "/http-only/hello")

    def test_api_without_transports_is_served_on_both(self):
        for resp in (self.http("/both"), self.https("/both")):
            self.assertEqual(resp.status, 200)
            self.assertEqual(echo_json(resp)["path"], "/both/both")

    def test_unserved_base_path_does_not_shadow_another_api(self):
        # On HTTP the https-only API does not exist: the root API's resource answers.
        resp = self.http("/httpsonly/v1/hello")
        self.assertEqual(resp.status, 200)
        self.assertEqual(echo_json(resp)["path"], "/both/httpsonly/v1/hello")
        # On HTTPS the longer base path wins, as usual.
        resp = self.https("/httpsonly/v1/hello")
        self.assertEqual(resp.status, 200)
        self.assertEqual(echo_json(resp)["path"], "/https-only/hello")

    def test_token_listener_serves_no_api(self):
        for path in ("/both", "/httpsonly/v1/only", "/httponly/v1/hello"):
            resp = self.https(path, port=self.gw.token_port)
            self.assertEqual(resp.status, 404, path)
            self.assertEqual(resp.json(), NOT_FOUND_BODY)
