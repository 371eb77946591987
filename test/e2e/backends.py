"""Backends for the end-to-end tests: a recording HTTP/1.1 server that misbehaves on command, and
a real nginx (Debian `nginx-light`) for large streaming transfers.

Both listen on 127.0.0.1 only, on a free port, and are stopped by PID / socket close. Nothing here
retries forever: every loop is bounded by a deadline or by the socket being closed.
"""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

# Bodies larger than this are counted but not kept in memory (1 GiB uploads).
KEEP_BODY_MAX = 1 << 20
HEAD_MAX = 1 << 20


class RecordedRequest:
    """One request as the backend saw it: exact head bytes, parsed fields, body (if small)."""

    def __init__(self, conn_id):
        self.conn_id = conn_id
        self.raw_head = b""
        self.method = ""
        self.target = ""
        self.version = ""
        self.headers = []  # [(name, value)] in arrival order, names as sent
        self.body = b""
        self.body_len = 0
        self.chunked = False
        self.complete = False
        self.error = ""  # why the backend could not parse it, if it could not

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def header_map(self):
        out = {}
        for k, v in self.headers:
            key = k.lower()
            out[key] = out[key] + ", " + v if key in out else v
        return out

    def __repr__(self):
        return "RecordedRequest(conn=%d %s %s complete=%s body_len=%d)" % (
            self.conn_id, self.method, self.target, self.complete, self.body_len)


class _PeerClosed(Exception):
    pass


class _Conn:
    """Buffered reader over one accepted socket; counts every byte into the backend."""

    def __init__(self, backend, sock):
        self.backend = backend
        self.sock = sock
        self.buf = bytearray()

    def fill(self):
        try:
            data = self.sock.recv(262144)
        except OSError:
            data = b""
        if not data:
            raise _PeerClosed()
        self.backend._count(len(data))
        self.buf += data

    def read_head(self):
        while True:
            idx = self.buf.find(b"\r\n\r\n")
            if idx >= 0:
                head = bytes(self.buf[: idx + 4])
                del self.buf[: idx + 4]
                return head
            if len(self.buf) > HEAD_MAX:
                raise ValueError("request head too large")
            self.fill()

    def read_line(self):
        while True:
            idx = self.buf.find(b"\r\n")
            if idx >= 0:
                line = bytes(self.buf[:idx])
                del self.buf[: idx + 2]
                return line
            if len(self.buf) > 65536:
                raise ValueError("line too long")
            self.fill()

    def read_body(self, n, keep, req):
        remaining = n
        while remaining > 0:
            if not self.buf:
                self.fill()
            take = min(remaining, len(self.buf))
            if keep:
                req.body += bytes(self.buf[:take])
            req.body_len += take
            del self.buf[:take]
            remaining -= take


def _parse_head(head, req):
    req.raw_head = head
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].decode("latin-1").split(" ")
    if len(parts) != 3:
        raise ValueError("bad request line %r" % lines[0])
    req.method, req.target, req.version = parts
    for line in lines[1:]:
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise ValueError("bad header line %r" % line)
        req.headers.append((name, value.strip(" \t")))


class RecordingBackend:
    """Threaded HTTP/1.1 server that records the exact bytes of each request it receives and
    answers with a JSON echo {method, path, headers, body_len, backend_id}.

    Behaviour is chosen per request by the `X-Backend-Mode` request header (the gateway forwards
    it), else by the `mode` attribute. Modes: echo, delay:<ms>, never, close, rst, bad_status,
    garbage, cl_te, bad_chunk, huge_headers, truncated, extra_bytes, hop_headers, chunked,
    continue:<n>, status:<code>, big:<bytes>. `close_each` makes echoes end the connection.
    """

    def __init__(self, backend_id="backend", mode="echo", close_each=False):
        self.backend_id = backend_id
        self.mode = mode
        # Answer echoes with `Connection: close` and close, as a backend without keep-alive.
        self.close_each = close_each
        self._lock = threading.Lock()
        self.requests = []  # complete and incomplete RecordedRequest, in arrival order
        self.bytes_received = 0
        self.connections = 0
        self._stop = threading.Event()
        self._socks = set()
        self._threads = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept_thread.start()

    # --- public helpers -------------------------------------------------------------------
    def url(self, path="/backend"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def snapshot(self):
        """(bytes_received, connections, number of requests) for before/after comparisons."""
        with self._lock:
            return self.bytes_received, self.connections, len(self.requests)

    def complete_requests(self):
        with self._lock:
            return [r for r in self.requests if r.complete]

    def last(self):
        with self._lock:
            return self.requests[-1] if self.requests else None

    def reset(self):
        with self._lock:
            self.requests = []

    def stop(self):
        self._stop.set()
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=2)
        self._accept_thread.join(timeout=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- internals ------------------------------------------------------------------------
    def _count(self, n):
        with self._lock:
            self.bytes_received += n

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                conn_id = self.connections
                self._socks.add(sock)
            t = threading.Thread(target=self._serve, args=(sock, conn_id), daemon=True)
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
            t.start()

    def _serve(self, sock, conn_id):
        conn = _Conn(self, sock)
        try:
            while not self._stop.is_set():
                req = RecordedRequest(conn_id)
                try:
                    head = conn.read_head()
                except _PeerClosed:
                    return
                with self._lock:
                    self.requests.append(req)
                try:
                    _parse_head(head, req)
                except ValueError as e:
                    req.error = str(e)
                    return
                mode = req.header("x-backend-mode") or self.mode
                if not self._read_body(conn, req):
                    return
                req.complete = True
                if not self._respond(sock, conn, req, mode):
                    return
                conn_hdr = (req.header("connection") or "").lower()
                if "close" in conn_hdr:
                    return
        except (_PeerClosed, OSError, ValueError):
            return
        finally:
            with self._lock:
                self._socks.discard(sock)
            try:
                sock.close()
            except OSError:
                pass

    def _read_body(self, conn, req):
        te = (req.header("transfer-encoding") or "").lower()
        cl = req.header("content-length")
        expect = (req.header("expect") or "").lower()
        if expect == "100-continue" and (te or (cl and cl != "0")):
            conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if te:
            if te != "chunked":
                req.error = "unsupported transfer-encoding %r" % te
                return False
            req.chunked = True
            while True:
                line = conn.read_line()
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while conn.read_line() != b"":
                        pass
                    return True
                conn.read_body(size, req.body_len + size <= KEEP_BODY_MAX, req)
                if conn.read_line() != b"":
                    req.error = "missing CRLF after chunk"
                    return False
        if cl is not None:
            n = int(cl)
            conn.read_body(n, n <= KEEP_BODY_MAX, req)
        return True

    def _echo(self, req):
        return json.dumps({
            "method": req.method,
            "path": req.target,
            "headers": req.header_map(),
            "header_list": req.headers,
            "body_len": req.body_len,
            "backend_id": self.backend_id,
            "conn_id": req.conn_id,
        }).encode()

    def _sleep(self, seconds):
        self._stop.wait(seconds)

    def _respond(self, sock, conn, req, mode):
        """Sends the answer for `mode`; returns False when the connection must end."""
        name, _, arg = mode.partition(":")
        body = self._echo(req)
        ok_head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        head_only = req.method == "HEAD"

        def send_echo(status=b"200 OK"):
            out = (b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                   + (b"Connection: close\r\n" if self.close_each else b"")
                   + b"Content-Length: %d\r\n\r\n" % len(body))
            sock.sendall(out if head_only else out + body)
            return not self.close_each

        if name == "echo" or name == "sink":
            return send_echo()
        elif name == "delay":
            self._sleep(int(arg or "1000") / 1000.0)
            return send_echo()
        elif name == "never":
            # Hold the request unanswered until the gateway gives up or the backend stops.
            sock.settimeout(0.2)
            deadline = time.monotonic() + 120
            while not self._stop.is_set() and time.monotonic() < deadline:
                try:
                    if sock.recv(65536) == b"":
                        return False
                except socket.timeout:
                    continue
                except OSError:
                    return False
            return False
        elif name == "close":
            return False
        elif name == "rst":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        elif name == "bad_status":
            sock.sendall(b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok")
        elif name == "garbage":
            sock.sendall(b"hello there, this is not http\r\n\r\n")
        elif name == "cl_te":
            sock.sendall(ok_head + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"5\r\nhello\r\n0\r\n\r\n")
        elif name == "bad_chunk":
            sock.sendall(ok_head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
        elif name == "huge_headers":
            big = b"X-Big-%d: " % 0 + b"a" * 131072 + b"\r\n"
            sock.sendall(ok_head + big + b"Content-Length: 2\r\n\r\nok")
        elif name == "truncated":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         b"Content-Length: 1048576\r\n\r\n" + b"t" * 1000)
            time.sleep(0.05)
            return False
        elif name == "extra_bytes":
            sock.sendall(ok_head + b"Content-Length: 5\r\n\r\nhello"
                         b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsmuggle")
        elif name == "hop_headers":
            sock.sendall(ok_head + b"Connection: X-Resp-Hop\r\nX-Resp-Hop: secret\r\n"
                         b"Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n"
                         b"X-Resp-E2E: kept\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        elif name == "chunked":
            out = ok_head + b"Transfer-Encoding: chunked\r\n\r\n"
            if not head_only:
                third = max(1, len(body) // 3)
                for i in range(0, len(body), third):
                    piece = body[i: i + third]
                    out += b"%x\r\n" % len(piece) + piece + b"\r\n"
                out += b"0\r\n\r\n"
            sock.sendall(out)
        elif name == "continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" * int(arg or "1"))
            return send_echo()
        elif name == "status":
            code = int(arg or "200")
            if code in (204, 304) or code < 200:
                extra = b"ETag: \"e2e\"\r\n" if code == 304 else b""
                sock.sendall(b"HTTP/1.1 %d Status\r\n" % code + extra + b"\r\n")
            else:
                return send_echo(b"%d Status" % code)
        elif name == "big":
            n = int(arg or "1048576")
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         b"Content-Length: %d\r\n\r\n" % n)
            chunk = b"b" * 65536
            sent = 0
            while sent < n and not head_only:
                piece = chunk[: min(65536, n - sent)]
                sock.sendall(piece)
                sent += len(piece)
        else:
            sock.sendall(b"HTTP/1.1 599 Unknown Mode\r\nContent-Length: 0\r\n\r\n")
        return True


class NginxBackend:
    """A real nginx (nginx-light) in a temp prefix: `daemon off; master_process off;`, listening
    on a free loopback port. Serves files placed under `root` (see `make_file`) at `/files/...`
    and accepts uploads at `/upload` with `return 200`. Stopped by PID."""

    def __init__(self):
        self.prefix = tempfile.mkdtemp(prefix="mgw-e2e-nginx-")
        self.root = os.path.join(self.prefix, "www")
        os.makedirs(os.path.join(self.root, "files"))
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            os.makedirs(os.path.join(self.prefix, d))
        self.port = None
        self.proc = None
        self.log_path = os.path.join(self.prefix, "nginx.stderr")

    def make_file(self, name, size):
        """A sparse file of `size` zero bytes: instant to create, real bytes to nginx."""
        path = os.path.join(self.root, "files", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.truncate(size)
        return "/files/" + name

    def start(self, deadline=10.0):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        p = self.prefix
        conf = f"""
daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid {p}/nginx.pid;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {p}/client_body;
  proxy_temp_path {p}/proxy;
  fastcgi_temp_path {p}/fastcgi;
  uwsgi_temp_path {p}/uwsgi;
  scgi_temp_path {p}/scgi;
  default_type application/octet-stream;
  sendfile on;
  server {{
    listen 127.0.0.1:{self.port};
    root {self.root};
    location /files/ {{ }}
    location /upload {{
      client_max_body_size 0;
      return 200 "uploaded\\n";
    }}
  }}
}}
"""
        conf_path = os.path.join(p, "nginx.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["nginx", "-p", p, "-c", conf_path, "-e", "stderr"],
                                     stdout=self._log, stderr=self._log)
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: " + open(self.log_path, errors="replace").read())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start listening within %.0fs" % deadline)

    def url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if hasattr(self, "_log"):
            self._log.close()
        shutil.rmtree(self.prefix, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
