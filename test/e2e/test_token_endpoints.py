"""WSO2's token endpoints proxied to the key manager (issue 4 "token endpoints"; reference
wso2-mgw3.md §1: /token, /authorize, /revoke, /userinfo on the token and HTTPS listeners,
forwarded to `<keyManager.serverUrl>/<tokenContext><rawPath>` with every filter skipped).

Covered: each endpoint on the token listener and on the HTTPS listener reaches the right key
manager path with method, query, body and the client's Authorization intact; a sub-path and a
custom tokenContext; the wrong method answers 405; the endpoints are not on the HTTP listener;
an https key manager verified against the trust store; an unreachable key manager -> 101503.

Fixture: projects/upstream (any API; the token endpoints are built in).
"""

import os
import shutil

from harness import (FAULT_BACKEND, METHOD_NOT_ALLOWED_BODY, NOT_FOUND_BODY, PROJECTS,
                     E2ETestCase, Gateway, RecordingBackend, TestPki, build_project, echo_json,
                     free_port, http_request, https_request, tls_client_context)
from test_upstream_tls import TlsRecordingBackend

_STATE = {}


def fixture():
    if "pki" not in _STATE:
        pki = TestPki()
        trust_dir = pki.path("km-trust")
        os.mkdir(trust_dir)
        shutil.copy(pki.server_ca[0], os.path.join(trust_dir, "server-ca.pem"))
        _STATE.update(pki=pki, trust_dir=trust_dir, artifact=build_project(PROJECTS / "upstream"))
    return _STATE


class TokenEndpointsTest(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        st = fixture()
        cls.pki = st["pki"]
        cls.km = RecordingBackend(backend_id="km")
        cls.gw = Gateway(st["artifact"], args=cls.pki.gateway_args(trust=False) + [
            "--keyManager.serverUrl=" + cls.km.url("/km/")]).start()
        cls.tls = tls_client_context(cls.pki.server_ca[0])

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.km.stop()

    def call(self, port, method, target, headers=None, body=b""):
        return https_request(port, method, target, self.tls, headers=headers, body=body)

    def test_token_is_proxied_with_body_and_credentials(self):
        body = b"grant_type=client_credentials&scope=read"
        for port in (self.gw.token_port, self.gw.https_port):
            resp = self.call(port, "POST", "/token", body=body, headers=[
                ("Authorization", "Basic Y2xpZW50OnNlY3JldA=="),
                ("Content-Type", "application/x-www-form-urlencoded")])
            self.assertEqual(resp.status, 200, self.gw.logs())
            echo = echo_json(resp)
            self.assertEqual(echo["backend_id"], "km")
            self.assertEqual(echo["method"], "POST")
            self.assertEqual(echo["path"], "/km/oauth2/token")
            self.assertEqual(echo["body_len"], len(body))
            # No filter runs: the client's credentials reach the key manager untouched.
            self.assertEqual(self.km.last().header_all("authorization"),
                             ["Basic Y2xpZW50OnNlY3JldA=="])

    def test_each_endpoint_reaches_its_key_manager_path(self):
        cases = [("GET", "/authorize?response_type=code&client_id=abc",
                  "/km/oauth2/authorize?response_type=code&client_id=abc"),
                 ("POST", "/revoke", "/km/oauth2/revoke"),
                 ("GET", "/userinfo?schema=openid", "/km/oauth2/userinfo?schema=openid"),
                 ("POST", "/token/extra", "/km/oauth2/token/extra")]
        for method, target, want in cases:
            for port in (self.gw.token_port, self.gw.https_port):
                resp = self.call(port, method, target)
                self.assertEqual(resp.status, 200, target)
                self.assertEqual(echo_json(resp)["path"], want)

    def test_wrong_method_answers_405(self):
        resp = self.call(self.gw.token_port, "GET", "/token")
        self.assertEqual(resp.status, 405)
        self.assertEqual(resp.json(), METHOD_NOT_ALLOWED_BODY)
        self.assertEqual(resp.header("Allow"), "POST")

    def test_not_served_on_the_http_listener(self):
        before = self.km.snapshot()[2]
        for target in ("/token", "/authorize", "/revoke", "/userinfo"):
            resp = http_request(self.gw.port, "POST", target)
            self.assertEqual(resp.status, 404, target)
            self.assertEqual(resp.json(), NOT_FOUND_BODY)
        self.assertEqual(self.km.snapshot()[2], before)

    def test_unknown_path_on_the_token_listener_is_404(self):
        resp = self.call(self.gw.token_port, "POST", "/tokens")
        self.assertEqual(resp.status, 404)
        self.assertEqual(resp.json(), NOT_FOUND_BODY)


class TokenEndpointsKeyManagerTest(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = fixture()
        cls.tls = tls_client_context(cls.st["pki"].server_ca[0])

    def test_https_key_manager_and_custom_token_context(self):
        pki = self.st["pki"]
        with TlsRecordingBackend(pki.server_cert, pki.server_key, backend_id="km-tls") as km:
            with Gateway(self.st["artifact"], args=pki.gateway_args(trust=False) + [
                    "--listenerConfig.trustStorePath=" + self.st["trust_dir"],
                    "--listenerConfig.trustStorePassword=",
                    "--keyManager.serverUrl=" + km.url(""),
                    "--keyManager.tokenContext=/custom/ctx/"]) as gw:
                resp = https_request(gw.token_port, "POST", "/token?a=b", self.tls, body=b"x=1")
                self.assertEqual(resp.status, 200, gw.logs())
                echo = echo_json(resp)
                self.assertEqual(echo["backend_id"], "km-tls")
                self.assertEqual(echo["path"], "/custom/ctx/token?a=b")

    def test_unreachable_key_manager_answers_101503(self):
        pki = self.st["pki"]
        with Gateway(self.st["artifact"], args=pki.gateway_args(trust=False) + [
                "--keyManager.serverUrl=http://127.0.0.1:%d" % free_port()]) as gw:
            resp = https_request(gw.token_port, "POST", "/token", self.tls)
            self.assertEqual(resp.status, 500)
            self.assertEqual(resp.json(), FAULT_BACKEND)
