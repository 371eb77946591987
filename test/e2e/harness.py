"""End-to-end harness: runs the built `micro-gw` and `gateway` binaries on loopback.

Binaries come from $MGW_BIN_DIR (default: <repo>/build/bin). Every wait here is bounded; every
test case gets its own alarm-based timeout (E2ETestCase.timeout). Gateways are stopped by PID:
SIGTERM, then SIGKILL after a deadline. Their stderr is kept in a temp file and printed when a
test fails.
"""

import atexit
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from backends import NginxBackend, RecordingBackend

REEXPORTED = (NginxBackend, RecordingBackend)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROJECTS = HERE / "projects"

# Exact WSO2 bodies (reference wso2-mgw3.md §5 and the issue text).
NOT_FOUND_BODY = {"code": 404, "type": "Status report", "message": "Runtime Error",
                  "description": "No matching resource found for given API Request"}
METHOD_NOT_ALLOWED_BODY = {"code": 405, "type": "Status report", "message": "Runtime Error",
                           "description": "Method not allowed for given API resource"}
FAULT_BACKEND = {"fault": {"code": 101503, "message": "Runtime Error",
                           "description": "Error connecting to the back end"}}
FAULT_TIMEOUT = {"fault": {"code": 101504, "message": "Runtime Error",
                           "description": "Connection timed out"}}
FAULT_MISSING_CREDENTIALS = {"fault": {
    "code": 900902, "message": "Missing Credentials",
    "description": "Make sure your API request provides required credentials"}}
FAULT_INVALID_CREDENTIALS = {"fault": {
    "code": 900901, "message": "Invalid Credentials",
    "description": "Make sure you have given the correct access token"}}

_TEMP_DIRS = []


def _cleanup_temp_dirs():
    for d in _TEMP_DIRS:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup_temp_dirs)


def temp_dir(prefix="mgw-e2e-"):
    d = tempfile.mkdtemp(prefix=prefix)
    _TEMP_DIRS.append(d)
    return d


def bin_dir():
    return Path(os.environ.get("MGW_BIN_DIR", str(REPO / "build" / "bin")))


def gateway_bin():
    return str(bin_dir() / "gateway")


def microgw_bin():
    return str(bin_dir() / "micro-gw")


def free_port():
    """A loopback port nobody listens on right now (bind 0, read, close)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def inline_endpoint_name(title, version):
    """Runtime name of an inline API-level endpoint, as WSO2: api_<sha256hex(title:version)>."""
    return "api_" + hashlib.sha256(("%s:%s" % (title, version)).encode()).hexdigest()


def hermetic_env(extra=None):
    """The caller's environment minus MGW_* variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MGW_")}
    env.pop("MGW_BIN_DIR", None)
    if extra:
        env.update(extra)
    return env


# --- toolkit ------------------------------------------------------------------------------

class BuildError(Exception):
    pass


def run_microgw(args, cwd=None, timeout=60, env=None):
    """Runs `micro-gw <args>`; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run([microgw_bin()] + [str(a) for a in args], cwd=cwd, env=hermetic_env(env),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)


def copy_project(src_dir, name=None):
    """Copies a fixture project into a fresh temp dir; returns the copy's path."""
    src = Path(src_dir)
    dst = Path(temp_dir()) / (name or src.name)
    shutil.copytree(src, dst)
    return dst


def build_project(src_dir, name=None):
    """Copies `src_dir` to a temp dir and runs `micro-gw build` there -> artifact path."""
    proj = copy_project(src_dir, name)
    res = run_microgw(["build", proj])
    artifact = proj / "target" / (proj.name + ".mgw")
    if res.returncode != 0 or not artifact.is_file():
        raise BuildError("micro-gw build %s failed (exit %d)\nstdout:\n%s\nstderr:\n%s" % (
            proj, res.returncode, res.stdout, res.stderr))
    return artifact


_ARTIFACT_CACHE = {}


def e2e_artifact():
    """The artifact of projects/e2e, built once per test process."""
    if "e2e" not in _ARTIFACT_CACHE:
        _ARTIFACT_CACHE["e2e"] = build_project(PROJECTS / "e2e")
    return _ARTIFACT_CACHE["e2e"]


# --- gateway process ----------------------------------------------------------------------

class GatewayError(Exception):
    pass


_ALL_GATEWAYS = []


class Gateway:
    """Runs `gateway <artifact> --listenerConfig.httpPort=<port> <args>` and waits for /health.

    Use as a context manager, or call start()/stop(). `port=None` picks a free port; pass
    `port_flag=False` to leave the port to a config file or the environment (then give `port`).
    """

    def __init__(self, artifact, args=(), env=None, port=None, port_flag=True,
                 health_deadline=10.0, stop_deadline=20.0, https_port=None, token_port=None,
                 tls_port_flags=True):
        self.artifact = str(artifact)
        self.args = [str(a) for a in args]
        self.env = env or {}
        self.port = port or free_port()
        self.port_flag = port_flag
        # The HTTPS and token listeners (started only with a key store) get free ports too, so
        # parallel gateways never collide on 9095/9096. `tls_port_flags=False` leaves them to
        # the configuration.
        self.https_port = https_port or free_port()
        self.token_port = token_port or free_port()
        self.tls_port_flags = tls_port_flags
        self.health_deadline = health_deadline
        self.stop_deadline = stop_deadline
        self.proc = None
        self.returncode = None
        self.startup_seconds = None
        self._dir = temp_dir("mgw-e2e-gw-")
        self.log_path = os.path.join(self._dir, "gateway.stderr")
        self._log = None

    def command(self):
        cmd = [gateway_bin(), self.artifact]
        if self.port_flag:
            cmd.append("--listenerConfig.httpPort=%d" % self.port)
        if self.tls_port_flags:
            cmd.append("--listenerConfig.httpsPort=%d" % self.https_port)
            cmd.append("--listenerConfig.tokenListenerPort=%d" % self.token_port)
        return cmd + self.args

    def spawn(self):
        """Starts the process without waiting for health."""
        self._log = open(self.log_path, "wb")
        self._t0 = time.monotonic()
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=hermetic_env(self.env))
        _ALL_GATEWAYS.append(self)
        return self

    def start(self):
        self.spawn()
        self.wait_healthy()
        return self

    def wait_healthy(self):
        end = self._t0 + self.health_deadline
        last = None
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise GatewayError("gateway exited with %d before /health answered\ncmd: %s\n%s" % (
                    self.proc.returncode, " ".join(self.command()), self.logs()))
            try:
                resp = http_request(self.port, "GET", "/health", timeout=1.0)
                if resp is not None and resp.status == 200:
                    self.startup_seconds = time.monotonic() - self._t0
                    return resp
                last = resp
            except OSError as e:
                last = e
            time.sleep(0.02)
        self.kill()
        raise GatewayError("gateway /health not 200 within %.0fs (last: %r)\ncmd: %s\n%s" % (
            self.health_deadline, last, " ".join(self.command()), self.logs()))

    def send_signal(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout):
        """Waits for exit; returns the exit code or None on timeout."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, sig=signal.SIGTERM, deadline=None):
        """SIGTERM (or `sig`), wait up to the deadline, then SIGKILL. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            if self.wait(deadline if deadline is not None else self.stop_deadline) is None:
                self.kill()
        self.returncode = self.proc.returncode
        if self._log:
            self._log.close()
            self._log = None
        return self.returncode

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.returncode = self.proc.returncode if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def logs(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def rss_kib(self):
        """VmRSS of the gateway process from /proc/<pid>/status, in KiB."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def run_gateway_expect_exit(args, env=None, timeout=10.0):
    """Runs the gateway expecting it to refuse to start. Returns (exit code, output text);
    kills it and returns (None, output) if it is still running after `timeout`."""
    d = temp_dir("mgw-e2e-gw-")
    log_path = os.path.join(d, "out")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([gateway_bin()] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, env=hermetic_env(env))
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            code = None
    with open(log_path, "rb") as f:
        return code, f.read().decode("utf-8", "replace")


# --- HTTP/1.1 client with an exact parser ---------------------------------------------------

class ProtocolError(Exception):
    pass


class Response:
    def __init__(self):
        self.version = ""
        self.status = 0
        self.reason = ""
        self.headers = []  # [(name, value)]
        self.body = b""
        self.complete = True  # False when the connection ended before the framing said
        self.chunked = False
        self.interim = []  # statuses of 1xx responses received before this one

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def header_tokens(self, name):
        """Comma-separated tokens of all fields `name`, lower-cased."""
        out = []
        for v in self.header_all(name):
            out += [t.strip().lower() for t in v.split(",") if t.strip()]
        return out

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "Response(%d %s, %d body bytes%s)" % (
            self.status, self.reason, len(self.body), "" if self.complete else ", INCOMPLETE")


class _Reader:
    """Buffered reader over a recv callable; tracks EOF and reset."""

    def __init__(self, recv):
        self._recv = recv
        self.buf = bytearray()
        self.eof = False
        self.reset = False

    def fill(self):
        if self.eof:
            return False
        try:
            data = self._recv(262144)
        except ConnectionResetError:
            self.eof = True
            self.reset = True
            return False
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_line(self, limit=1 << 20):
        while True:
            idx = self.buf.find(b"\n")
            if idx >= 0:
                line = bytes(self.buf[:idx + 1])
                del self.buf[:idx + 1]
                return line
            if len(self.buf) > limit:
                raise ProtocolError("line too long")
            if not self.fill():
                return None

    def read_exact(self, n):
        """Up to n bytes; fewer only at EOF."""
        while len(self.buf) < n:
            if not self.fill():
                break
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_all(self):
        while self.fill():
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out


def _read_one(reader, method, resp):
    """Reads one response (status line, headers, body) into resp; returns False at clean EOF
    before any byte."""
    line = reader.read_line()
    if line is None:
        if reader.buf:
            raise ProtocolError("truncated status line %r" % bytes(reader.buf))
        return False
    if not line.endswith(b"\r\n"):
        raise ProtocolError("status line without CRLF %r" % line)
    parts = line[:-2].decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError("bad status line %r" % line)
    resp.version, resp.status = parts[0], int(parts[1])
    resp.reason = parts[2] if len(parts) > 2 else ""
    resp.headers = []
    while True:
        hl = reader.read_line()
        if hl is None:
            raise ProtocolError("connection closed inside the response head")
        if hl == b"\r\n":
            break
        if not hl.endswith(b"\r\n"):
            raise ProtocolError("header line without CRLF %r" % hl)
        name, sep, value = hl[:-2].decode("latin-1").partition(":")
        if not sep or name != name.strip() or not name:
            raise ProtocolError("bad header line %r" % hl)
        resp.headers.append((name, value.strip(" \t")))
    if 100 <= resp.status < 200:
        return True
    if method == "HEAD" or resp.status in (204, 304):
        return True
    te = resp.header_tokens("transfer-encoding")
    cls = resp.header_all("content-length")
    if te:
        if te[-1] != "chunked" or cls:
            raise ProtocolError("bad response framing te=%r cl=%r" % (te, cls))
        resp.chunked = True
        body = bytearray()
        while True:
            sl = reader.read_line()
            if sl is None:
                resp.complete = False
                break
            size_txt = sl.strip().split(b";")[0]
            try:
                size = int(size_txt, 16)
            except ValueError:
                raise ProtocolError("bad chunk size %r" % sl)
            if size == 0:
                while True:
                    tl = reader.read_line()
                    if tl is None:
                        resp.complete = False
                        break
                    if tl == b"\r\n":
                        break
                break
            data = reader.read_exact(size)
            body += data
            if len(data) < size or reader.read_exact(2) != b"\r\n":
                resp.complete = False
                break
        resp.body = bytes(body)
    elif cls:
        if len(set(cls)) != 1 or not cls[0].isdigit():
            raise ProtocolError("bad response content-length %r" % cls)
        n = int(cls[0])
        resp.body = reader.read_exact(n)
        resp.complete = len(resp.body) == n
    else:
        resp.body = reader.read_all()
    return True


def read_response(reader, method="GET", stop_at_interim=False):
    """Reads the next final response (1xx ones are collected in .interim), or None at EOF."""
    interim = []
    while True:
        resp = Response()
        if not _read_one(reader, method, resp):
            return None
        if 100 <= resp.status < 200 and resp.status != 101:
            interim.append(resp.status)
            if stop_at_interim:
                resp.interim = interim
                return resp
            continue
        resp.interim = interim
        return resp


def parse_responses(data, methods=None):
    """All responses in `data` (bytes received on one connection), in order."""
    chunks = [bytes(data)]

    def recv(_n):
        return chunks.pop() if chunks else b""

    reader = _Reader(recv)
    out = []
    i = 0
    while True:
        m = methods[i] if methods and i < len(methods) else "GET"
        resp = read_response(reader, m)
        if resp is None:
            return out
        out.append(resp)
        i += 1


def build_request(method, target, headers=None, body=b"", host="127.0.0.1", version="HTTP/1.1"):
    """Request bytes. `headers`: list of (name, value) or dict. Adds Host unless present or
    host is None, and Content-Length for a body unless a framing header is given."""
    if isinstance(headers, dict):
        headers = list(headers.items())
    headers = list(headers or [])
    names = {k.lower() for k, _ in headers}
    if host is not None and "host" not in names:
        headers.insert(0, ("Host", host))
    if body and "content-length" not in names and "transfer-encoding" not in names:
        headers.append(("Content-Length", str(len(body))))
    if isinstance(body, str):
        body = body.encode()
    head = "%s %s %s\r\n" % (method, target, version)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


class Conn:
    """One client connection to the gateway with an exact response parser. With `tls` (an
    ssl.SSLContext, see tls_client_context) the connection is HTTPS."""

    def __init__(self, port, timeout=10.0, tls=None, server_hostname="localhost"):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname=server_hostname)
        self.reader = _Reader(self.sock.recv)

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, target, headers=None, body=b"", host=None):
        self.send(build_request(method, target, headers, body,
                                host=host or "127.0.0.1:%d" % self.port))
        return self.read_response(method)

    def read_response(self, method="GET", stop_at_interim=False):
        return read_response(self.reader, method, stop_at_interim)

    def closed_within(self, seconds):
        """True if the peer closes (EOF or reset) within `seconds` without sending more bytes;
        False on timeout. Raises ProtocolError if unexpected bytes arrive."""
        self.sock.settimeout(seconds)
        try:
            if self.reader.buf:
                raise ProtocolError("unexpected bytes %r" % bytes(self.reader.buf[:200]))
            if self.reader.fill():
                raise ProtocolError("unexpected bytes %r" % bytes(self.reader.buf[:200]))
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def http_request(port, method, target, headers=None, body=b"", timeout=10.0, host=None):
    """One request on a fresh connection; returns the Response (or None if closed silently)."""
    with Conn(port, timeout) as c:
        return c.request(method, target, headers, body, host)


def tls_client_context(ca_file=None, cert_file=None, key_file=None, check_hostname=True,
                       minimum=None, maximum=None, alpn=None):
    """An ssl.SSLContext for HTTPS requests to the gateway: trusts `ca_file` (else verifies
    nothing), presents `cert_file`/`key_file` as client certificate when given."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_file:
        ctx.load_verify_locations(ca_file)
        ctx.check_hostname = check_hostname
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert_file:
        ctx.load_cert_chain(cert_file, key_file)
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def https_request(port, method, target, tls, headers=None, body=b"", timeout=10.0, host=None,
                  server_hostname="localhost"):
    """One HTTPS request on a fresh connection (`tls` from tls_client_context)."""
    with Conn(port, timeout, tls=tls, server_hostname=server_hostname) as c:
        return c.request(method, target, headers, body, host)


def run_openssl(args, stdin=b"", timeout=15.0):
    """Runs the `openssl` CLI; returns (exit code, combined output text)."""
    p = subprocess.run(["openssl"] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


class TestPki:
    """Certificates minted with the `openssl` CLI in a temp dir: a server CA and server
    certificate (SAN localhost, 127.0.0.1), a client CA, client certificates, and a PEM key
    store / trust store the gateway loads. `client(name, ca=..., days=...)` makes more."""

    def __init__(self):
        self.dir = temp_dir("mgw-e2e-pki-")
        self.server_ca = self.ca("server-ca")
        self.client_ca = self.ca("client-ca")
        self.server_cert, self.server_key = self.leaf(
            "localhost", self.server_ca, san="DNS:localhost,IP:127.0.0.1")
        self.key_store = self.path("keystore.pem")
        with open(self.key_store, "wb") as out:
            for f in (self.server_key, self.server_cert):
                with open(f, "rb") as src:
                    out.write(src.read())
        self.trust_store = self.path("truststore.pem")
        with open(self.trust_store, "wb") as out:
            with open(self.client_ca[0], "rb") as src:
                out.write(src.read())

    def path(self, name):
        return os.path.join(self.dir, name)

    def _run(self, args):
        code, out = run_openssl(args)
        if code != 0:
            raise RuntimeError("openssl %s failed:\n%s" % (" ".join(args), out))

    def ca(self, name):
        cert, key = self.path(name + ".crt"), self.path(name + ".key")
        self._run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                   "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=" + name,
                   "-addext", "basicConstraints=critical,CA:TRUE",
                   "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        return cert, key

    def leaf(self, cn, ca, san=None, days=30, expired=False):
        cert, key, csr = self.path(cn + ".crt"), self.path(cn + ".key"), self.path(cn + ".csr")
        self._run(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                   "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=" + cn])
        ext = self.path(cn + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n")
            if san:
                f.write("subjectAltName=" + san + "\n")
        args = ["x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
                "-out", cert, "-extfile", ext]
        # `-days -1`: notAfter a day before notBefore (now), an expired certificate.
        args += ["-days", "-1" if expired else str(days)]
        self._run(args)
        return cert, key

    def client(self, cn, ca=None, expired=False):
        return self.leaf(cn, ca or self.client_ca, expired=expired)

    def gateway_args(self, trust=True):
        args = ["--listenerConfig.keyStorePath=" + self.key_store,
                "--listenerConfig.keyStorePassword="]
        if trust:
            args += ["--listenerConfig.trustStorePath=" + self.trust_store,
                     "--listenerConfig.trustStorePassword="]
        return args


class RawResult:
    def __init__(self, data, closed, reset, elapsed):
        self.data = data
        self.closed = closed  # the peer closed (FIN or RST) before the read timeout
        self.reset = reset
        self.elapsed = elapsed

    def responses(self, methods=None):
        return parse_responses(self.data, methods)

    def __repr__(self):
        return "RawResult(closed=%s reset=%s %.2fs data=%r)" % (
            self.closed, self.reset, self.elapsed, self.data[:300])


def raw_exchange(port, data, read_timeout=3.0):
    """Sends raw bytes on a new connection and reads until the peer closes or `read_timeout`
    (total) passes."""
    t0 = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    received = bytearray()
    closed = reset = False
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        end = t0 + read_timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = reset = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
    finally:
        sock.close()
    return RawResult(bytes(received), closed, reset, time.monotonic() - t0)


def raw_request(port, data, read_timeout=3.0):
    """Bytes received for raw `data` until the peer closes or `read_timeout` passes."""
    return raw_exchange(port, data, read_timeout).data


def connect_refused(port, timeout=0.5):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=timeout).close()
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


# --- test case base ---------------------------------------------------------------------------

class TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeout("test exceeded its timeout")


ERROR_LINE = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<ptr>/[^:]*): (?P<msg>.+)$")


class E2ETestCase(unittest.TestCase):
    """Per-test alarm timeout; gateway logs printed when a test fails."""

    timeout = 60

    def run(self, result=None):
        if result is None:
            return super().run(result)
        before = len(result.failures) + len(result.errors)
        started = len(_ALL_GATEWAYS)
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(self.timeout)
        try:
            return super().run(result)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
            if len(result.failures) + len(result.errors) > before:
                for i, gw in enumerate(_ALL_GATEWAYS):
                    if i >= started or gw.alive():
                        sys.stderr.write("\n----- gateway log (%s) -----\n%s\n-----\n" % (
                            " ".join(gw.command()), gw.logs()[-6000:]))

    # -- assertions --
    def assertJsonBody(self, resp, expected, status):
        self.assertIsNotNone(resp, "no response")
        self.assertEqual(resp.status, status, "status; body=%r" % resp.body[:500])
        ctype = (resp.header("content-type") or "").lower()
        self.assertTrue(ctype.startswith("application/json"), "content-type %r" % ctype)
        try:
            got = resp.json()
        except ValueError:
            self.fail("body is not JSON: %r" % resp.body[:500])
        self.assertEqual(got, expected)

    def assertFault(self, resp, expected, status=500):
        self.assertJsonBody(resp, expected, status)

    def assertClosedAfter(self, raw):
        self.assertTrue(raw.closed, "connection not closed after the response: %r" % raw)

    def assertBackendUntouched(self, backend, before, settle=0.2):
        time.sleep(settle)
        after = backend.snapshot()
        self.assertEqual(after[0], before[0], "backend received %d bytes: %r" % (
            after[0] - before[0], backend.requests[before[2]:]))

    def assertNoCompleteRequest(self, backend, before, settle=0.3):
        time.sleep(settle)
        new = backend.requests[before[2]:]
        self.assertEqual([r for r in new if r.complete], [],
                         "backend received a complete request")


def echo_json(resp):
    """The backend's JSON echo from a gateway response."""
    try:
        return resp.json()
    except ValueError:
        raise AssertionError("not a backend echo: %r" % resp)


# --- the shared fixture: projects/e2e with recording backends behind every endpoint ---------

SECURITY_EP = inline_endpoint_name("SecurityAPI", "1.0.0")


class GatewayTestCase(E2ETestCase):
    """Builds projects/e2e once, starts recording backends and one gateway whose endpoint URLs
    all point at them:

      main  -> main.url('/backend')          (RoutingAPI, base path /route/1.0.0)
      main2 -> main.url('/legacy-backend')   (LegacyAPI, base path /legacy/v2)
      other -> other.url('/otherbase')       (RoutingAPI GET /other/{x})
      lb    -> lb0.url('/lb'), lb1.url('/lb') (EndpointsAPI /ep/v1/lb, load_balance)
      fo    -> closed port, lb1.url('/fo')   (/ep/v1/fo, failover)
      slow  -> main.url('/slow')             (/ep/v1/slow, timeoutInMillis 1000)
      dead  -> closed port                   (/ep/v1/dead)
      api_<sha256(SecurityAPI:1.0.0)> -> main.url('/sec')  (SecurityAPI, /sec/v1)
    """

    extra_args = ()
    workers = None

    @classmethod
    def endpoint_args(cls):
        closed = "http://127.0.0.1:%d" % cls.closed_port
        return [
            "--main_prod_endpoint_0=" + cls.main.url("/backend"),
            "--main2_prod_endpoint_0=" + cls.main.url("/legacy-backend"),
            "--other_prod_endpoint_0=" + cls.other.url("/otherbase"),
            "--lb_prod_endpoint_0=" + cls.lb0.url("/lb"),
            "--lb_prod_endpoint_1=" + cls.lb1.url("/lb"),
            "--fo_prod_endpoint_0=" + closed + "/fo",
            "--fo_prod_endpoint_1=" + cls.lb1.url("/fo"),
            "--slow_prod_endpoint_0=" + cls.main.url("/slow"),
            "--dead_prod_endpoint_0=" + closed + "/dead",
            "--%s_prod_endpoint_0=%s" % (SECURITY_EP, cls.main.url("/sec")),
        ]

    @classmethod
    def setUpClass(cls):
        cls.artifact = e2e_artifact()
        cls.main = RecordingBackend("main")
        cls.other = RecordingBackend("other")
        cls.lb0 = RecordingBackend("lb0")
        cls.lb1 = RecordingBackend("lb1")
        cls.closed_port = free_port()
        args = cls.endpoint_args() + list(cls.extra_args)
        if cls.workers:
            args += ["--workers", str(cls.workers)]
        cls.gw = Gateway(cls.artifact, args)
        try:
            cls.gw.start()
        except Exception:
            cls._stop_backends()
            raise

    @classmethod
    def _stop_backends(cls):
        for b in (cls.main, cls.other, cls.lb0, cls.lb1):
            b.stop()

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls._stop_backends()

    def setUp(self):
        for b in (self.main, self.other, self.lb0, self.lb1):
            b.mode = "echo"
            b.close_each = False
        self.assertTrue(self.gw.alive(), "gateway died earlier:\n" + self.gw.logs()[-3000:])

    @property
    def port(self):
        return self.gw.port

    def get(self, target, headers=None, method="GET", body=b"", timeout=10.0):
        return http_request(self.port, method, target, headers, body, timeout=timeout)
