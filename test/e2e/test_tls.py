"""HTTPS and token listeners (issue 4 "Key and trust stores", "Listeners"; attack-catalogue §7).

Certificates are minted with the `openssl` CLI into a temp dir (harness.TestPki); the gateway
loads a PEM key store. Clients: Python's ssl module, curl and `openssl s_client`.

Covered: HTTPS request and /health on the HTTPS and token listeners, HTTP unchanged, weak and
static-RSA ciphers refused (forward secrecy only), TLS 1.1 and
1.0 refused (alert 70), a configured TLSv1.1 refused with a warning, TLS 1.3-only configuration,
renegotiation refused, session resumption (TLS 1.2 session id / ticket and TLS 1.3 ticket), ALPN
http/1.1 (h2-only offer: no ALPN, still HTTP/1.1), pipelined keep-alive requests and a 2 MiB
response over TLS, plain HTTP and garbage on the TLS port, a stalled handshake closed at the
deadline, no key store (HTTPS not started, warning, HTTP works) and a bad key store (refused
start).

Fixture: projects/tls (OpenTLS /open/v1/hello, security disabled).
"""

import socket
import ssl
import subprocess
import time
import unittest

from harness import (PROJECTS, E2ETestCase, Gateway, RecordingBackend, TestPki, build_project,
                     connect_refused, echo_json, http_request, https_request, raw_exchange,
                     run_gateway_expect_exit, run_openssl, tls_client_context, Conn)

_STATE = {}


def fixture():
    if "pki" not in _STATE:
        _STATE["pki"] = TestPki()
        _STATE["artifact"] = build_project(PROJECTS / "tls")
    return _STATE["pki"], _STATE["artifact"]


def s_client(port, *args, stdin=b""):
    return run_openssl(["s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost"]
                       + list(args), stdin=stdin)


class TlsListenerTest(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki, artifact = fixture()
        cls.backend = RecordingBackend()
        cls.gw = Gateway(artifact, args=cls.pki.gateway_args() + [
            "--tlsep_prod_endpoint_0=" + cls.backend.url("/b"),
            "--listenerConfig.requestHeaderTimeoutMillis=1500"]).start()
        cls.ctx = tls_client_context(cls.pki.server_ca[0])

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def test_https_request_reaches_the_backend(self):
        resp = https_request(self.gw.https_port, "GET", "/open/v1/hello", self.ctx)
        self.assertEqual(resp.status, 200)
        echo = echo_json(resp)
        self.assertEqual(echo["path"], "/b/hello")
        self.assertEqual(echo["headers"].get("x-forwarded-proto"), "https")

    def test_health_on_every_listener(self):
        for port in (self.gw.https_port, self.gw.token_port):
            resp = https_request(port, "GET", "/health", self.ctx)
            self.assertEqual((resp.status, resp.body), (200, b'{"status":"healthy"}'))
        resp = http_request(self.gw.port, "GET", "/health")
        self.assertEqual(resp.status, 200)
        resp = http_request(self.gw.port, "GET", "/open/v1/hello")
        self.assertEqual(echo_json(resp)["headers"].get("x-forwarded-proto"), "http")

    def test_curl_with_the_ca_and_hostname_verification(self):
        p = subprocess.run(["curl", "-sS", "--cacert", self.pki.server_ca[0], "-o", "/dev/null",
                            "-w", "%{http_code} %{http_version}",
                            "https://localhost:%d/open/v1/hello" % self.gw.https_port],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.stdout, "200 1.1", p.stderr)
        # The certificate names localhost and 127.0.0.1 only.
        bad = subprocess.run(["curl", "-sS", "--cacert", self.pki.server_ca[0],
                              "--resolve", "other.example:%d:127.0.0.1" % self.gw.https_port,
                              "https://other.example:%d/health" % self.gw.https_port],
                             capture_output=True, text=True, timeout=20)
        self.assertNotEqual(bad.returncode, 0)

    def test_tls_1_1_and_1_0_are_refused(self):
        for flag in ("-tls1_1", "-tls1"):
            code, out = s_client(self.gw.https_port, flag, "-cipher", "DEFAULT@SECLEVEL=0")
            self.assertNotEqual(code, 0, out)
            self.assertIn("alert protocol version", out)
        ctx = tls_client_context(self.pki.server_ca[0], maximum=ssl.TLSVersion.TLSv1_1)
        ctx.set_ciphers("DEFAULT@SECLEVEL=0")
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            https_request(self.gw.https_port, "GET", "/health", ctx)

    def test_tls_1_2_and_1_3_work(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = tls_client_context(self.pki.server_ca[0], minimum=version, maximum=version)
            with Conn(self.gw.https_port, tls=ctx) as c:
                self.assertEqual(c.sock.version(), {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                                    ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version])
                self.assertEqual(c.request("GET", "/health").status, 200)

    def test_weak_and_non_forward_secret_ciphers_are_refused(self):
        for cipher in ("AES128-GCM-SHA256", "DES-CBC3-SHA", "ECDHE-RSA-RC4-SHA", "NULL-SHA256",
                       "ADH-AES128-GCM-SHA256", "EXP-RC4-MD5"):
            code, out = s_client(self.gw.https_port, "-tls1_2", "-cipher",
                                 cipher + "@SECLEVEL=0")
            self.assertNotEqual(code, 0, cipher)
            self.assertNotIn("Cipher is " + cipher, out)
        code, out = s_client(self.gw.https_port, "-tls1_2")
        self.assertIn("Cipher is ECDHE-", out)

    def test_renegotiation_is_refused(self):
        proc = subprocess.Popen(["openssl", "s_client", "-connect",
                                 "127.0.0.1:%d" % self.gw.https_port, "-tls1_2"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        try:
            time.sleep(0.7)
            proc.stdin.write(b"R\n")
            proc.stdin.flush()
            time.sleep(1.0)
            proc.stdin.close()
            out = proc.stdout.read().decode("utf-8", "replace")
            proc.wait(timeout=10)
        finally:
            proc.stdout.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertIn("RENEGOTIATING", out)
        self.assertIn("no renegotiation", out)
        # The gateway is unharmed.
        self.assertEqual(https_request(self.gw.https_port, "GET", "/health", self.ctx).status, 200)

    def test_session_resumption_with_s_client(self):
        sess = self.pki.path("session-%d" % time.monotonic_ns())
        code, out = s_client(self.gw.https_port, "-tls1_2", "-sess_out", sess)
        self.assertIn("New, TLSv1.2", out)
        code, out = s_client(self.gw.https_port, "-tls1_2", "-sess_in", sess)
        self.assertIn("Reused, TLSv1.2", out)

    def test_session_resumption_tls13_ticket(self):
        ctx = tls_client_context(self.pki.server_ca[0])
        with Conn(self.gw.https_port, tls=ctx) as c:
            self.assertEqual(c.request("GET", "/health").status, 200)
            session = c.sock.session  # TLS 1.3 tickets arrive after the handshake
        raw = socket.create_connection(("127.0.0.1", self.gw.https_port), timeout=10)
        tls = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
        try:
            self.assertTrue(tls.session_reused)
        finally:
            tls.close()

    def test_alpn_http11_and_h2_only_offer(self):
        code, out = s_client(self.gw.https_port, "-alpn", "h2,http/1.1")
        self.assertIn("ALPN protocol: http/1.1", out)
        code, out = s_client(self.gw.https_port, "-alpn", "h2")
        self.assertIn("No ALPN negotiated", out)
        ctx = tls_client_context(self.pki.server_ca[0], alpn=["h2"])
        with Conn(self.gw.https_port, tls=ctx) as c:
            self.assertIsNone(c.sock.selected_alpn_protocol())
            self.assertEqual(c.request("GET", "/health").status, 200)

    def test_pipelined_keep_alive_requests_over_tls(self):
        with Conn(self.gw.https_port, tls=self.ctx) as c:
            req = (b"GET /open/v1/hello HTTP/1.1\r\nHost: localhost\r\n\r\n"
                   b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            c.send(req)
            first = c.read_response()
            second = c.read_response()
            self.assertEqual((first.status, second.status), (200, 200))
            self.assertEqual(second.body, b'{"status":"healthy"}')
            self.assertEqual(c.request("GET", "/health").status, 200)

    def test_large_response_over_tls(self):
        size = 2 * 1024 * 1024
        resp = https_request(self.gw.https_port, "GET", "/open/v1/hello", self.ctx,
                             headers=[("X-Backend-Mode", "big:%d" % size)], timeout=30)
        self.assertEqual(resp.status, 200)
        self.assertEqual(len(resp.body), size)

    def test_plain_http_and_garbage_on_the_tls_port_are_closed(self):
        for data in (b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", b"\x16\x03\x01" + b"\xff" * 500):
            res = raw_exchange(self.gw.https_port, data, read_timeout=3.0)
            self.assertTrue(res.closed, res)
            self.assertNotIn(b"HTTP/1.1 200", res.data)
        self.assertEqual(https_request(self.gw.https_port, "GET", "/health", self.ctx).status, 200)

    def test_stalled_handshake_is_closed_at_the_deadline(self):
        # Handshake deadline = min(10 s, requestHeaderTimeoutMillis = 1.5 s).
        res = raw_exchange(self.gw.https_port, b"\x16\x03\x01", read_timeout=6.0)
        self.assertTrue(res.closed, res)
        self.assertLess(res.elapsed, 5.0)
        self.assertIn("tls.handshake_timeout", self.gw.logs())


class TlsConfigurationTest(E2ETestCase):
    def test_no_key_store_means_no_https_but_http_works(self):
        pki, artifact = fixture()
        with Gateway(artifact) as gw:
            self.assertTrue(connect_refused(gw.https_port))
            self.assertTrue(connect_refused(gw.token_port))
            self.assertEqual(http_request(gw.port, "GET", "/health").status, 200)
            self.assertIn("tls.https_disabled", gw.logs())

    def test_bad_key_store_refuses_to_start(self):
        pki, artifact = fixture()
        code, out = run_gateway_expect_exit([
            str(artifact), "--listenerConfig.httpPort=0",
            "--listenerConfig.keyStorePath=" + pki.path("missing.p12"),
            "--listenerConfig.keyStorePassword=x"])
        self.assertNotEqual(code, 0)
        self.assertIn("tls.store_unreadable", out)
        # A wrong password on a real PKCS#12 store.
        p12 = pki.path("ks.p12")
        c, o = run_openssl(["pkcs12", "-export", "-in", pki.server_cert, "-inkey", pki.server_key,
                            "-out", p12, "-passout", "pass:right"])
        self.assertEqual(c, 0, o)
        code, out = run_gateway_expect_exit([
            str(artifact), "--listenerConfig.httpPort=0", "--listenerConfig.keyStorePath=" + p12,
            "--listenerConfig.keyStorePassword=Not-The-Pw-42"])
        self.assertNotEqual(code, 0)
        self.assertIn("tls.store_bad_password", out)
        self.assertNotIn("Not-The-Pw-42", out)  # passwords never reach the logs

    def test_pkcs12_key_store_and_tls11_in_protocol_versions(self):
        pki, artifact = fixture()
        p12 = pki.path("ks2.p12")
        c, o = run_openssl(["pkcs12", "-export", "-in", pki.server_cert, "-inkey", pki.server_key,
                            "-out", p12, "-passout", "pass:ballerina", "-name", "ballerina"])
        self.assertEqual(c, 0, o)
        with Gateway(artifact, args=["--listenerConfig.keyStorePath=" + p12,
                                     "--listenerConfig.keyStorePassword=ballerina",
                                     "--mutualSSLConfig.protocolVersions=TLSv1.2,TLSv1.1"]) as gw:
            logs = gw.logs()
            self.assertEqual(logs.count("tls.protocol_refused"), 1, logs)
            code, out = s_client(gw.https_port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
            self.assertIn("alert protocol version", out)
            ctx = tls_client_context(pki.server_ca[0])
            self.assertEqual(https_request(gw.https_port, "GET", "/health", ctx).status, 200)

    def test_tls13_only_and_ciphers(self):
        pki, artifact = fixture()
        with Gateway(artifact, args=pki.gateway_args(trust=False) + [
                "--mutualSSLConfig.protocolVersions=TLSv1.3"]) as gw:
            ctx12 = tls_client_context(pki.server_ca[0], maximum=ssl.TLSVersion.TLSv1_2)
            with self.assertRaises((ssl.SSLError, ConnectionError)):
                https_request(gw.https_port, "GET", "/health", ctx12)
            ctx = tls_client_context(pki.server_ca[0])
            self.assertEqual(https_request(gw.https_port, "GET", "/health", ctx).status, 200)
        with Gateway(artifact, args=pki.gateway_args(trust=False) + [
                "--mutualSSLConfig.ciphers=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,"
                "SSL_RSA_WITH_3DES_EDE_CBC_SHA"]) as gw:
            self.assertIn("tls.cipher_skipped", gw.logs())
            code, out = s_client(gw.https_port, "-tls1_2")
            self.assertIn("ECDHE-ECDSA-AES256-GCM-SHA384", out)
            code, out = s_client(gw.https_port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
            self.assertNotEqual(code, 0)


if __name__ == "__main__":
    unittest.main()
