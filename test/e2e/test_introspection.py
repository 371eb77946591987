"""Opaque OAuth2 tokens checked by RFC 7662 introspection against `[keyManager]` (issue 4;
reference wso2-mgw3.md §3 `[keyManager]`, §5, §8 "Opaque").

A real introspection endpoint (auth_servers.IntrospectionServer) on loopback answers from a token
table and checks the `[keymanager.security.basic]` credentials. Covers: an active token → 200 and
the backend reached without the credential; inactive, unknown and expired tokens → 401 900901;
a missing scope → 403 900910; the cache (a second request does not reach the key manager); a
key manager that is down → 401 900901; JWTs still go to the JWT verifier.

Fixture: projects/security (BasicAPI /basic/v1/oauth, /basic/v1/oauth-admin need OAuth2).
"""

import os
import time

from auth_servers import IntrospectionServer, make_server_cert
from harness import (PROJECTS, E2ETestCase, Gateway, RecordingBackend, build_project, echo_json,
                     free_port, http_request, temp_dir)
from test_security import BODY_INVALID_TOKEN, BODY_SCOPE, CHALLENGE_OAUTH

_ARTIFACT = {}


def artifact():
    if "a" not in _ARTIFACT:
        _ARTIFACT["a"] = build_project(PROJECTS / "security")
    return _ARTIFACT["a"]


def write_conf(server_url, user="km-user", password="km-pass", extra=""):
    path = os.path.join(temp_dir("mgw-e2e-introspect-"), "micro-gw.conf")
    with open(path, "w") as f:
        f.write(extra)
        f.write('[keyManager]\nserverUrl = "%s"\ntokenContext = "oauth2"\n\n' % server_url)
        f.write('[keymanager.security.basic]\nenabled = true\nusername = "%s"\n'
                'password = "%s"\n' % (user, password))
    return path


class IntrospectionTest(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        cls.km = IntrospectionServer("km-user", "km-pass").start()
        now = int(time.time())
        cls.km.tokens = {
            "active-token": {"active": True, "scope": "read", "client_id": "client-1",
                             "username": "alice", "exp": now + 600},
            "admin-token": {"active": True, "scope": "read admin", "client_id": "client-2",
                            "exp": now + 600},
            "cached-token": {"active": True, "scope": "read", "exp": now + 600},
            "expired-token": {"active": True, "exp": now - 600},
            "revoked-token": {"active": False},
        }
        cls.backend = RecordingBackend("introspect")
        # One worker: the result cache is per worker thread.
        cls.gw = Gateway(artifact(), ["--config", write_conf(cls.km.server_url()),
                                      "--server.workers=1",
                                      "--basic_prod_endpoint_0=" + cls.backend.url("/be")])
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            cls.km.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()
        cls.km.stop()

    def call(self, tok, target="/basic/v1/oauth"):
        return http_request(self.gw.port, "GET", target, [("Authorization", "Bearer " + tok)])

    def assertInvalid(self, tok, challenge=True):
        before = self.backend.snapshot()
        r = self.call(tok)
        self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN), r)
        if challenge:
            self.assertEqual(r.header("www-authenticate"), CHALLENGE_OAUTH)
        self.assertBackendUntouched(self.backend, before)

    def test_active_token_reaches_backend(self):
        r = self.call("active-token")
        self.assertEqual(r.status, 200, r)
        echo = echo_json(r)
        self.assertEqual(echo["path"], "/be/oauth")
        self.assertNotIn("authorization", echo["headers"])
        with self.km.lock:
            sent = [q for q in self.km.requests if q["form"].get("token") == ["active-token"]]
        self.assertTrue(sent)
        self.assertEqual(sent[0]["path"], "/oauth2/introspect")
        self.assertEqual(sent[0]["content_type"], "application/x-www-form-urlencoded")
        self.assertEqual(sent[0]["authorization"], self.km.expected_auth)

    def test_inactive_unknown_and_expired_tokens_401(self):
        for tok in ("revoked-token", "never-issued", "expired-token", "with space%2B"):
            self.assertInvalid(tok)

    def test_scopes_any_of(self):
        r = self.call("active-token", "/basic/v1/oauth-admin")
        self.assertEqual((r.status, r.body), (403, BODY_SCOPE))
        self.assertEqual(self.call("admin-token", "/basic/v1/oauth-admin").status, 200)

    def test_second_request_served_from_cache(self):
        self.assertEqual(self.call("cached-token").status, 200)
        hits = self.km.count()
        for _ in range(5):
            self.assertEqual(self.call("cached-token").status, 200)
        self.assertEqual(self.km.count(), hits)

    def test_inactive_result_cached_briefly(self):
        self.assertInvalid("revoked-again")
        hits = self.km.count()
        self.assertInvalid("revoked-again")
        self.assertEqual(self.km.count(), hits)

    def test_jwt_shaped_tokens_do_not_reach_the_key_manager(self):
        hits = self.km.count()
        self.assertInvalid("aaa.bbb.ccc", challenge=False)
        self.assertEqual(self.km.count(), hits)


class IntrospectionFailureTest(E2ETestCase):
    """A key manager that is down, or refuses the gateway's credentials: 401 900901."""

    @classmethod
    def setUpClass(cls):
        cls.km = IntrospectionServer("someone", "else").start()
        cls.km.tokens = {"active-token": {"active": True}}
        cls.backend = RecordingBackend("introspect-down")
        cls.gw_down = Gateway(artifact(), [
            "--config", write_conf("http://127.0.0.1:%d/" % free_port()),
            "--basic_prod_endpoint_0=" + cls.backend.url("/be")])
        cls.gw_creds = Gateway(artifact(), [
            "--config", write_conf(cls.km.server_url()),
            "--basic_prod_endpoint_0=" + cls.backend.url("/be")])
        try:
            cls.gw_down.start()
            cls.gw_creds.start()
        except Exception:
            cls.gw_down.stop()
            cls.backend.stop()
            cls.km.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw_down.stop()
        cls.gw_creds.stop()
        cls.backend.stop()
        cls.km.stop()

    def test_key_manager_down_401(self):
        before = self.backend.snapshot()
        for _ in range(3):
            r = http_request(self.gw_down.port, "GET", "/basic/v1/oauth",
                             [("Authorization", "Bearer active-token")])
            self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN), r)
        self.assertBackendUntouched(self.backend, before)
        self.assertIn("introspection.failed", self.gw_down.logs())

    def test_key_manager_refusing_credentials_401(self):
        r = http_request(self.gw_creds.port, "GET", "/basic/v1/oauth",
                         [("Authorization", "Bearer active-token")])
        self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN), r)
        self.assertIn("introspection.status", self.gw_creds.logs())


class IntrospectionHttpsTest(E2ETestCase):
    """An https key manager, trusted through `[listenerConfig] trustStorePath`."""

    @classmethod
    def setUpClass(cls):
        d = temp_dir("mgw-e2e-introspect-tls-")
        cert, key = make_server_cert(d, "km")
        cls.km = IntrospectionServer("km-user", "km-pass", tls=(cert, key)).start()
        cls.km.tokens = {"tls-token": {"active": True, "scope": "read", "username": "carol"}}
        cls.backend = RecordingBackend("introspect-tls")
        trust = '[listenerConfig]\ntrustStorePath = "%s"\ntrustStorePassword = ""\n\n' % cert
        cls.gw = Gateway(artifact(), ["--config", write_conf(cls.km.server_url(), extra=trust),
                                      "--basic_prod_endpoint_0=" + cls.backend.url("/be")])
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            cls.km.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()
        cls.km.stop()

    def test_active_token_over_https(self):
        r = http_request(self.gw.port, "GET", "/basic/v1/oauth",
                         [("Authorization", "Bearer tls-token")])
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(self.km.count(), 1)


if __name__ == "__main__":
    import unittest
    unittest.main()
