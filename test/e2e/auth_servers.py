"""Small key-manager servers for the e2e tests (stdlib only), run in the test process.

JwksServer serves a JWKS document (RFC 7517) the test changes at will (key rotation) and counts
fetches. IntrospectionServer answers RFC 7662 introspection requests from a token table and
records what the gateway sent (Authorization, form body). Both bind 127.0.0.1 on a given or free
port and can be started late (a key server that is down when the gateway starts).
"""

import base64
import json
import os
import ssl
import subprocess
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rsa_jwk(key_path, kid):
    """Public JWK (RS256) of an RSA private key file, from `openssl rsa -modulus`."""
    out = subprocess.run(["openssl", "rsa", "-in", key_path, "-noout", "-modulus"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
    modulus = bytes.fromhex(out.decode().strip().split("=", 1)[1])
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64url(modulus),
            "e": b64url((65537).to_bytes(3, "big"))}


def make_server_cert(directory, name="km"):
    """Self-signed certificate for 127.0.0.1 (SAN IP): (cert, key). The cert is also a PEM trust
    store for the gateway (`[listenerConfig] trustStorePath`)."""
    key = os.path.join(directory, name + "-tls.key")
    cert = os.path.join(directory, name + "-tls.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=" + name,
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return cert, key


class _Server:
    def __init__(self, port=0, tls=None):
        self.port = port
        self.tls = tls  # (cert, key): serve https
        self.hits = 0
        self.lock = threading.Lock()
        self._httpd = None
        self._thread = None

    def start(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                owner._dispatch(self, b"")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                owner._dispatch(self, self.rfile.read(length))

        ThreadingHTTPServer.allow_reuse_address = True
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def _dispatch(self, handler, body):
        with self.lock:
            self.hits += 1
        status, headers, payload = self.handle(handler, body)
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def count(self):
        with self.lock:
            return self.hits


class JwksServer(_Server):
    def __init__(self, keys=(), port=0, tls=None):
        super().__init__(port, tls)
        self.keys = list(keys)

    def url(self):
        return "%s://127.0.0.1:%d/jwks" % ("https" if self.tls else "http", self.port)

    def handle(self, handler, body):
        if handler.path != "/jwks":
            return 404, [], b""
        doc = json.dumps({"keys": self.keys}).encode()
        return 200, [("Content-Type", "application/json")], doc


class IntrospectionServer(_Server):
    """POST /oauth2/introspect: `tokens` maps a token to the JSON answer (default inactive)."""

    def __init__(self, user="admin", password="admin", port=0, tls=None):
        super().__init__(port, tls)
        self.tokens = {}
        self.expected_auth = "Basic " + base64.b64encode(
            ("%s:%s" % (user, password)).encode()).decode()
        self.requests = []

    def server_url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def handle(self, handler, body):
        form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        with self.lock:
            self.requests.append({"path": handler.path,
                                  "authorization": handler.headers.get("Authorization"),
                                  "content_type": handler.headers.get("Content-Type"),
                                  "form": form})
        if handler.path != "/oauth2/introspect":
            return 404, [], b""
        if handler.headers.get("Authorization") != self.expected_auth:
            return 401, [("Content-Type", "application/json")], b'{"error":"invalid_client"}'
        token = form.get("token", [""])[0]
        answer = self.tokens.get(token, {"active": False})
        return 200, [("Content-Type", "application/json")], json.dumps(answer).encode()
