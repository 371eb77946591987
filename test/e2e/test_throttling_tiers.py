"""Subscription and application tiers from real JWTs, and blocking conditions from the
configuration (issue 5, reference wso2-mgw3.md §4, §5; docs/throttling.md).

Tokens are RS256 JWTs minted with the openssl CLI (as test_security.py) carrying WSO2's
`application` {id, name, owner, tier} and `subscribedAPIs` [{name, version, subscriptionTier}]
claims. Fixture: projects/throttle_global (subscription Sub3 = 3 per minute, Soft2 = 2 per
minute with stopOnQuota false, application App4 = 4 per minute). The per-minute windows are
aligned to the clock; each test uses its own application ids, so the counters never meet, and
steps over a minute edge when fewer than 5 s are left.
"""

import base64
import json
import os
import subprocess
import time
import unittest

from harness import (PROJECTS, E2ETestCase, Gateway, RecordingBackend, build_project,
                     http_request, run_gateway_expect_exit, temp_dir)

ISSUER = "https://localhost:9443/oauth2/token"
AUDIENCE = "http://org.wso2.apimgt/gateway"

BODY_SUBSCRIPTION = (b'{"fault":{"code":900804, "message":"Message throttled out", '
                     b'"description":"You have exceeded your quota"}}')
BODY_APPLICATION = (b'{"fault":{"code":900803, "message":"Message throttled out", '
                    b'"description":"You have exceeded your quota"}}')
BODY_POLICY_MISSING = (b'{"fault":{"code":900809, "message":"Internal server error occured", '
                       b'"description":"POLICY ENFORCEMENT ERROR"}}')
BODY_BLOCKED = (b'{"fault":{"code":900805, "message":"Message blocked", '
                b'"description":"You have been blocked from accesing the resource"}}')

_ARTIFACT = {}


def artifact():
    if "a" not in _ARTIFACT:
        _ARTIFACT["a"] = build_project(PROJECTS / "throttle_global")
    return _ARTIFACT["a"]


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True).stdout


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(key, claims):
    head = {"alg": "RS256", "typ": "JWT"}
    signing_input = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
    return signing_input + "." + b64url(openssl("dgst", "-sha256", "-sign", key,
                                                data=signing_input.encode()))


def avoid_minute_edge(margin=5.0):
    left = 60 - (time.time() % 60)
    if left < margin:
        time.sleep(left + 0.2)


class TierCase(E2ETestCase):
    blocking = ""  # extra TOML appended to the configuration

    @classmethod
    def setUpClass(cls):
        d = temp_dir("mgw-e2e-tiers-")
        cls.key = os.path.join(d, "issuer.key")
        cert = os.path.join(d, "issuer.pem")
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", cls.key, "-out", cert,
                "-days", "2", "-subj", "/CN=wso2carbon")
        cls.conf = os.path.join(d, "micro-gw.conf")
        with open(cls.conf, "w") as f:
            f.write('[listenerConfig]\ntrustStorePath = "%s"\ntrustStorePassword = ""\n\n' % cert)
            f.write('[[jwtTokenConfig]]\nissuer = "%s"\naudience = "%s"\n'
                    'certificateAlias = "wso2carbon"\nvalidateSubscription = false\n\n'
                    % (ISSUER, AUDIENCE))
            f.write(cls.blocking)
        cls.backend = RecordingBackend("tiers")
        cls.gw = Gateway(artifact(), [
            "--config", cls.conf,
            "--glob_prod_endpoint_0=" + cls.backend.url("/glob"),
            "--other_prod_endpoint_0=" + cls.backend.url("/other")])
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def token(self, sub="alice", app=None, subscription=None, tier_name=None):
        now = int(time.time())
        c = {"iss": ISSUER, "sub": sub, "aud": AUDIENCE, "iat": now, "exp": now + 600,
             "jti": "j-%d" % time.monotonic_ns()}
        if app is not None:
            c["application"] = app
        if subscription is not None:
            c["subscribedAPIs"] = [{"name": "GlobalAPI", "version": "v1", "context": "/glob/v1",
                                    "publisher": "admin", "subscriptionTier": subscription,
                                    "subscriberTenantDomain": "carbon.super"}]
        return mint(self.key, c)

    def call(self, token, path="/glob/v1/secured"):
        return http_request(self.gw.port, "GET", path, {"Authorization": "Bearer " + token})

    def assertRefused(self, r, status, body):
        self.assertIsNotNone(r)
        self.assertEqual(r.status, status, r.body)
        self.assertEqual(r.body, body)

    def setUp(self):
        avoid_minute_edge()


def application(app_id, tier="Unlimited", name=None, owner="admin"):
    return {"id": app_id, "uuid": "u-%s" % app_id, "name": name or "App%s" % app_id,
            "owner": owner, "tier": tier}


class SubscriptionTierTest(TierCase):
    def test_subscription_tier_900804_per_application(self):
        tok = self.token(app=application("101"), subscription="Sub3")
        for remaining in (2, 1, 0):
            r = self.call(tok)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.header("RateLimit"),
                             '"Sub3";r=%d;t=%s' % (remaining, r.header("RateLimit").split("t=")[1]))
        self.assertRefused(self.call(tok), 429, BODY_SUBSCRIPTION)
        self.assertIsNotNone(self.call(tok).header("Retry-After"))
        # Another user of the same application shares the subscription counter...
        self.assertRefused(self.call(self.token(sub="bob", app=application("101"),
                                                subscription="Sub3")), 429, BODY_SUBSCRIPTION)
        # ...another application has its own.
        r = self.call(self.token(app=application("102"), subscription="Sub3"))
        self.assertEqual(r.status, 200, r.body)

    def test_stop_on_quota_false_lets_requests_pass(self):
        tok = self.token(app=application("111"), subscription="Soft2")
        for _ in range(5):
            r = self.call(tok)
            self.assertEqual(r.status, 200, r.body)
        self.assertIn('"Soft2";r=0', r.header("RateLimit"))

    def test_tier_without_policy_is_900809(self):
        r = self.call(self.token(app=application("121"), subscription="Platinum"))
        self.assertRefused(r, 500, BODY_POLICY_MISSING)
        self.assertIn("throttling.policy_missing", self.gw.logs())
        r = self.call(self.token(app=application("122", tier="NoSuchAppTier"),
                                 subscription="Unlimited"))
        self.assertRefused(r, 500, BODY_POLICY_MISSING)

    def test_no_subscription_claim_uses_default(self):
        r = self.call(self.token(app=application("131")))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("RateLimit-Policy"), '"Default";q=500;w=60')
        # No application claim at all: the shared `__unknown__` application, still Default.
        r = self.call(self.token())
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("RateLimit-Policy"), '"Default";q=500;w=60')


class ApplicationTierTest(TierCase):
    def test_application_tier_900803_per_user(self):
        app = application("201", tier="App4")
        tok = self.token(app=app, subscription="Unlimited")
        for _ in range(4):
            self.assertEqual(self.call(tok).status, 200)
        self.assertRefused(self.call(tok), 429, BODY_APPLICATION)
        # The application key is <appId>:<username>: another user has their own four.
        other = self.token(sub="bob", app=app, subscription="Unlimited")
        self.assertEqual(self.call(other).status, 200)

    def test_refused_by_application_tier_is_not_counted_in_subscription(self):
        app = application("211", tier="App4")
        tok = self.token(app=app, subscription="Sub3")
        for _ in range(3):
            self.assertEqual(self.call(tok).status, 200)
        self.assertRefused(self.call(tok), 429, BODY_SUBSCRIPTION)


class ConfiguredBlockingTest(TierCase):
    blocking = """
[[throttlingConfig.blockingConditions]]
type = "USER"
value = "mallory"

[[throttlingConfig.blockingConditions]]
type = "APPLICATION"
value = "admin:BadApp"

[[throttlingConfig.blockingConditions]]
type = "API"
value = "/other/v1"

[[throttlingConfig.blockingConditions]]
type = "USER"
value = "trudy"
enabled = false
"""

    def test_user_application_and_api_conditions(self):
        before = len(self.backend.requests)
        r = self.call(self.token(sub="mallory", app=application("301"), subscription="Sub3"))
        self.assertRefused(r, 403, BODY_BLOCKED)
        self.assertEqual(r.header("content-type"), "application/json")
        r = self.call(self.token(app=application("302", name="BadApp"), subscription="Sub3"))
        self.assertRefused(r, 403, BODY_BLOCKED)
        self.assertRefused(http_request(self.gw.port, "GET", "/other/v1/ping"), 403, BODY_BLOCKED)
        time.sleep(0.2)
        self.assertEqual(len(self.backend.requests), before, "a blocked request was forwarded")
        self.assertIn("throttling.blocked", self.gw.logs())
        # Same application name, other owner; a disabled condition; another API: all pass.
        r = self.call(self.token(app=application("303", name="BadApp", owner="carol"),
                                 subscription="Sub3"))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.call(self.token(sub="trudy", app=application("304"),
                                              subscription="Sub3")).status, 200)
        self.assertEqual(http_request(self.gw.port, "GET", "/glob/v1/open").status, 200)

    def test_blocked_requests_are_not_counted(self):
        app = application("311")
        for _ in range(5):
            self.assertRefused(self.call(self.token(sub="mallory", app=app, subscription="Sub3")),
                               403, BODY_BLOCKED)
        for _ in range(3):
            self.assertEqual(self.call(self.token(app=app, subscription="Sub3")).status, 200)


class IpBlockingTest(TierCase):
    blocking = """
[[throttlingConfig.blockingConditions]]
type = "IP"
value = "127.0.0.1"
"""

    def test_client_ip_is_blocked_everywhere(self):
        for path in ("/glob/v1/open", "/glob/v1/limited", "/other/v1/ping"):
            self.assertRefused(http_request(self.gw.port, "GET", path), 403, BODY_BLOCKED)
        self.assertRefused(self.call(self.token(app=application("401"), subscription="Sub3")),
                           403, BODY_BLOCKED)
        self.assertEqual(http_request(self.gw.port, "GET", "/health").status, 200)


class BlockingConfigErrorsTest(E2ETestCase):
    def test_bad_conditions_stop_the_start(self):
        d = temp_dir("mgw-e2e-block-")
        for body, needle in (('type = "HOST"\nvalue = "x"', "HOST"),
                             ('type = "API"\nvalue = ""', "empty value"),
                             ('type = "IP"\nvalue = "10.0.0.0/8"', "IPRANGE"),
                             ('type = "IPRANGE"\nvalue = "10.0.0.300/8"', "IPRANGE"),
                             ('value = "/x"', "type")):
            conf = os.path.join(d, "c.conf")
            with open(conf, "w") as f:
                f.write("[[throttlingConfig.blockingConditions]]\n" + body + "\n")
            code, out = run_gateway_expect_exit([artifact(), "--listenerConfig.httpPort=0",
                                                 "--config", conf])
            self.assertIsNotNone(code, body)
            self.assertNotEqual(code, 0, out)
            self.assertIn("config.bad_value", out)
            self.assertIn("blockingConditions", out)
            self.assertIn(needle, out)


if __name__ == "__main__":
    unittest.main()
