#!/usr/bin/python3
"""Helpers of bench/run that are easier in Python than in bash (stdlib only).

  tools.py sign-tokens --key <rsa.pem> --count N --iss I --aud A [--lua <out.lua>]
      Prints N RS256 JWTs (one per line, distinct "sub"); with --lua also writes a wrk script
      that rotates them round-robin. Pure-stdlib RSA (CRT), so 2,000 tokens take seconds,
      not one openssl process per token.
  tools.py idle-conns --port P --path /x --count N --pids "1 2" [--header H]
      Opens N keep-alive connections, sends one complete GET on each (so the server has
      allocated whatever a used connection costs), keeps them idle, and prints
      "<rss_before_kib> <rss_after_kib> <connections_open>" summed over the PIDs.
  tools.py startup --port P --path /health --runs N -- cmd args...
      Starts the command N times and prints the median and minimum time in ms from fork to
      the first 200 answer on 127.0.0.1:P, polling in a tight loop (0.2 ms sleeps).

Every loop is bounded by a count or a deadline; only 127.0.0.1 is ever contacted.
"""

import argparse
import base64
import hashlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

# ------------------------------------------------------------------ RS256 signing


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der_read(buf: bytes, pos: int):
    """Returns (tag, content start, content end) of the DER element at pos."""
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    return tag, pos, pos + length


def rsa_private_numbers(pem_path: str):
    """Parses a PKCS#1 (RFC 8017 A.1.2) or PKCS#8 (RFC 5208) RSA private key."""
    with open(pem_path, "rb") as f:
        text = f.read().decode()
    body = "".join(l for l in text.splitlines() if l and not l.startswith("-----"))
    der = base64.b64decode(body)
    tag, start, end = der_read(der, 0)
    # PKCS#8: SEQUENCE { INTEGER 0, AlgorithmIdentifier SEQUENCE, OCTET STRING { RSAPrivateKey } }
    _, s1, e1 = der_read(der, start)
    t2, s2, e2 = der_read(der, e1)
    if t2 == 0x30:
        t3, s3, e3 = der_read(der, e2)
        der, start, end = der[s3:e3], 0, e3 - s3
        _, start, end = der_read(der, 0)
    ints = []
    pos = start
    while pos < end and len(ints) < 9:
        t, s, e = der_read(der, pos)
        ints.append(int.from_bytes(der[s:e], "big"))
        pos = e
    _, n, e, d, p, q, dp, dq, qinv = ints
    return n, e, d, p, q, dp, dq, qinv


# DigestInfo prefix of SHA-256 for EMSA-PKCS1-v1_5 (RFC 8017 section 9.2, note 1).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def rs256_sign(key, message: bytes) -> bytes:
    n, _, _, p, q, dp, dq, qinv = key
    k = (n.bit_length() + 7) // 8
    t = SHA256_PREFIX + hashlib.sha256(message).digest()
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    m = int.from_bytes(em, "big")
    m1 = pow(m, dp, p)
    m2 = pow(m, dq, q)
    h = (qinv * (m1 - m2)) % p
    return (m2 + h * q).to_bytes(k, "big")


def cmd_sign_tokens(a):
    key = rsa_private_numbers(a.key)
    now = int(time.time())
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "bench-key"},
                               separators=(",", ":")).encode())
    tokens = []
    for i in range(a.count):
        sub = "bench-user@carbon.super" if i == 0 else f"bench-user-{i + 1}@carbon.super"
        payload = {"iss": a.iss, "sub": sub, "aud": a.aud, "iat": now, "nbf": now,
                   "exp": now + a.ttl, "jti": f"bench-{now}-{i}", "scope": "read write"}
        signing_input = header + "." + b64url(json.dumps(payload, separators=(",", ":")).encode())
        tokens.append(signing_input + "." + b64url(rs256_sign(key, signing_input.encode())))
    sys.stdout.write("\n".join(tokens) + "\n")
    if a.lua:
        with open(a.lua, "w") as f:
            f.write("local tokens = {\n")
            for t in tokens:
                f.write(f'  "{t}",\n')
            f.write("}\n")
            # Requests are formatted once per wrk thread; each thread starts at a random
            # offset so the threads do not send the same token at the same time.
            f.write(
                "local reqs, n, i = {}, 0, 0\n"
                "function init(args)\n"
                "  for k, t in ipairs(tokens) do\n"
                "    reqs[k] = wrk.format(nil, nil, { [\"Authorization\"] = \"Bearer \" .. t })\n"
                "  end\n"
                "  n = #reqs\n"
                "  i = math.random(n) - 1\n"
                "end\n"
                "function request()\n"
                "  i = i % n + 1\n"
                "  return reqs[i]\n"
                "end\n")


# ------------------------------------------------------------------ idle connections


def tree_rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def read_response(sock, deadline):
    """Reads one HTTP/1.1 response with Content-Length; returns the status code."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        if time.monotonic() > deadline:
            raise TimeoutError("response head")
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response head")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        if time.monotonic() > deadline:
            raise TimeoutError("response body")
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response body")
        rest += chunk
    return status


def cmd_idle_conns(a):
    pids = [int(p) for p in a.pids.split()]
    before = tree_rss_kib(pids)
    extra = f"{a.header}\r\n" if a.header else ""
    request = (f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1:{a.port}\r\n{extra}\r\n").encode()
    socks = []
    deadline = time.monotonic() + a.timeout
    try:
        for _ in range(a.count):
            if time.monotonic() > deadline:
                break
            s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
            s.sendall(request)
            if read_response(s, deadline) != 200:
                s.close()
                break
            socks.append(s)
        time.sleep(a.settle)
        after = tree_rss_kib(pids)
        print(before, after, len(socks))
    finally:
        for s in socks:
            s.close()


# ------------------------------------------------------------------ start-up time


def poll_once(port, request):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(request)
            return read_response(s, time.monotonic() + 1) == 200
    except (OSError, ValueError, IndexError, TimeoutError, ConnectionError):
        return False


def cmd_startup(a):
    request = f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen(a.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        ok = False
        deadline = t0 + a.timeout
        while time.perf_counter() < deadline:
            if poll_once(a.port, request):
                ok = True
                break
            if proc.poll() is not None:
                break
            time.sleep(0.0002)
        elapsed = (time.perf_counter() - t0) * 1000
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if not ok:
            print("NA NA 0")
            return
        times.append(elapsed)
        time.sleep(0.05)
    print(f"{statistics.median(times):.1f} {min(times):.1f} {len(times)}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sign-tokens")
    s.add_argument("--key", required=True)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--iss", required=True)
    s.add_argument("--aud", required=True)
    s.add_argument("--ttl", type=int, default=86400)
    s.add_argument("--lua")
    s.set_defaults(fn=cmd_sign_tokens)
    s = sub.add_parser("idle-conns")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--path", required=True)
    s.add_argument("--count", type=int, default=5000)
    s.add_argument("--pids", required=True)
    s.add_argument("--header", default="")
    s.add_argument("--settle", type=float, default=1.0)
    s.add_argument("--timeout", type=float, default=60)
    s.set_defaults(fn=cmd_idle_conns)
    s = sub.add_parser("startup")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--path", default="/health")
    s.add_argument("--runs", type=int, default=10)
    s.add_argument("--timeout", type=float, default=10)
    s.add_argument("argv", nargs=argparse.REMAINDER)
    s.set_defaults(fn=cmd_startup)
    a = p.parse_args()
    if getattr(a, "argv", None) and a.argv[0] == "--":
        a.argv = a.argv[1:]
    a.fn(a)


if __name__ == "__main__":
    main()
