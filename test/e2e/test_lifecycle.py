"""Process lifecycle: /health, SIGTERM/SIGINT drain, refusal to start on a bad artifact, checksum
or config, unknown keys only warn, port from flag / env / config file, quick start."""

import os
import re
import signal
import subprocess
import threading
import time
import unittest
from pathlib import Path

from harness import (PROJECTS, Conn, E2ETestCase, Gateway, RecordingBackend, connect_refused,
                     copy_project, e2e_artifact, echo_json, free_port, http_request,
                     run_gateway_expect_exit, run_microgw, temp_dir)


def write(path, text):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)
    return str(path)


class HealthTest(E2ETestCase):
    def test_health_and_fast_start(self):
        with Gateway(e2e_artifact()) as gw:
            r = http_request(gw.port, "GET", "/health")
            self.assertJsonBody(r, {"status": "healthy"}, 200)
            self.assertLess(gw.startup_seconds, 2.0, "start to first /health too slow")

    def test_health_needs_no_backend_and_no_credentials(self):
        with Gateway(e2e_artifact()) as gw:
            for _ in range(3):
                self.assertEqual(http_request(gw.port, "GET", "/health").status, 200)


class DrainTest(E2ETestCase):
    timeout = 60

    def test_sigterm_drains_in_flight_request(self):
        with RecordingBackend("main") as b:
            gw = Gateway(e2e_artifact(), ["--main_prod_endpoint_0=" + b.url("/backend"),
                                          "--server.shutdownGraceMillis=8000"])
            gw.start()
            try:
                idle = Conn(gw.port)
                self.assertEqual(idle.request("GET", "/route/1.0.0/items/1").status, 200)
                result = {}

                def slow():
                    try:
                        result["resp"] = http_request(
                            gw.port, "GET", "/route/1.0.0/echo",
                            [("X-Backend-Mode", "delay:2500")], timeout=15)
                    except Exception as e:  # reported below
                        result["error"] = e

                t = threading.Thread(target=slow)
                t.start()
                deadline = time.monotonic() + 5
                while len(b.requests) < 2 and time.monotonic() < deadline:
                    time.sleep(0.02)
                self.assertEqual(len(b.requests), 2, "slow request did not reach the backend")
                t_term = time.monotonic()
                gw.send_signal(signal.SIGTERM)
                # The listener closes at once.
                refused = False
                while time.monotonic() - t_term < 1.5:
                    if connect_refused(gw.port, 0.2):
                        refused = True
                        break
                    time.sleep(0.05)
                self.assertTrue(refused, "new connections still accepted after SIGTERM")
                # An idle keep-alive connection is closed during the drain.
                self.assertTrue(idle.closed_within(10), "idle keep-alive not closed")
                idle.close()
                t.join(timeout=15)
                self.assertNotIn("error", result, result)
                resp = result["resp"]
                self.assertEqual(resp.status, 200, resp)
                self.assertEqual(echo_json(resp)["path"], "/backend/echo")
                self.assertIn("close", resp.header_tokens("connection"))
                code = gw.wait(10)
                self.assertEqual(code, 0, "exit code after drain")
                self.assertLess(time.monotonic() - t_term, 8.0 + 1.0)
            finally:
                gw.stop(deadline=5)

    def test_grace_period_bounds_the_drain(self):
        with RecordingBackend("main", mode="never") as b:
            gw = Gateway(e2e_artifact(), ["--main_prod_endpoint_0=" + b.url("/backend"),
                                          "--server.shutdownGraceMillis=1000"])
            gw.start()
            try:
                t = threading.Thread(target=lambda: self._ignore(lambda: http_request(
                    gw.port, "GET", "/route/1.0.0/echo", timeout=10)), daemon=True)
                t.start()
                deadline = time.monotonic() + 5
                while not b.requests and time.monotonic() < deadline:
                    time.sleep(0.02)
                t0 = time.monotonic()
                gw.send_signal(signal.SIGTERM)
                code = gw.wait(8)
                self.assertIsNotNone(code, "gateway did not exit after its grace period")
                self.assertLess(time.monotonic() - t0, 1.0 + 2.0)
                self.assertEqual(code, 0)
            finally:
                gw.stop(deadline=5)

    def test_idle_gateway_exits_quickly_on_sigint(self):
        gw = Gateway(e2e_artifact())
        gw.start()
        t0 = time.monotonic()
        code = gw.stop(sig=signal.SIGINT, deadline=10)
        self.assertEqual(code, 0)
        self.assertLess(time.monotonic() - t0, 2.0)

    @staticmethod
    def _ignore(fn):
        try:
            fn()
        except Exception:
            pass


class RefuseToStartTest(E2ETestCase):
    def assertRefused(self, args, pattern, env=None):
        code, out = run_gateway_expect_exit(args, env=env)
        self.assertIsNotNone(code, "gateway kept running:\n" + out)
        self.assertNotEqual(code, 0, out)
        self.assertRegex(out, re.compile(pattern, re.I | re.S))
        return out

    def port_args(self):
        return ["--listenerConfig.httpPort=%d" % free_port()]

    def test_missing_artifact(self):
        missing = os.path.join(temp_dir(), "nope.mgw")
        self.assertRefused([missing] + self.port_args(), r"nope\.mgw")

    def test_garbage_artifact(self):
        bad = os.path.join(temp_dir(), "garbage.mgw")
        Path(bad).write_bytes(b"this is not an artifact\n" * 10)
        self.assertRefused([bad] + self.port_args(), r"artifact")

    def test_empty_artifact(self):
        bad = os.path.join(temp_dir(), "empty.mgw")
        Path(bad).write_bytes(b"")
        self.assertRefused([bad] + self.port_args(), r"artifact")

    def test_truncated_artifact(self):
        data = Path(e2e_artifact()).read_bytes()
        bad = os.path.join(temp_dir(), "trunc.mgw")
        Path(bad).write_bytes(data[: len(data) // 2])
        self.assertRefused([bad] + self.port_args(), r"artifact|checksum|sha-?256|corrupt|trunc")

    def test_tampered_artifact_checksum(self):
        data = Path(e2e_artifact()).read_bytes()
        if b"RoutingAPI" in data:
            tampered = data.replace(b"RoutingAPI", b"RoutingAPJ", 1)
        else:
            tampered = data[:-10] + bytes([data[-10] ^ 0x01]) + data[-9:]
        bad = os.path.join(temp_dir(), "tampered.mgw")
        Path(bad).write_bytes(tampered)
        self.assertRefused([bad] + self.port_args(),
                           r"checksum|sha-?256|tamper|corrupt|integrity|digest")

    def test_missing_config_file(self):
        missing = os.path.join(temp_dir(), "absent.conf")
        self.assertRefused([e2e_artifact(), "--config", missing] + self.port_args(),
                           r"absent\.conf")

    def test_bad_config_type_in_file(self):
        conf = write(os.path.join(temp_dir(), "bad.conf"),
                     '[listenerConfig]\nmaxUriLength = "long"\n')
        self.assertRefused([e2e_artifact(), "--config", conf] + self.port_args(),
                           r"maxUriLength")

    def test_bad_config_type_in_flag(self):
        self.assertRefused([e2e_artifact(), "--listenerConfig.httpPort=abc"], r"httpPort")

    def test_bad_config_type_in_env(self):
        self.assertRefused([e2e_artifact()] + self.port_args(), r"maxHeaderSize",
                           env={"MGW_LISTENERCONFIG_MAXHEADERSIZE": "big"})

    def test_malformed_toml(self):
        conf = write(os.path.join(temp_dir(), "broken.conf"), "[listenerConfig\nhttpPort = \n")
        self.assertRefused([e2e_artifact(), "--config", conf] + self.port_args(),
                           r"broken\.conf")


class SignatureTest(E2ETestCase):
    """build --sign-key / gateway --verify-key (Ed25519) detect tampering, not only corruption."""

    @classmethod
    def setUpClass(cls):
        d = temp_dir()
        cls.key = os.path.join(d, "sign.pem")
        cls.pub = os.path.join(d, "sign.pub.pem")
        other = os.path.join(d, "other.pem")
        cls.other_pub = os.path.join(d, "other.pub.pem")
        for priv, pub in ((cls.key, cls.pub), (other, cls.other_pub)):
            subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", priv],
                           check=True, capture_output=True, timeout=30)
            subprocess.run(["openssl", "pkey", "-in", priv, "-pubout", "-out", pub],
                           check=True, capture_output=True, timeout=30)
        cls.proj = copy_project(PROJECTS / "e2e")
        r = run_microgw(["build", cls.proj, "--sign-key", cls.key])
        if r.returncode != 0:
            raise AssertionError("signed build failed: " + r.stderr)
        cls.signed = cls.proj / "target" / "e2e.mgw"

    def test_signed_artifact_verifies(self):
        with Gateway(self.signed, ["--verify-key", self.pub]) as gw:
            self.assertEqual(http_request(gw.port, "GET", "/health").status, 200)

    def test_wrong_key_refused(self):
        code, out = run_gateway_expect_exit([self.signed, "--verify-key", self.other_pub,
                                             "--listenerConfig.httpPort=%d" % free_port()])
        self.assertIsNotNone(code, out)
        self.assertNotEqual(code, 0, out)
        self.assertRegex(out.lower(), r"signature")

    def test_unsigned_artifact_refused_when_key_given(self):
        code, out = run_gateway_expect_exit([e2e_artifact(), "--verify-key", self.pub,
                                             "--listenerConfig.httpPort=%d" % free_port()])
        self.assertIsNotNone(code, out)
        self.assertNotEqual(code, 0, out)
        self.assertRegex(out.lower(), r"signature")


class ConfigSourcesTest(E2ETestCase):
    def test_unknown_key_only_warns(self):
        conf = write(os.path.join(temp_dir(), "unknown.conf"),
                     "[listenerConfig]\nfooBarUnknown = 1\n")
        with Gateway(e2e_artifact(), ["--config", conf]) as gw:
            self.assertEqual(http_request(gw.port, "GET", "/health").status, 200)
            time.sleep(0.1)
            self.assertIn("fooBarUnknown".lower(), gw.logs().lower())

    def test_port_from_config_file_lowercase_section(self):
        port = free_port()
        conf = write(os.path.join(temp_dir(), "port.conf"),
                     "[listenerconfig]\nhttpPort = %d\n" % port)
        with Gateway(e2e_artifact(), ["--config", conf], port=port, port_flag=False) as gw:
            self.assertEqual(http_request(gw.port, "GET", "/health").status, 200)

    def test_port_from_environment(self):
        port = free_port()
        with Gateway(e2e_artifact(), env={"MGW_LISTENERCONFIG_HTTPPORT": str(port)},
                     port=port, port_flag=False) as gw:
            self.assertEqual(http_request(gw.port, "GET", "/health").status, 200)

    def test_flag_beats_environment_beats_file(self):
        p_file, p_env, p_flag = free_port(), free_port(), free_port()
        conf = write(os.path.join(temp_dir(), "prec.conf"),
                     "[listenerConfig]\nhttpPort = %d\n" % p_file)
        with Gateway(e2e_artifact(), ["--config", conf],
                     env={"MGW_LISTENERCONFIG_HTTPPORT": str(p_env)}, port=p_flag) as gw:
            self.assertEqual(http_request(gw.port, "GET", "/health").status, 200)
            self.assertTrue(connect_refused(p_env))
            self.assertTrue(connect_refused(p_file))
        with Gateway(e2e_artifact(), ["--config", conf],
                     env={"MGW_LISTENERCONFIG_HTTPPORT": str(p_env)}, port=p_env,
                     port_flag=False) as gw:
            self.assertEqual(http_request(gw.port, "GET", "/health").status, 200)
            self.assertTrue(connect_refused(p_file))

    def test_default_config_under_mgw_conf_dir(self):
        port = free_port()
        conf_dir = temp_dir()
        write(os.path.join(conf_dir, "conf", "micro-gw.conf"),
              "[listenerConfig]\nhttpPort = %d\n" % port)
        with Gateway(e2e_artifact(), env={"MGW_CONF_DIR": conf_dir}, port=port,
                     port_flag=False) as gw:
            self.assertEqual(http_request(gw.port, "GET", "/health").status, 200)

    def test_endpoint_override_in_config_file(self):
        with RecordingBackend("b") as b:
            conf = write(os.path.join(temp_dir(), "ep.conf"),
                         'main_prod_endpoint_0 = "%s"\n' % b.url("/fromconf"))
            with Gateway(e2e_artifact(), ["--config", conf]) as gw:
                r = http_request(gw.port, "GET", "/route/1.0.0/items/1")
                self.assertEqual(echo_json(r)["path"], "/fromconf/items/1")


if __name__ == "__main__":
    unittest.main()
