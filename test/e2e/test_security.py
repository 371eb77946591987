"""Authentication wired into the gateway (issue 4, reference wso2-mgw3.md §3, §5, §9).

Basic authentication against the `[b7a.users]` store of a micro-gw.conf written by the test:
SHA-1 and `@sha256:{hex}` users (hashes computed here with hashlib), wrong password, no colon,
lowercase `basic`, any-of resource scopes (403 900910), a Bearer token on a Basic-only resource,
a custom x-wso2-auth-header, and removal of the credential before forwarding
(`[authConfig] removeAuthHeaderFromOutMessage`). OAuth2-only resources still fail closed.

JWTs (`[[jwtTokenConfig]]` with certificateAlias): an RSA key and its certificate are made with
the `openssl` CLI, the certificate is the PEM trust store of `[listenerConfig] trustStorePath`,
and tokens are signed (RS256) with `openssl dgst`: valid → 200, expired, tampered, other key,
unknown issuer, JWKS-only issuer → 401 900901; missing scope → 403 900910; not subscribed with
validateSubscription → 403 900908; a bad trust store stops the start.

Attack catalogue §6 row 16: two Authorization fields → 401 900901 every time; a token in the
query string is ignored (900902). mTLS and application security (projects/security_mtls, PKI
from harness.TestPki): with `optional: true` a listed client certificate alone passes (OR),
otherwise certificate and token are both needed (AND).

Fixture: projects/security (BasicAPI /basic/v1, CustomHeaderAPI /custom/v1).
"""

import base64
import hashlib
import json
import os
import subprocess
import time
import unittest

from harness import (PROJECTS, E2ETestCase, Gateway, RecordingBackend, TestPki, build_project,
                     echo_json, http_request, https_request, run_gateway_expect_exit, temp_dir,
                     tls_client_context)

REALM = 'Basic Auth realm="WSO2 API Microgateway"'
WSO2_ERROR = ', error="invalid token" , error_description="The access token expired"'
CHALLENGE_BASIC = REALM + WSO2_ERROR
CHALLENGE_BOTH = 'OAuth2 realm="WSO2 API Microgateway", ' + REALM + WSO2_ERROR

# Exact WSO2 bodies (Ballerina's ", " separators), compared byte for byte.
BODY_INVALID_BASIC = (b'{"fault":{"code":900911, "message":"Invalid Credentials", '
                      b'"description":"Make sure you have given the correct username and '
                      b'password"}}')
BODY_INVALID_FORMAT = (b'{"fault":{"code":900912, "message":"Invalid Format", '
                       b'"description":"Make sure you have given the credentials in correct '
                       b'format with \\":\\" character"}}')
BODY_SCOPE = (b'{"fault":{"code":900910, "message":"The access token does not allow you to '
              b'access the requested resource", "description":"The access token does not allow '
              b'you to access the requested resource"}}')
BODY_MISSING = (b'{"fault":{"code":900902, "message":"Missing Credentials", '
                b'"description":"Make sure your API request provides required credentials"}}')
BODY_NOT_SUBSCRIBED = (b'{"fault":{"code":900908, "message":"Resource forbidden ", '
                       b'"description":"Resource forbidden . Unclassified Authentication '
                       b'Failure"}}')
CHALLENGE_OAUTH = 'OAuth2 realm="WSO2 API Microgateway"' + WSO2_ERROR
BODY_INVALID_TOKEN = (b'{"fault":{"code":900901, "message":"Invalid Credentials", '
                      b'"description":"Make sure you have given the correct access token"}}')

_ARTIFACT = {}


def security_artifact():
    if "a" not in _ARTIFACT:
        _ARTIFACT["a"] = build_project(PROJECTS / "security")
    return _ARTIFACT["a"]


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def sha1_hex(password):
    return hashlib.sha1(password.encode()).hexdigest()


def sha256_hex(password):
    return hashlib.sha256(password.encode()).hexdigest()


def write_conf(extra=""):
    path = os.path.join(temp_dir("mgw-e2e-sec-"), "micro-gw.conf")
    with open(path, "w") as f:
        f.write('[b7a.users.generalUser1]\npassword = "%s"\nscopes = "read"\n\n'
                % sha1_hex("password1"))
        f.write('[b7a.users.shaUser]\npassword = "@sha256:{%s}"\nscopes = "admin,read"\n\n'
                % sha256_hex("s3cret:with:colons"))
        f.write('[b7a.users.noScopes]\npassword = "%s"\n\n' % sha1_hex("plain"))
        f.write(extra)
    return path


class BasicAuthCase(E2ETestCase):
    conf_extra = ""

    @classmethod
    def setUpClass(cls):
        cls.backend = RecordingBackend("sec")
        cls.gw = Gateway(security_artifact(), [
            "--config", write_conf(cls.conf_extra),
            "--basic_prod_endpoint_0=" + cls.backend.url("/be"),
            "--custom_prod_endpoint_0=" + cls.backend.url("/custom"),
        ])
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def get(self, target, auth=None, name="Authorization"):
        headers = [(name, auth)] if auth is not None else []
        return http_request(self.gw.port, "GET", target, headers)

    def assertRefused(self, resp, status, body, challenge):
        self.assertEqual(resp.status, status, resp)
        self.assertEqual(resp.body, body)
        self.assertEqual(resp.header("www-authenticate"), challenge)


class BasicAuthTest(BasicAuthCase):
    def test_sha1_user_passes_and_header_removed(self):
        r = self.get("/basic/v1/open", basic("generalUser1", "password1"))
        self.assertEqual(r.status, 200, r)
        echo = echo_json(r)
        self.assertEqual(echo["path"], "/be/open")
        self.assertNotIn("authorization", echo["headers"])

    def test_sha256_user_password_with_colons(self):
        r = self.get("/basic/v1/admin", basic("shaUser", "s3cret:with:colons"))
        self.assertEqual(r.status, 200, r)

    def test_user_name_case_insensitive_and_lowercase_scheme(self):
        value = "basic " + base64.b64encode(b"GENERALUSER1:password1").decode()
        self.assertEqual(self.get("/basic/v1/open", value).status, 200)

    def test_wrong_password_401_900911(self):
        before = self.backend.snapshot()
        for value in (basic("generalUser1", "wrong"), basic("nobody", "password1"),
                      basic("generalUser1", ""), basic("generalUser1", " "), basic("", "x")):
            self.assertRefused(self.get("/basic/v1/open", value), 401, BODY_INVALID_BASIC,
                               CHALLENGE_BASIC)
        self.assertBackendUntouched(self.backend, before)

    def test_no_colon_or_bad_base64_401_900912(self):
        before = self.backend.snapshot()
        for value in ("Basic " + base64.b64encode(b"generalUser1password1").decode(),
                      "Basic !!!notbase64"):
            self.assertRefused(self.get("/basic/v1/open", value), 401, BODY_INVALID_FORMAT,
                               CHALLENGE_BASIC)
        self.assertBackendUntouched(self.backend, before)

    def test_missing_credentials_401_900902_without_challenge(self):
        r = self.get("/basic/v1/open")
        self.assertEqual((r.status, r.body), (401, BODY_MISSING))
        self.assertIsNone(r.header("www-authenticate"))

    def test_bearer_on_basic_only_resource_401(self):
        before = self.backend.snapshot()
        for value in ("Bearer aaa.bbb.ccc", "Digest x", "garbage"):
            self.assertRefused(self.get("/basic/v1/open", value), 401, BODY_INVALID_TOKEN,
                               CHALLENGE_BASIC)
        self.assertBackendUntouched(self.backend, before)

    def test_scopes_any_of(self):
        self.assertEqual(self.get("/basic/v1/read", basic("generalUser1", "password1")).status,
                         200)
        self.assertEqual(self.get("/basic/v1/read", basic("shaUser", "s3cret:with:colons")).status,
                         200)
        before = self.backend.snapshot()
        for user, pw in (("generalUser1", "password1"), ("noScopes", "plain")):
            r = self.get("/basic/v1/admin", basic(user, pw))
            self.assertEqual((r.status, r.body), (403, BODY_SCOPE), user)
        self.assertBackendUntouched(self.backend, before)

    def test_basic_or_oauth_resource(self):
        self.assertEqual(self.get("/basic/v1/either", basic("noScopes", "plain")).status, 200)
        r = self.get("/basic/v1/either", basic("noScopes", "nope"))
        self.assertRefused(r, 401, BODY_INVALID_BASIC, CHALLENGE_BOTH)
        # Bearer tokens are not verified yet: fail closed.
        r = self.get("/basic/v1/either", "Bearer aaa.bbb.ccc")
        self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN))

    def test_oauth_only_resource_still_fails_closed(self):
        before = self.backend.snapshot()
        r = self.get("/basic/v1/oauth", basic("generalUser1", "password1"))
        self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN))
        self.assertBackendUntouched(self.backend, before)

    def test_disabled_security_passes(self):
        self.assertEqual(self.get("/basic/v1/public").status, 200)

    def test_custom_auth_header(self):
        good = basic("generalUser1", "password1")
        r = self.get("/custom/v1/res", good, name="auth")
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("auth", echo_json(r)["headers"])
        # The credential in Authorization instead of the API's header is missing (WSO2 §9).
        r = self.get("/custom/v1/res", good)
        self.assertEqual((r.status, r.body), (401, BODY_MISSING))

    def test_oversized_and_garbage_values_never_pass(self):
        for value in ("Basic " + "A" * 5000, "Basic ", "Basic", "Basic ===", "Basic \x01"):
            r = self.get("/basic/v1/open", value)
            self.assertIn(r.status, (400, 401), (value[:20], r))
        self.assertTrue(self.gw.alive())


class KeepAuthHeaderTest(BasicAuthCase):
    conf_extra = "[authConfig]\nremoveAuthHeaderFromOutMessage = false\n"

    def test_header_forwarded_when_configured(self):
        value = basic("generalUser1", "password1")
        r = self.get("/basic/v1/open", value)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["headers"].get("authorization"), value)


class BadUserStoreTest(E2ETestCase):
    def test_bad_password_hash_stops_start(self):
        path = os.path.join(temp_dir("mgw-e2e-sec-"), "micro-gw.conf")
        with open(path, "w") as f:
            f.write('[b7a.users.broken]\npassword = "not-a-hash"\n')
        code, out = run_gateway_expect_exit([security_artifact(), "--config", path,
                                             "--listenerConfig.httpPort=0"])
        self.assertIsNotNone(code, out)
        self.assertNotEqual(code, 0, out)
        self.assertIn("b7a.users.broken", out)
        self.assertNotIn("not-a-hash", out)


# --- JWT -------------------------------------------------------------------------------------

ISSUER = "https://localhost:9443/oauth2/token"
SUB_ISSUER = "https://subscriptions.example/token"
JWKS_ISSUER = "https://jwks.example/token"
AUDIENCE = "http://org.wso2.apimgt/gateway"


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True).stdout


def make_key(directory, name, cn):
    key = os.path.join(directory, name + ".key")
    cert = os.path.join(directory, name + ".pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
            "-days", "2", "-subj", "/CN=" + cn)
    return key, cert


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(key, claims, header=None):
    head = {"alg": "RS256", "typ": "JWT"}
    head.update(header or {})
    signing_input = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = openssl("dgst", "-sha256", "-sign", key, data=signing_input.encode())
    return signing_input + "." + b64url(sig)


def claims(**over):
    now = int(time.time())
    c = {"iss": ISSUER, "sub": "admin", "aud": AUDIENCE, "iat": now, "exp": now + 600,
         "scope": "read", "jti": "j-%d" % time.monotonic_ns()}
    c.update(over)
    return c


class JwtCase(E2ETestCase):
    @classmethod
    def setUpClass(cls):
        d = temp_dir("mgw-e2e-jwt-")
        cls.key, cls.cert = make_key(d, "issuer", "wso2carbon")
        cls.other_key, _ = make_key(d, "other", "stranger")
        cls.conf = os.path.join(d, "micro-gw.conf")
        with open(cls.conf, "w") as f:
            f.write('[listenerConfig]\ntrustStorePath = "%s"\ntrustStorePassword = ""\n\n'
                    % cls.cert)
            f.write('[[jwtTokenConfig]]\nissuer = "%s"\naudience = "%s"\n'
                    'certificateAlias = "wso2carbon"\nvalidateSubscription = false\n\n'
                    % (ISSUER, AUDIENCE))
            f.write('[[jwtTokenConfig]]\nissuer = "%s"\ncertificateAlias = "wso2carbon"\n'
                    'validateSubscription = true\n\n' % SUB_ISSUER)
            f.write('[[jwtTokenConfig]]\nissuer = "%s"\njwksURL = "https://jwks.example/keys"'
                    '\n\n' % JWKS_ISSUER)
        cls.backend = RecordingBackend("jwt")
        cls.gw = Gateway(security_artifact(), [
            "--config", cls.conf,
            "--basic_prod_endpoint_0=" + cls.backend.url("/be"),
            "--custom_prod_endpoint_0=" + cls.backend.url("/custom"),
        ])
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def call(self, token, target="/basic/v1/oauth"):
        return http_request(self.gw.port, "GET", target, [("Authorization", "Bearer " + token)])

    def assertInvalid(self, token, target="/basic/v1/oauth"):
        before = self.backend.snapshot()
        r = self.call(token, target)
        self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN), token[:60])
        self.assertEqual(r.header("www-authenticate"), CHALLENGE_OAUTH)
        self.assertBackendUntouched(self.backend, before)


class JwtTest(JwtCase):
    def test_valid_token_200_and_header_removed(self):
        token = mint(self.key, claims())
        for _ in range(2):  # second call is a token-cache hit
            r = self.call(token)
            self.assertEqual(r.status, 200, r)
            self.assertNotIn("authorization", echo_json(r)["headers"])
        r = http_request(self.gw.port, "GET", "/basic/v1/oauth",
                         [("Authorization", "bearer " + token)])
        self.assertEqual(r.status, 200, r)

    def test_expired_401(self):
        now = int(time.time())
        self.assertInvalid(mint(self.key, claims(iat=now - 3600, exp=now - 600)))

    def test_tampered_401(self):
        token = mint(self.key, claims())
        head, payload, sig = token.split(".")
        forged = b64url(json.dumps(claims(scope="admin", sub="root")).encode())
        self.assertInvalid(head + "." + forged + "." + sig)
        # The good token still passes after the forged one (no signature-only cache key).
        self.assertEqual(self.call(token).status, 200)

    def test_other_key_401(self):
        self.assertInvalid(mint(self.other_key, claims()))

    def test_wrong_issuer_and_audience_401(self):
        self.assertInvalid(mint(self.key, claims(iss="https://evil.example/token")))
        self.assertInvalid(mint(self.key, claims(aud="someone-else")))

    def test_alg_none_and_garbage_401(self):
        head = b64url(b'{"alg":"none","typ":"JWT"}')
        self.assertInvalid(head + "." + b64url(json.dumps(claims()).encode()) + ".")
        for junk in ("x", "aaa.bbb.ccc", "a." * 3000 + "a", ""):
            self.assertInvalid(junk)

    def test_jwks_issuer_fails_closed(self):
        self.assertInvalid(mint(self.key, claims(iss=JWKS_ISSUER)))

    def test_missing_scope_403_900910(self):
        before = self.backend.snapshot()
        r = self.call(mint(self.key, claims(scope="read write")), "/basic/v1/oauth-admin")
        self.assertEqual((r.status, r.body), (403, BODY_SCOPE))
        self.assertBackendUntouched(self.backend, before)
        r = self.call(mint(self.key, claims(scope="read admin")), "/basic/v1/oauth-admin")
        self.assertEqual(r.status, 200, r)

    def test_subscription(self):
        before = self.backend.snapshot()
        other = [{"name": "OtherAPI", "version": "v1", "context": "/other/v1"},
                 {"name": "BasicAPI", "version": "v2", "context": "/basic/v2"}]
        r = self.call(mint(self.key, claims(iss=SUB_ISSUER, subscribedAPIs=other)))
        self.assertEqual((r.status, r.body), (403, BODY_NOT_SUBSCRIBED))
        r = self.call(mint(self.key, claims(iss=SUB_ISSUER)))
        self.assertEqual((r.status, r.body), (403, BODY_NOT_SUBSCRIBED))
        self.assertBackendUntouched(self.backend, before)
        mine = other + [{"name": "BasicAPI", "version": "v1", "context": "/basic/v1"}]
        r = self.call(mint(self.key, claims(iss=SUB_ISSUER, subscribedAPIs=mine)))
        self.assertEqual(r.status, 200, r)

    def test_jwt_on_basic_only_resource_401(self):
        before = self.backend.snapshot()
        r = self.call(mint(self.key, claims()), "/basic/v1/open")
        self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN))
        self.assertBackendUntouched(self.backend, before)

    def test_basic_or_oauth_resource_accepts_jwt(self):
        self.assertEqual(self.call(mint(self.key, claims()), "/basic/v1/either").status, 200)

    def test_attack_row16_two_authorization_fields_refused(self):
        # Attack catalogue §6 row 16: ambiguous credentials are refused the same way every time.
        token = mint(self.key, claims())
        for _ in range(3):
            before = self.backend.snapshot()
            r = http_request(self.gw.port, "GET", "/basic/v1/oauth",
                             [("Authorization", "Bearer " + token),
                              ("Authorization", "Bearer " + token)])
            self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN))
            self.assertBackendUntouched(self.backend, before)

    def test_attack_row16_token_in_query_ignored(self):
        token = mint(self.key, claims())
        r = http_request(self.gw.port, "GET", "/basic/v1/oauth?access_token=" + token)
        self.assertEqual((r.status, r.body), (401, BODY_MISSING))


class SecretsNeverLoggedTest(E2ETestCase):
    """Issue 4: passwords and tokens never appear in the logs, at DEBUG level, whether the
    credentials are accepted or refused."""

    @classmethod
    def setUpClass(cls):
        d = temp_dir("mgw-e2e-jwt-")
        cls.key, cert = make_key(d, "issuer", "wso2carbon")
        conf = write_conf('[b7a.log]\nlevel = "DEBUG"\n\n'
                          '[listenerConfig]\ntrustStorePath = "%s"\ntrustStorePassword = ""\n\n'
                          '[[jwtTokenConfig]]\nissuer = "%s"\naudience = "%s"\n'
                          'certificateAlias = "wso2carbon"\n\n' % (cert, ISSUER, AUDIENCE))
        cls.backend = RecordingBackend("secrets")
        cls.gw = Gateway(security_artifact(), [
            "--config", conf, "--basic_prod_endpoint_0=" + cls.backend.url("/be")])
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def test_tokens_and_passwords_stay_out_of_the_logs(self):
        good = mint(self.key, claims())
        now = int(time.time())
        expired = mint(self.key, claims(iat=now - 3600, exp=now - 600))
        sent = []
        for token, want in ((good, 200), (expired, 401), (good + "x", 401)):
            r = http_request(self.gw.port, "GET", "/basic/v1/oauth",
                             [("Authorization", "Bearer " + token)])
            self.assertEqual(r.status, want, r)
            sent.append(token)
        for creds, want in (("generalUser1:password1", 200), ("generalUser1:wrongpass9", 401)):
            value = base64.b64encode(creds.encode()).decode()
            r = http_request(self.gw.port, "GET", "/basic/v1/open",
                             [("Authorization", "Basic " + value)])
            self.assertEqual(r.status, want, r)
            sent += [value, creds.split(":", 1)[1]]
        logs = self.gw.logs()
        self.assertRegex(logs, r"Z debug ")  # the level really was DEBUG
        for secret in sent:
            for piece in secret.split("."):
                if len(piece) >= 8:
                    self.assertNotIn(piece, logs)


class MtlsAppSecurityTest(E2ETestCase):
    """x-wso2-mutual-ssl: mandatory with x-wso2-application-security optional (mTLS OR app
    security: the mTLS filter's AuthContext is enough) or not (mTLS AND app security)."""

    @classmethod
    def setUpClass(cls):
        cls.pki = TestPki()
        cls.alice = cls.pki.client("alice")
        cls.key, cert = make_key(cls.pki.dir, "issuer", "wso2carbon")
        with open(cls.pki.trust_store, "ab") as out, open(cert, "rb") as src:
            out.write(src.read())
        conf = os.path.join(cls.pki.dir, "micro-gw.conf")
        with open(conf, "w") as f:
            f.write('[mutualSSLConfig]\n  sslVerifyClient = "optional"\n')
            for name in ("MtlsOrAPI", "MtlsAndAPI"):
                f.write('  [[mutualSSLConfig.api.certificates]]\n    name = "%s"\n'
                        '    version = "v1"\n    aliasList = "client-ca"\n' % name)
            f.write('\n[[jwtTokenConfig]]\nissuer = "%s"\ncertificateAlias = "wso2carbon"\n'
                    % ISSUER)
        cls.backend = RecordingBackend("mtls-app")
        cls.gw = Gateway(build_project(PROJECTS / "security_mtls"), [
            "--config", conf] + cls.pki.gateway_args() + [
            "--mtlsor_prod_endpoint_0=" + cls.backend.url("/or"),
            "--mtlsand_prod_endpoint_0=" + cls.backend.url("/and")])
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.backend.stop()

    def call(self, path, cert=None, token=None):
        ctx = tls_client_context(self.pki.server_ca[0], cert_file=cert[0] if cert else None,
                                 key_file=cert[1] if cert else None)
        headers = [("Authorization", "Bearer " + token)] if token else []
        return https_request(self.gw.https_port, "GET", path, ctx, headers)

    def test_or_certificate_alone_passes(self):
        r = self.call("/mtlsor/v1/hello", self.alice)
        self.assertEqual(r.status, 200, r)
        r = self.call("/mtlsor/v1/hello", self.alice, mint(self.key, claims()))
        self.assertEqual(r.status, 200, r)

    def test_or_token_alone_passes_and_nothing_is_refused(self):
        r = self.call("/mtlsor/v1/hello", None, mint(self.key, claims()))
        self.assertEqual(r.status, 200, r)
        r = self.call("/mtlsor/v1/hello")
        self.assertEqual((r.status, r.body), (401, BODY_MISSING))
        r = self.call("/mtlsor/v1/hello", None, "not.a.token")
        self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN))

    def test_and_needs_both(self):
        r = self.call("/mtlsand/v1/hello", self.alice)
        self.assertEqual((r.status, r.body), (401, BODY_MISSING))
        r = self.call("/mtlsand/v1/hello", self.alice, "not.a.token")
        self.assertEqual((r.status, r.body), (401, BODY_INVALID_TOKEN))
        r = self.call("/mtlsand/v1/hello", self.alice, mint(self.key, claims()))
        self.assertEqual(r.status, 200, r)
        r = self.call("/mtlsand/v1/hello", None, mint(self.key, claims()))
        self.assertEqual(r.status, 401, r)


class BadTrustStoreTest(E2ETestCase):
    def refused(self, conf_text):
        path = os.path.join(temp_dir("mgw-e2e-jwt-"), "micro-gw.conf")
        with open(path, "w") as f:
            f.write(conf_text)
        code, out = run_gateway_expect_exit([security_artifact(), "--config", path,
                                             "--listenerConfig.httpPort=0"])
        self.assertIsNotNone(code, out)
        self.assertNotEqual(code, 0, out)
        return out

    def test_unreadable_trust_store_stops_start(self):
        d = temp_dir("mgw-e2e-jwt-")
        junk = os.path.join(d, "junk.pem")
        with open(junk, "w") as f:
            f.write("not a certificate\n")
        jwt_conf = ('[[jwtTokenConfig]]\nissuer = "%s"\ncertificateAlias = "wso2carbon"\n'
                    % ISSUER)
        out = self.refused('[listenerConfig]\ntrustStorePath = "%s"\n\n' % junk + jwt_conf)
        self.assertIn("trustStorePath", out)
        out = self.refused('[listenerConfig]\ntrustStorePath = "%s"\n\n'
                           % os.path.join(d, "missing.p12") + jwt_conf)
        self.assertIn("missing.p12", out)
        out = self.refused(jwt_conf)
        self.assertIn("trustStorePath", out)

    def test_unknown_alias_stops_start(self):
        d = temp_dir("mgw-e2e-jwt-")
        _, cert = make_key(d, "issuer", "wso2carbon")
        out = self.refused('[listenerConfig]\ntrustStorePath = "%s"\n\n[[jwtTokenConfig]]\n'
                           'issuer = "%s"\ncertificateAlias = "nope"\n' % (cert, ISSUER))
        self.assertIn("nope", out)


if __name__ == "__main__":
    unittest.main()
