"""Mutual TLS (issue 4 "Bad input and attacks" TLS rows; attack-catalogue §7; reference §2, §5, §8).

Certificates are minted with the `openssl` CLI (harness.TestPki). The gateway trust store is a
PEM bundle, so aliases are subject CNs: `client-ca` (listed for MtlsAPI v1 in
`[[mutualSSLConfig.api.certificates]]`) and `partner-ca` (trusted, not listed).

- `sslVerifyClient = "require"`: no certificate, a certificate from an unknown CA and an expired
  one fail the handshake (TLS 1.2 and 1.3); a good one gets through.
- `sslVerifyClient = "optional"` + `x-wso2-mutual-ssl: mandatory` (an https-only API: plain
  HTTP gets 404): no certificate, an untrusted, expired or unlisted certificate -> 401 900901 with
  `WWW-Authenticate: Mutual SSL realm="WSO2 API Microgateway"`; a listed one -> 200.
- `X-WSO2-CLIENT-CERTIFICATE`: from an untrusted peer (or with the switch off) it is ignored and
  removed (the RecordingBackend never sees it); from a trusted proxy (a TLS-terminating load
  balancer connecting over HTTPS) with `trustCertificateHeader = true` it is verified like a
  handshake certificate.

Fixture: projects/tls (OpenTLS /open/v1/hello, MtlsAPI /mtls/v1/hello, security disabled so
mTLS is the only check).
"""

import os
import socket
import ssl
import subprocess
import unittest
import urllib.parse

from harness import (PROJECTS, E2ETestCase, Gateway, RecordingBackend, TestPki, build_project,
                     echo_json, http_request, https_request, run_openssl, temp_dir,
                     tls_client_context)

CHALLENGE = 'Mutual SSL realm="WSO2 API Microgateway"'
BODY_401 = (b'{"fault":{"code":900901, "message":"Invalid Credentials", "description":"Make sure '
            b'you have provided the correct security credentials"}}')

_STATE = {}


def fixture():
    if "pki" not in _STATE:
        pki = TestPki()
        pki.partner_ca = pki.ca("partner-ca")
        pki.stranger_ca = pki.ca("stranger-ca")
        pki.alice = pki.client("alice")
        pki.partner = pki.client("partner-client", ca=pki.partner_ca)
        pki.stranger = pki.client("stranger", ca=pki.stranger_ca)
        pki.old = pki.client("old-client", expired=True)
        with open(pki.trust_store, "ab") as out:
            with open(pki.partner_ca[0], "rb") as src:
                out.write(src.read())
        _STATE["pki"] = pki
        _STATE["artifact"] = build_project(PROJECTS / "tls")
    return _STATE["pki"], _STATE["artifact"]


def write_conf(verify, extra=""):
    d = temp_dir("mgw-e2e-mtls-conf-")
    path = os.path.join(d, "micro-gw.conf")
    with open(path, "w") as f:
        f.write('[mutualSSLConfig]\n  sslVerifyClient = "%s"\n%s\n'
                '  [[mutualSSLConfig.api.certificates]]\n    name = "MtlsAPI"\n'
                '    version = "v1"\n    aliasList = "client-ca"\n' % (verify, extra))
    return path


def pem_text(cert_path):
    with open(cert_path) as f:
        return f.read()


def client_ctx(pki, cert=None, maximum=None):
    return tls_client_context(pki.server_ca[0], cert_file=cert[0] if cert else None,
                              key_file=cert[1] if cert else None, maximum=maximum)


def start_gateway(pki, artifact, backend, conf, extra_args=()):
    return Gateway(artifact, args=["--config", conf] + pki.gateway_args() + [
        "--tlsep_prod_endpoint_0=" + backend.url("/open"),
        "--mtlsep_prod_endpoint_0=" + backend.url("/mtls")] + list(extra_args)).start()


class MtlsRequireTest(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki, artifact = fixture()
        cls.backend = RecordingBackend()
        cls.gw = start_gateway(cls.pki, artifact, cls.backend, write_conf("require"))

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def handshake_fails(self, cert, maximum=None):
        ctx = client_ctx(self.pki, cert, maximum)
        try:
            resp = https_request(self.gw.https_port, "GET", "/open/v1/hello", ctx, timeout=5)
        except (ssl.SSLError, ConnectionError, OSError):
            return True
        return resp is None

    def test_no_certificate_fails_the_handshake(self):
        for maximum in (ssl.TLSVersion.TLSv1_2, None):
            self.assertTrue(self.handshake_fails(None, maximum))
        # TLS 1.3 (RFC 8446 §4.4.2.4): the server's "certificate required" alert follows the
        # client's Finished; -ign_eof keeps s_client reading until the server closes instead of
        # quitting at the end of its stdin before the alert arrives.
        code, out = run_openssl(["s_client", "-connect", "127.0.0.1:%d" % self.gw.https_port,
                                 "-tls1_3", "-ign_eof"],
                                stdin=b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn("alert certificate required", out)
        self.assertNotIn("HTTP/1.1 200", out)

    def test_unknown_ca_and_expired_certificates_fail(self):
        for cert in (self.pki.stranger, self.pki.old):
            for maximum in (ssl.TLSVersion.TLSv1_2, None):
                self.assertTrue(self.handshake_fails(cert, maximum), (cert, maximum))
        code, out = run_openssl(["s_client", "-connect", "127.0.0.1:%d" % self.gw.https_port,
                                 "-tls1_2", "-cert", self.pki.stranger[0], "-key",
                                 self.pki.stranger[1]])
        self.assertIn("alert unknown ca", out)
        code, out = run_openssl(["s_client", "-connect", "127.0.0.1:%d" % self.gw.https_port,
                                 "-tls1_2", "-cert", self.pki.old[0], "-key", self.pki.old[1]])
        self.assertIn("alert certificate expired", out)

    def test_good_certificate_gets_through(self):
        ctx = client_ctx(self.pki, self.pki.alice)
        resp = https_request(self.gw.https_port, "GET", "/open/v1/hello", ctx)
        self.assertEqual(resp.status, 200)
        resp = https_request(self.gw.https_port, "GET", "/mtls/v1/hello", ctx)
        self.assertEqual(resp.status, 200)
        self.assertEqual(echo_json(resp)["path"], "/mtls/hello")
        p = subprocess.run(["curl", "-sS", "--cacert", self.pki.server_ca[0], "--cert",
                            self.pki.alice[0], "--key", self.pki.alice[1], "-o", "/dev/null",
                            "-w", "%{http_code}",
                            "https://localhost:%d/mtls/v1/hello" % self.gw.https_port],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.stdout, "200", p.stderr)

    def test_token_listener_never_asks_for_a_certificate(self):
        # WSO2's tokenListenerEndpoint has a key store and no mutualSSL settings.
        resp = https_request(self.gw.token_port, "GET", "/health", client_ctx(self.pki))
        self.assertEqual(resp.status, 200)

    def test_partner_certificate_passes_the_handshake_but_not_the_api(self):
        ctx = client_ctx(self.pki, self.pki.partner)
        self.assertEqual(https_request(self.gw.https_port, "GET", "/open/v1/hello", ctx).status, 200)
        resp = https_request(self.gw.https_port, "GET", "/mtls/v1/hello", ctx)
        self.assertEqual((resp.status, resp.body), (401, BODY_401))
        self.assertEqual(resp.header("www-authenticate"), CHALLENGE)

    def test_resumed_session_keeps_the_client_identity(self):
        ctx = client_ctx(self.pki, self.pki.alice, maximum=ssl.TLSVersion.TLSv1_2)
        raw = socket.create_connection(("127.0.0.1", self.gw.https_port), timeout=10)
        first = ctx.wrap_socket(raw, server_hostname="localhost")
        session = first.session
        first.close()
        raw = socket.create_connection(("127.0.0.1", self.gw.https_port), timeout=10)
        tls = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
        try:
            self.assertTrue(tls.session_reused)
            tls.sendall(b"GET /mtls/v1/hello HTTP/1.1\r\nHost: localhost\r\n"
                        b"Connection: close\r\n\r\n")
            data = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:200])
        finally:
            tls.close()


class MtlsOptionalTest(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki, artifact = fixture()
        cls.backend = RecordingBackend()
        cls.gw = start_gateway(cls.pki, artifact, cls.backend, write_conf("optional"))

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def assertRefused(self, resp):
        self.assertIsNotNone(resp)
        self.assertEqual((resp.status, resp.body), (401, BODY_401))
        self.assertEqual(resp.header("www-authenticate"), CHALLENGE)

    def test_mandatory_api_without_certificate(self):
        resp = https_request(self.gw.https_port, "GET", "/mtls/v1/hello", client_ctx(self.pki))
        self.assertRefused(resp)
        # The open API needs no certificate.
        resp = https_request(self.gw.https_port, "GET", "/open/v1/hello", client_ctx(self.pki))
        self.assertEqual(resp.status, 200)

    def test_plain_http_to_a_mandatory_api(self):
        # x-wso2-mutual-ssl: mandatory makes the API https-only (the toolkit drops http), so the
        # HTTP listener does not route it at all; the filter would answer 401 anyway
        # (mtls_filter_test).
        resp = http_request(self.gw.port, "GET", "/mtls/v1/hello")
        self.assertEqual(resp.status, 404)

    def test_untrusted_expired_and_unlisted_certificates(self):
        for cert in (self.pki.stranger, self.pki.old, self.pki.partner):
            resp = https_request(self.gw.https_port, "GET", "/mtls/v1/hello",
                                 client_ctx(self.pki, cert))
            self.assertRefused(resp)

    def test_listed_certificate(self):
        resp = https_request(self.gw.https_port, "GET", "/mtls/v1/hello",
                             client_ctx(self.pki, self.pki.alice))
        self.assertEqual(resp.status, 200)

    def test_spoofed_header_is_ignored_and_removed(self):
        value = urllib.parse.quote(pem_text(self.pki.alice[0]))
        resp = https_request(self.gw.https_port, "GET", "/mtls/v1/hello", client_ctx(self.pki),
                             headers=[("X-WSO2-CLIENT-CERTIFICATE", value)])
        self.assertRefused(resp)
        resp = http_request(self.gw.port, "GET", "/open/v1/hello",
                            headers=[("X-WSO2-CLIENT-CERTIFICATE", value),
                                     ("x-wso2-client-certificate", "second copy")])
        self.assertEqual(resp.status, 200)
        self.assertNotIn("x-wso2-client-certificate", echo_json(resp)["headers"])
        recorded = self.backend.complete_requests()[-1]
        self.assertNotIn(b"x-wso2-client-certificate", recorded.raw_head.lower())
        # Over HTTPS with a stranger's handshake, the header does not help either.
        resp = https_request(self.gw.https_port, "GET", "/mtls/v1/hello",
                             client_ctx(self.pki, self.pki.stranger),
                             headers=[("X-WSO2-CLIENT-CERTIFICATE", value)])
        self.assertRefused(resp)


class MtlsTrustedHeaderTest(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki, artifact = fixture()
        cls.backend = RecordingBackend()
        cls.gw = start_gateway(cls.pki, artifact, cls.backend, write_conf("optional"), [
            "--listenerConfig.trustedProxies=127.0.0.1/32",
            "--mutualSSLConfig.trustCertificateHeader=true"])

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def test_header_from_a_trusted_proxy_is_verified(self):
        for value in (urllib.parse.quote(pem_text(self.pki.alice[0])),
                      "".join(pem_text(self.pki.alice[0]).splitlines()[1:-1])):
            resp = https_request(self.gw.https_port, "GET", "/mtls/v1/hello",
                                 client_ctx(self.pki),
                                 headers=[("X-WSO2-CLIENT-CERTIFICATE", value)])
            self.assertEqual(resp.status, 200, resp.body)
            self.assertNotIn("x-wso2-client-certificate", echo_json(resp)["headers"])

    def test_bad_header_certificates_from_a_trusted_proxy(self):
        for value in (urllib.parse.quote(pem_text(self.pki.partner[0])),
                      urllib.parse.quote(pem_text(self.pki.stranger[0])),
                      urllib.parse.quote(pem_text(self.pki.old[0])), "garbage%%%"):
            resp = https_request(self.gw.https_port, "GET", "/mtls/v1/hello",
                                 client_ctx(self.pki),
                                 headers=[("X-WSO2-CLIENT-CERTIFICATE", value)])
            self.assertEqual((resp.status, resp.body), (401, BODY_401), value[:30])

    def test_switch_on_but_peer_not_trusted(self):
        pki, artifact = fixture()
        backend = RecordingBackend()
        gw = start_gateway(pki, artifact, backend, write_conf("optional"), [
            "--listenerConfig.trustedProxies=10.0.0.0/8",
            "--mutualSSLConfig.trustCertificateHeader=true"])
        try:
            resp = https_request(gw.https_port, "GET", "/mtls/v1/hello", client_ctx(pki), headers=[
                ("X-WSO2-CLIENT-CERTIFICATE", urllib.parse.quote(pem_text(pki.alice[0])))])
            self.assertEqual(resp.status, 401)
        finally:
            gw.stop()
            backend.stop()


if __name__ == "__main__":
    unittest.main()
