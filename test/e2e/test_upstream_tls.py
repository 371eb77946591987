"""Upstream TLS and outbound basic auth (issue 4 "Upstream TLS"; reference wso2-mgw3.md §2
`securityConfig`, §3 `[httpClients]`).

Backends are RecordingBackends behind Python's ssl module with certificates minted by the
`openssl` CLI (harness.TestPki); the gateway trusts a PEM trust store directory holding the
backend CA.

Covered: https endpoint verified (chain + hostname, SNI), keep-alive reuse of TLS connections,
large request and response bodies over TLS, an IP-literal URL matched against the IP SAN, a
backend signed by an unknown CA -> 101503, a hostname mismatch -> 101503 (and 200 with
`verifyHostname = false`, one warning), `disableSslVerification = true` -> 200 with a warning,
a plain-HTTP backend behind an https URL -> 101503 without a plain-HTTP retry, a dropped
handshake -> 101503, a stalled handshake -> 101504 at the endpoint timeout, the failure log
naming endpoint and reason; outbound Basic credentials from a flag and from an MGW_ variable,
replacing the client's Authorization, never logged.

Fixture: projects/upstream (UpstreamTLS /tlsb/v1, BasicOut /basicout/v1).
"""

import base64
import os
import shutil
import socket
import ssl
import threading
import time

from harness import (FAULT_BACKEND, FAULT_TIMEOUT, PROJECTS, E2ETestCase, Gateway,
                     RecordingBackend, TestPki, build_project, echo_json, http_request)

_STATE = {}


class TlsRecordingBackend(RecordingBackend):
    """A RecordingBackend that speaks TLS with `cert`/`key` (PEM files)."""

    def __init__(self, cert, key, backend_id="tls-backend", mode="echo"):
        self._ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ssl.load_cert_chain(cert, key)
        self.handshake_failures = 0
        self.server_names = []
        self._ssl.sni_callback = self._on_sni
        super().__init__(backend_id=backend_id, mode=mode)

    def _on_sni(self, sslobj, name, ctx):
        self.server_names.append(name)

    def url(self, path="/backend", host="localhost"):
        return "https://%s:%d%s" % (host, self.port, path)

    def _serve(self, sock, conn_id):
        sock.settimeout(10)
        try:
            tls = self._ssl.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshake_failures += 1
            try:
                sock.close()
            except OSError:
                pass
            return
        tls.settimeout(None)
        with self._lock:
            self._socks.add(tls)
        super()._serve(tls, conn_id)


def fixture():
    if "pki" not in _STATE:
        pki = TestPki()
        good_cert, good_key = pki.leaf("backend-good", pki.server_ca,
                                       san="DNS:localhost,IP:127.0.0.1")
        wrong_name = pki.leaf("backend-wrongname", pki.server_ca, san="DNS:other.example")
        rogue_ca = pki.ca("rogue-ca")
        rogue = pki.leaf("backend-rogue", rogue_ca, san="DNS:localhost,IP:127.0.0.1")
        # A PEM trust store directory: <alias>.pem per trusted certificate.
        trust_dir = pki.path("upstream-trust")
        os.mkdir(trust_dir)
        shutil.copy(pki.server_ca[0], os.path.join(trust_dir, "backend-ca.pem"))
        _STATE.update(pki=pki, good=(good_cert, good_key), wrong_name=wrong_name, rogue=rogue,
                      trust_dir=trust_dir, artifact=build_project(PROJECTS / "upstream"))
    return _STATE


def trust_args(state):
    return ["--listenerConfig.trustStorePath=" + state["trust_dir"],
            "--listenerConfig.trustStorePassword="]


class UpstreamTlsVerifiedTest(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = fixture()
        cls.backend = TlsRecordingBackend(*cls.st["good"])
        # One worker: upstream pools are per worker, and which worker accepts a client connection
        # is the kernel's choice (SO_REUSEPORT), so with two the reuse test below depended on
        # where earlier requests had landed.
        cls.gw = Gateway(cls.st["artifact"], args=trust_args(cls.st) + [
            "--workers=1", "--tlsback_prod_endpoint_0=" + cls.backend.url("/b")]).start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def test_https_endpoint_is_proxied_over_verified_tls(self):
        resp = http_request(self.gw.port, "GET", "/tlsb/v1/hello?x=1")
        self.assertEqual(resp.status, 200, self.gw.logs())
        echo = echo_json(resp)
        self.assertEqual(echo["path"], "/b/hello?x=1")
        self.assertEqual(echo["backend_id"], "tls-backend")
        self.assertEqual(echo["headers"].get("host"), "localhost:%d" % self.backend.port)
        # RFC 6066 §3: SNI is the endpoint host name.
        self.assertIn("localhost", self.backend.server_names)

    def test_tls_connections_are_reused(self):
        http_request(self.gw.port, "GET", "/tlsb/v1/hello")
        before = self.backend.snapshot()[1]
        for _ in range(5):
            resp = http_request(self.gw.port, "GET", "/tlsb/v1/hello")
            self.assertEqual(resp.status, 200)
        self.assertEqual(self.backend.snapshot()[1], before, "pooled TLS connection not reused")

    def test_large_bodies_cross_tls_both_ways(self):
        body = os.urandom(700 * 1024)
        resp = http_request(self.gw.port, "POST", "/tlsb/v1/hello", body=body,
                            headers=[("Content-Type", "application/octet-stream")], timeout=30)
        self.assertEqual(resp.status, 200)
        self.assertEqual(echo_json(resp)["body_len"], len(body))
        resp = http_request(self.gw.port, "GET", "/tlsb/v1/hello",
                            headers=[("X-Backend-Mode", "big:3000000")], timeout=30)
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.complete)
        self.assertEqual(len(resp.body), 3000000)


class UpstreamTlsFailureTest(E2ETestCase):
    """Each case starts its own gateway: the endpoint URL and [httpClients] differ."""

    @classmethod
    def setUpClass(cls):
        cls.st = fixture()

    def run_case(self, backend, url, extra=()):
        gw = Gateway(self.st["artifact"], args=trust_args(self.st) + [
            "--tlsback_prod_endpoint_0=" + url] + list(extra)).start()
        try:
            t0 = time.monotonic()
            resp = http_request(gw.port, "GET", "/tlsb/v1/hello")
            # The request alone, without the gateway's start and stop.
            self.request_seconds = time.monotonic() - t0
        finally:
            gw.stop()
        return resp, gw.logs()

    def test_unknown_ca_is_refused_with_101503(self):
        with TlsRecordingBackend(*self.st["rogue"]) as be:
            resp, logs = self.run_case(be, be.url("/b"))
            self.assertEqual(resp.status, 500)
            self.assertEqual(resp.json(), FAULT_BACKEND)
            self.assertEqual(be.complete_requests(), [])
        # The log names the endpoint and why.
        self.assertRegex(logs, r"upstream\.connect_failed.*tlsback.*tls\.bad_certificate")
        self.assertIn("unable to get local issuer certificate", logs)

    def test_hostname_mismatch_is_refused_with_101503(self):
        with TlsRecordingBackend(*self.st["wrong_name"]) as be:
            resp, logs = self.run_case(be, be.url("/b"))
            self.assertEqual(resp.status, 500)
            self.assertEqual(resp.json(), FAULT_BACKEND)
            self.assertEqual(be.complete_requests(), [])
        self.assertIn("hostname mismatch", logs)

    def test_verify_hostname_false_accepts_the_mismatch_with_a_warning(self):
        with TlsRecordingBackend(*self.st["wrong_name"]) as be:
            resp, logs = self.run_case(be, be.url("/b"), ["--httpClients.verifyHostname=false"])
            self.assertEqual(resp.status, 200, logs)
        self.assertEqual(logs.count("tls.upstream_hostname_unchecked"), 1)

    def test_verify_hostname_false_still_verifies_the_chain(self):
        with TlsRecordingBackend(*self.st["rogue"]) as be:
            resp, _ = self.run_case(be, be.url("/b"), ["--httpClients.verifyHostname=false"])
            self.assertEqual(resp.status, 500)
            self.assertEqual(resp.json(), FAULT_BACKEND)

    def test_disable_ssl_verification_accepts_any_certificate_with_a_warning(self):
        with TlsRecordingBackend(*self.st["rogue"]) as be:
            resp, logs = self.run_case(be, be.url("/b"),
                                       ["--httpClients.disableSslVerification=true"])
            self.assertEqual(resp.status, 200, logs)
        self.assertEqual(logs.count("tls.upstream_verification_disabled"), 1)

    def test_ip_literal_url_matches_the_ip_san(self):
        with TlsRecordingBackend(*self.st["good"]) as be:
            resp, logs = self.run_case(be, be.url("/b", host="127.0.0.1"))
            self.assertEqual(resp.status, 200, logs)
            # RFC 6066 §3: no SNI for an IP literal.
            self.assertEqual(be.server_names, [None])

    def run_raw_backend(self, reply, hold=False):
        """A TCP server that reads once, writes `reply` and closes (`hold`: keeps the connection
        open and silent): returns (response, logs, bytes received)."""
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(8)
        port = lsock.getsockname()[1]
        received = []
        held = []

        def serve():
            lsock.settimeout(10)
            try:
                while True:
                    c, _ = lsock.accept()
                    c.settimeout(5)
                    received.append(c.recv(4096))
                    if reply:
                        c.sendall(reply)
                    if hold:
                        held.append(c)
                    else:
                        c.close()
            except OSError:
                return

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        try:
            resp, logs = self.run_case(None, "https://localhost:%d/b" % port)
        finally:
            lsock.close()
            t.join(timeout=5)
            for c in held:
                c.close()
        return resp, logs, received

    def test_plain_http_backend_behind_https_url_is_never_sent_plain_http(self):
        resp, logs, received = self.run_raw_backend(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        self.assertEqual(resp.status, 500)
        self.assertEqual(resp.json(), FAULT_BACKEND)
        # Only TLS ClientHellos reached it (record type 22), never a plain request.
        self.assertTrue(received)
        for data in received:
            self.assertEqual(data[:1], b"\x16", data[:40])
        self.assertIn("upstream.tls_failed", logs)

    def test_backend_that_drops_the_handshake_answers_101503(self):
        resp, logs, _ = self.run_raw_backend(b"")
        self.assertEqual(resp.status, 500)
        self.assertEqual(resp.json(), FAULT_BACKEND)
        self.assertIn("tls.handshake_eof", logs)

    def test_stalled_handshake_is_bounded_by_the_endpoint_timeout(self):
        # The fixture's tlsback has advanceEndpointConfig timeoutInMillis 3000.
        resp, _, _ = self.run_raw_backend(b"", hold=True)
        self.assertEqual(resp.status, 500)
        self.assertEqual(resp.json(), FAULT_TIMEOUT)
        self.assertLess(self.request_seconds, 9)


class OutboundBasicAuthTest(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = fixture()
        cls.backend = RecordingBackend()

    @classmethod
    def tearDownClass(cls):
        cls.backend.stop()

    def expect_basic(self, gw, user, password):
        resp = http_request(gw.port, "GET", "/basicout/v1/hello",
                            headers=[("Authorization", "Basic Y2xpZW50OmNsaWVudA==")])
        self.assertEqual(resp.status, 200, gw.logs())
        want = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.assertEqual(self.backend.last().header_all("authorization"), [want])

    def test_password_from_a_flag_replaces_the_client_credentials(self):
        with Gateway(self.st["artifact"], args=[
                "--basicep_prod_endpoint_0=" + self.backend.url("/b"),
                "--basicep_prod_basic_password=s3cr3t-flag"]) as gw:
            self.expect_basic(gw, "svc", "s3cr3t-flag")
        self.assertNotIn("s3cr3t-flag", gw.logs())
        self.assertNotIn(base64.b64encode(b"svc:s3cr3t-flag").decode(), gw.logs())

    def test_password_and_username_from_the_environment(self):
        with Gateway(self.st["artifact"], args=[
                "--basicep_prod_endpoint_0=" + self.backend.url("/b")],
                env={"MGW_basicep_prod_basic_password": "env-pw",
                     "MGW_basicep_prod_basic_username": "envuser"}) as gw:
            self.expect_basic(gw, "envuser", "env-pw")
        self.assertNotIn("env-pw", gw.logs())

    def test_missing_password_warns_at_start(self):
        with Gateway(self.st["artifact"], args=[
                "--basicep_prod_endpoint_0=" + self.backend.url("/b")]) as gw:
            self.expect_basic(gw, "svc", "")
        self.assertIn("endpoint.basic_password_missing", gw.logs())

    def test_endpoint_without_security_config_keeps_the_client_header(self):
        with TlsRecordingBackend(*self.st["good"]) as be:
            with Gateway(self.st["artifact"], args=trust_args(self.st) + [
                    "--tlsback_prod_endpoint_0=" + be.url("/b")]) as gw:
                resp = http_request(gw.port, "GET", "/tlsb/v1/hello",
                                    headers=[("Authorization", "Bearer abc")])
                self.assertEqual(resp.status, 200)
            # Security is disabled on this API: the client's header is forwarded as is.
            self.assertEqual(be.last().header_all("authorization"), ["Bearer abc"])
