"""Streaming with bounded memory (e2e_slow): a 1 GiB download from nginx and a 1 GiB upload pass
through the gateway while its VmRSS stays under 64 MiB."""

import threading
import time
import unittest

from harness import (Conn, E2ETestCase, Gateway, NginxBackend, RecordingBackend, build_request,
                     e2e_artifact, echo_json)

GIB = 1 << 30
RSS_LIMIT_KIB = 64 * 1024


class RssSampler:
    def __init__(self, gw, interval=0.1):
        self.gw = gw
        self.interval = interval
        self.max_kib = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.max_kib = max(self.max_kib, self.gw.rss_kib())
            except OSError:
                return
            self._stop.wait(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(timeout=2)


class StreamingTest(E2ETestCase):
    timeout = 600

    def test_1gib_download_from_nginx(self):
        with NginxBackend() as ngx:
            # RoutingAPI /wild/* -> <endpoint>/wild/...; nginx serves <root>/files/wild/big.bin.
            ngx.make_file("wild/big.bin", GIB)
            with Gateway(e2e_artifact(), ["--main_prod_endpoint_0=" + ngx.url("/files")]) as gw:
                with RssSampler(gw) as rss, Conn(gw.port, timeout=60) as c:
                    t0 = time.monotonic()
                    c.send(build_request("GET", "/route/1.0.0/wild/big.bin", host="h"))
                    status = c.reader.read_line()
                    self.assertIsNotNone(status)
                    self.assertIn(b" 200 ", status, status)
                    length = None
                    while True:
                        h = c.reader.read_line()
                        self.assertIsNotNone(h, "closed inside the response head")
                        if h == b"\r\n":
                            break
                        name, _, value = h.decode("latin-1").partition(":")
                        if name.lower() == "content-length":
                            length = int(value.strip())
                    got = len(c.reader.buf)
                    c.reader.buf.clear()
                    buf = bytearray(1 << 20)
                    while got < GIB:
                        n = c.sock.recv_into(buf)
                        if n == 0:
                            break
                        got += n
                    seconds = time.monotonic() - t0
                self.assertEqual(got, GIB)
                if length is not None:
                    self.assertEqual(length, GIB)
                self.assertLess(rss.max_kib, RSS_LIMIT_KIB, "gateway RSS %d KiB" % rss.max_kib)
                print("1 GiB download: %.1f s, max RSS %d KiB" % (seconds, rss.max_kib))

    def test_1gib_upload(self):
        # nginx `return 200` may answer before reading the body, so the exact byte count is
        # checked with the recording backend, which counts without keeping the body.
        with RecordingBackend("sink") as sink:
            with Gateway(e2e_artifact(), ["--main_prod_endpoint_0=" + sink.url("/up")]) as gw:
                with RssSampler(gw) as rss, Conn(gw.port, timeout=60) as c:
                    t0 = time.monotonic()
                    c.send(build_request("POST", "/route/1.0.0/echo",
                                         [("Content-Length", str(GIB))], host="h"))
                    block = b"u" * (1 << 20)
                    for _ in range(GIB // len(block)):
                        c.sock.sendall(block)
                    r = c.read_response()
                    seconds = time.monotonic() - t0
                self.assertEqual(r.status, 200, r)
                self.assertEqual(echo_json(r)["body_len"], GIB)
                self.assertLess(rss.max_kib, RSS_LIMIT_KIB, "gateway RSS %d KiB" % rss.max_kib)
                print("1 GiB upload: %.1f s, max RSS %d KiB" % (seconds, rss.max_kib))

    def test_1gib_upload_to_nginx(self):
        with NginxBackend() as ngx:
            with Gateway(e2e_artifact(), ["--main_prod_endpoint_0=" + ngx.url("/upload")]) as gw:
                with RssSampler(gw) as rss, Conn(gw.port, timeout=60) as c:
                    c.send(build_request("POST", "/route/1.0.0/echo",
                                         [("Content-Length", str(GIB))], host="h"))
                    block = b"u" * (1 << 20)
                    try:
                        for _ in range(GIB // len(block)):
                            c.sock.sendall(block)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # nginx may answer early and the gateway then close
                    r = c.read_response()
                self.assertIsNotNone(r)
                self.assertEqual(r.status, 200, r)
                self.assertLess(rss.max_kib, RSS_LIMIT_KIB, "gateway RSS %d KiB" % rss.max_kib)


if __name__ == "__main__":
    unittest.main()
