"""JWT issuers whose keys come from a JWKS endpoint (issue 4; reference wso2-mgw3.md §3, §8).

A real JWKS server (auth_servers.JwksServer) on loopback serves RSA public keys of keys made with
the `openssl` CLI; tokens are minted here (RS256 with `openssl dgst`, as test_security.py).
Covers: a token signed by a published key → 200; key rotation (a token with a new `kid`) picked
up through the unknown-kid refetch; a token with a known kid but another key → 401; the JWKS
server down at start → 401 900901 until it comes up; a refreshed document dropping a key.

Fixture: projects/security (BasicAPI /basic/v1/oauth is OAuth2-only).
"""

import os
import time

from auth_servers import JwksServer, make_server_cert, rsa_jwk
from harness import (PROJECTS, E2ETestCase, Gateway, RecordingBackend, build_project, echo_json,
                     free_port, http_request, temp_dir)
from test_security import BODY_INVALID_TOKEN, claims, make_key, mint

ISSUER = "https://jwks.example/oauth2/token"
_ARTIFACT = {}


def artifact():
    if "a" not in _ARTIFACT:
        _ARTIFACT["a"] = build_project(PROJECTS / "security")
    return _ARTIFACT["a"]


def write_conf(directory, jwks_url, refresh_ms=600000, extra="", name="micro-gw.conf"):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(extra)
        f.write('[[jwtTokenConfig]]\nissuer = "%s"\njwksURL = "%s"\n'
                'jwksRefreshInterval = %d\njwksMinRefetchInterval = 300\n\n'
                % (ISSUER, jwks_url, refresh_ms))
    return path


def token(key, kid, **over):
    return mint(key, claims(iss=ISSUER, **over), {"kid": kid})


class JwksCase(E2ETestCase):
    def call(self, tok, target="/basic/v1/oauth"):
        return http_request(self.gw.port, "GET", target, [("Authorization", "Bearer " + tok)])

    def wait_status(self, tok, status, seconds=15.0):
        end = time.monotonic() + seconds
        r = self.call(tok)
        while r.status != status and time.monotonic() < end:
            time.sleep(0.2)
            r = self.call(tok)
        return r


class JwksTest(JwksCase):
    @classmethod
    def setUpClass(cls):
        d = temp_dir("mgw-e2e-jwks-")
        cls.k1, _ = make_key(d, "k1", "k1")
        cls.k2, _ = make_key(d, "k2", "k2")
        cls.k3, _ = make_key(d, "k3", "k3")
        cls.jwks = JwksServer([rsa_jwk(cls.k1, "k1")]).start()
        cls.backend = RecordingBackend("jwks")
        cls.gw = Gateway(artifact(), ["--config", write_conf(d, cls.jwks.url()),
                                      "--basic_prod_endpoint_0=" + cls.backend.url("/be")])
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            cls.jwks.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()
        cls.jwks.stop()

    def test_1_published_key_accepted(self):
        r = self.wait_status(token(self.k1, "k1"), 200)
        self.assertEqual(r.status, 200, r)
        echo = echo_json(r)
        self.assertEqual(echo["path"], "/be/oauth")
        self.assertNotIn("authorization", echo["headers"])
        self.assertIn("jwt.jwks_loaded", self.gw.logs())

    def test_2_known_kid_other_key_and_tampering_401(self):
        self.wait_status(token(self.k1, "k1"), 200)
        before = self.backend.snapshot()
        for tok in (token(self.k3, "k1"), token(self.k3, "nope"),
                    token(self.k1, "k1")[:-4] + "AAAA", mint(self.k3, claims(iss=ISSUER))):
            r = self.call(tok)
            self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN), tok)
        self.assertBackendUntouched(self.backend, before)

    def test_3_rotation_picked_up_by_unknown_kid_refetch(self):
        self.wait_status(token(self.k1, "k1"), 200)
        fetches = self.jwks.count()
        self.jwks.keys = [rsa_jwk(self.k1, "k1"), rsa_jwk(self.k2, "k2")]
        # The refresh interval is 10 min: only the unknown-kid refetch can bring k2 in.
        r = self.wait_status(token(self.k2, "k2"), 200, seconds=10)
        self.assertEqual(r.status, 200, r)
        self.assertGreater(self.jwks.count(), fetches)
        self.assertEqual(self.call(token(self.k1, "k1")).status, 200)

    def test_4_unknown_kid_flood_is_rate_limited(self):
        self.wait_status(token(self.k1, "k1"), 200)
        time.sleep(0.5)
        before = self.jwks.count()
        tok = token(self.k3, "never-published")
        for _ in range(40):
            self.assertEqual(self.call(tok).status, 401)
        time.sleep(0.5)
        # 40 requests in well under 2 s with a 300 ms minimum interval: a handful of fetches.
        self.assertLessEqual(self.jwks.count() - before, 8)


class JwksServerDownAtStartTest(JwksCase):
    @classmethod
    def setUpClass(cls):
        d = temp_dir("mgw-e2e-jwks-down-")
        cls.k1, _ = make_key(d, "k1", "k1")
        cls.port = free_port()
        cls.jwks = JwksServer([rsa_jwk(cls.k1, "k1")], port=cls.port)
        cls.backend = RecordingBackend("jwks-down")
        cls.gw = Gateway(artifact(), [
            "--config", write_conf(d, "http://127.0.0.1:%d/jwks" % cls.port),
            "--basic_prod_endpoint_0=" + cls.backend.url("/be")])
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()
        cls.jwks.stop()

    def test_fails_closed_until_keys_arrive(self):
        tok = token(self.k1, "k1")
        before = self.backend.snapshot()
        for _ in range(3):
            r = self.call(tok)
            self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN))
        self.assertBackendUntouched(self.backend, before)
        self.assertIn("jwt.jwks_fetch_failed", self.gw.logs())
        self.jwks.start()
        r = self.wait_status(tok, 200, seconds=15)
        self.assertEqual(r.status, 200, r)


class JwksRefreshTest(JwksCase):
    """A scheduled refresh (1 s here) replaces the key set: a removed key stops verifying."""

    @classmethod
    def setUpClass(cls):
        d = temp_dir("mgw-e2e-jwks-refresh-")
        cls.k1, _ = make_key(d, "k1", "k1")
        cls.k2, _ = make_key(d, "k2", "k2")
        cls.jwks = JwksServer([rsa_jwk(cls.k1, "k1")]).start()
        cls.backend = RecordingBackend("jwks-refresh")
        cls.gw = Gateway(artifact(), ["--config", write_conf(d, cls.jwks.url(), refresh_ms=1000),
                                      "--basic_prod_endpoint_0=" + cls.backend.url("/be")])
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            cls.jwks.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()
        cls.jwks.stop()

    def test_removed_key_stops_verifying(self):
        t1 = token(self.k1, "k1")
        self.assertEqual(self.wait_status(t1, 200).status, 200)
        self.jwks.keys = [rsa_jwk(self.k2, "k2")]
        self.assertEqual(self.wait_status(t1, 401, seconds=10).status, 401)
        self.assertEqual(self.call(token(self.k2, "k2")).status, 200)
        # The JWKS server going away keeps the last good keys.
        self.jwks.stop()
        time.sleep(1.5)
        self.assertEqual(self.call(token(self.k2, "k2")).status, 200)


class JwksHttpsTest(JwksCase):
    """An https JWKS endpoint is trusted through the gateway trust store, and only through it."""

    @classmethod
    def setUpClass(cls):
        d = temp_dir("mgw-e2e-jwks-tls-")
        cls.k1, _ = make_key(d, "k1", "k1")
        cert, key = make_server_cert(d, "jwks")
        other_cert, _ = make_server_cert(d, "other")
        cls.jwks = JwksServer([rsa_jwk(cls.k1, "k1")], tls=(cert, key)).start()
        cls.backend = RecordingBackend("jwks-tls")
        trusted = write_conf(d, cls.jwks.url(), extra='[listenerConfig]\ntrustStorePath = "%s"\n'
                             'trustStorePassword = ""\n\n' % cert, name="trusted.conf")
        untrusted = write_conf(d, cls.jwks.url(), extra='[listenerConfig]\ntrustStorePath = "%s"\n'
                               'trustStorePassword = ""\n\n' % other_cert, name="untrusted.conf")
        backend = "--basic_prod_endpoint_0=" + cls.backend.url("/be")
        cls.gw = Gateway(artifact(), ["--config", trusted, backend])
        cls.gw_untrusted = Gateway(artifact(), ["--config", untrusted, backend])
        try:
            cls.gw.start()
            cls.gw_untrusted.start()
        except Exception:
            cls.gw.stop()
            cls.backend.stop()
            cls.jwks.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.gw_untrusted.stop()
        cls.backend.stop()
        cls.jwks.stop()

    def test_trusted_https_endpoint(self):
        r = self.wait_status(token(self.k1, "k1"), 200)
        self.assertEqual(r.status, 200, r)

    def test_untrusted_https_endpoint_fails_closed(self):
        r = http_request(self.gw_untrusted.port, "GET", "/basic/v1/oauth",
                         [("Authorization", "Bearer " + token(self.k1, "k1"))])
        self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN))
        self.assertIn("jwt.jwks_fetch_failed", self.gw_untrusted.logs())


if __name__ == "__main__":
    import unittest
    unittest.main()
