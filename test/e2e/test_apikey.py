"""WSO2 API keys and key types end to end (issue 4, reference wso2-mgw3.md §2, §3, §5, §8).

Keys are minted here as WSO2's /apikey issues them: RS256 JWTs with `typ: jwt` and `kid` = the
certificate alias, signed with `openssl dgst`; the certificate (CN=ballerina) is in the PEM trust
store, trusted through `[apikey.tokenConfigs] certificateAlias` with `validateAllowedAPIs`.
Covered: the API's apiKey schemes (`X-Api-Key` header, `key` query parameter) and the default
`apikey` name; the key is forwarded, never removed; wrong issuer, expired, other signer, not in
allowedAPIs, garbage → 401 900901; no key → 401 900902; `keytype: SANDBOX` (API key and JWT)
goes to the sandbox endpoint, and to an API without one gets WSO2's 403 ERROR_CODE body.

Fixture: projects/security_keys (KeyAPI /keys/v1 with prod and sandbox endpoints, ProdOnlyAPI
/prodonly/v1). KeysCase is shared with test_backend_jwt.py.
"""

import base64
import hashlib
import json
import os
import subprocess
import time
import unittest

from harness import (PROJECTS, E2ETestCase, Gateway, RecordingBackend, build_project, echo_json,
                     http_request, https_request, temp_dir, tls_client_context)

APIKEY_ISSUER = "https://localhost:9095/apikey"
JWT_ISSUER = "https://localhost:9443/oauth2/token"
BODY_INVALID = (b'{"fault":{"code":900901, "message":"Invalid Credentials", '
                b'"description":"Make sure you have given the correct access token"}}')
BODY_MISSING = (b'{"fault":{"code":900902, "message":"Missing Credentials", '
                b'"description":"Make sure your API request provides required credentials"}}')
BODY_NO_SANDBOX = (b'{"ERROR_CODE":"900901","ERROR_MESSAGE":"Sandbox key offered to the API '
                   b'with no sandbox endpoint"}')

_ARTIFACT = {}


def keys_artifact():
    if "a" not in _ARTIFACT:
        _ARTIFACT["a"] = build_project(PROJECTS / "security_keys")
    return _ARTIFACT["a"]


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True).stdout


def make_key(directory, name, cn):
    key = os.path.join(directory, name + ".key")
    cert = os.path.join(directory, name + ".pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
            "-days", "2", "-subj", "/CN=" + cn)
    return key, cert


def read(path):
    with open(path) as f:
        return f.read()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(key, claims, header=None):
    head = {"alg": "RS256", "typ": "jwt", "kid": "ballerina"}
    head.update(header or {})
    head = {k: v for k, v in head.items() if v is not None}
    signing_input = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = openssl("dgst", "-sha256", "-sign", key, data=signing_input.encode())
    return signing_input + "." + b64url(sig)


def key_claims(**over):
    now = int(time.time())
    c = {"sub": "admin", "iss": APIKEY_ISSUER, "jti": "k-%d" % time.monotonic_ns(), "iat": now,
         "keytype": "PRODUCTION",
         "allowedAPIs": [{"name": "KeyAPI", "version": "v1"},
                         {"name": "ProdOnlyAPI", "version": "*"}]}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def jwt_claims(**over):
    now = int(time.time())
    c = {"iss": JWT_ISSUER, "sub": "alice", "aud": "client-1", "iat": now, "exp": now + 600,
         "scope": "read", "jti": "j-%d" % time.monotonic_ns()}
    c.update(over)
    return c


class KeysCase(E2ETestCase):
    """One gateway: API keys, a JWT issuer, the backend JWT generator, prod + sandbox backends."""

    conf_extra = ""

    @classmethod
    def setUpClass(cls):
        d = temp_dir("mgw-e2e-keys-")
        cls.dir = d
        cls.apikey_key, apikey_cert = make_key(d, "apikey", "ballerina")
        cls.jwt_key, jwt_cert = make_key(d, "issuer", "wso2carbon")
        cls.other_key, _ = make_key(d, "other", "stranger")
        cls.gw_key, cls.gw_cert = make_key(d, "gateway", "gateway")
        trust = os.path.join(d, "trust.pem")
        with open(trust, "w") as f:
            f.write(read(apikey_cert) + read(jwt_cert) + read(cls.gw_cert))
        keystore = os.path.join(d, "keystore.pem")
        with open(keystore, "w") as f:
            f.write(read(cls.gw_key) + read(cls.gw_cert))
        cls.conf = os.path.join(d, "micro-gw.conf")
        with open(cls.conf, "w") as f:
            f.write('[listenerConfig]\ntrustStorePath = "%s"\ntrustStorePassword = ""\n'
                    'keyStorePath = "%s"\nkeyStorePassword = ""\n\n' % (trust, keystore))
            f.write('[apikey.tokenConfigs]\nissuer = "%s"\ncertificateAlias = "ballerina"\n'
                    'validateAllowedAPIs = true\n\n' % APIKEY_ISSUER)
            f.write('[[jwtTokenConfig]]\nissuer = "%s"\ncertificateAlias = "wso2carbon"\n\n'
                    % JWT_ISSUER)
            f.write('[jwtGeneratorConfig]\njwtGeneratorEnabled = true\nprivateKeyAlias = "gateway"'
                    '\ncertificateAlias = "gateway"\n\n')
            apikey_store = os.path.join(d, "apikey-store.pem")
            with open(apikey_store, "w") as ks:
                ks.write(read(cls.apikey_key) + read(apikey_cert))
            f.write('[apikey.issuer.tokenConfig]\nkeyStorePath = "%s"\nkeyStorePassword = ""\n'
                    'validityTime = 3600\n\n' % apikey_store)
            f.write('[[apikey.issuer.api]]\nname = "KeyAPI"\nversions = "v1, v2"\n\n')
            f.write('[b7a.users.keyadmin]\npassword = "%s"\n\n' % hashlib.sha1(b"pw1").hexdigest())
            f.write(cls.conf_extra)
        cls.prod = RecordingBackend("prod")
        cls.sand = RecordingBackend("sand")
        cls.gw = Gateway(keys_artifact(), [
            "--config", cls.conf,
            "--keyprod_prod_endpoint_0=" + cls.prod.url("/p"),
            "--keysand_sand_endpoint_0=" + cls.sand.url("/s"),
            "--prodonly_prod_endpoint_0=" + cls.prod.url("/po"),
        ])
        try:
            cls.gw.start()
        except Exception:
            cls.prod.stop()
            cls.sand.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.prod.stop()
        cls.sand.stop()

    def get(self, target, headers=()):
        return http_request(self.gw.port, "GET", target, list(headers))

    def assertInvalid(self, resp, backends_before):
        self.assertEqual((resp.status, resp.body), (401, BODY_INVALID), resp)
        self.assertBackendUntouched(self.prod, backends_before)


class ApiKeyTest(KeysCase):
    def test_header_key_accepted_and_forwarded(self):
        k = mint(self.apikey_key, key_claims())
        for _ in range(2):  # the second call is a cache hit
            r = self.get("/keys/v1/pets", [("X-Api-Key", k)])
            self.assertEqual(r.status, 200, r)
            echo = echo_json(r)
            self.assertEqual(echo["backend_id"], "prod")
            self.assertEqual(echo["headers"].get("x-api-key"), k)  # not removed (reference §3)

    def test_query_key_accepted_and_forwarded(self):
        k = mint(self.apikey_key, key_claims())
        r = self.get("/keys/v1/pets?key=" + k + "&x=1")
        self.assertEqual(r.status, 200, r)
        self.assertIn("key=" + k, echo_json(r)["path"])
        r = self.get("/keys/v1/named?key=" + k)
        self.assertEqual(r.status, 200, r)

    def test_default_apikey_name(self):
        k = mint(self.apikey_key, key_claims())
        self.assertEqual(self.get("/prodonly/v1/items", [("apikey", k)]).status, 200)
        self.assertEqual(self.get("/prodonly/v1/items?apikey=" + k).status, 200)
        # The default name is not a location of KeyAPI, whose apiKey schemes name others.
        r = self.get("/keys/v1/pets", [("apikey", k)])
        self.assertEqual((r.status, r.body), (401, BODY_MISSING))

    def test_refused_keys_401_900901(self):
        now = int(time.time())
        bad = [
            mint(self.apikey_key, key_claims(iss="https://evil.example/apikey")),
            mint(self.apikey_key, key_claims(iat=now - 7200, exp=now - 3600)),
            mint(self.other_key, key_claims()),
            mint(self.apikey_key, key_claims(allowedAPIs=[{"name": "KeyAPI", "version": "v2"}])),
            mint(self.apikey_key, key_claims(allowedAPIs=[])),
            mint(self.apikey_key, key_claims(), header={"alg": "HS256"}),
            "garbage", "a.b.c", "x" * 5000,
        ]
        for k in bad:
            before = self.prod.snapshot()
            self.assertInvalid(self.get("/keys/v1/pets", [("X-Api-Key", k)]), before)
            if len(k) < 4000:  # longer targets are 414 before any filter runs
                self.assertInvalid(self.get("/keys/v1/pets?key=" + k), before)

    def test_missing_key_401_900902(self):
        r = self.get("/keys/v1/named")
        self.assertEqual((r.status, r.body), (401, BODY_MISSING))

    def test_api_key_is_not_an_oauth_token(self):
        k = mint(self.apikey_key, key_claims())
        r = self.get("/keys/v1/oauth", [("Authorization", "Bearer " + k)])
        self.assertEqual((r.status, r.body), (401, BODY_INVALID))
        r = self.get("/keys/v1/oauth", [("X-Api-Key", k)])
        self.assertEqual((r.status, r.body), (401, BODY_MISSING))


class KeyTypeTest(KeysCase):
    def test_sandbox_api_key_goes_to_sandbox(self):
        k = mint(self.apikey_key, key_claims(keytype="SANDBOX"))
        r = self.get("/keys/v1/pets", [("X-Api-Key", k)])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["backend_id"], "sand")

    def test_sandbox_jwt_goes_to_sandbox(self):
        t = mint(self.jwt_key, jwt_claims(keytype="SANDBOX"), header={"typ": "JWT"})
        r = self.get("/keys/v1/oauth", [("Authorization", "Bearer " + t)])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(echo_json(r)["backend_id"], "sand")
        t = mint(self.jwt_key, jwt_claims(keytype="PRODUCTION"), header={"typ": "JWT"})
        self.assertEqual(echo_json(self.get("/keys/v1/oauth",
                                            [("Authorization", "Bearer " + t)]))["backend_id"],
                         "prod")

    def test_sandbox_key_without_sandbox_endpoint_403(self):
        before = self.prod.snapshot()
        k = mint(self.apikey_key, key_claims(keytype="SANDBOX"))
        r = self.get("/prodonly/v1/items", [("apikey", k)])
        self.assertEqual((r.status, r.body), (403, BODY_NO_SANDBOX))
        t = mint(self.jwt_key, jwt_claims(keytype="SANDBOX"), header={"typ": "JWT"})
        r = self.get("/prodonly/v1/items", [("Authorization", "Bearer " + t)])
        self.assertEqual((r.status, r.body), (403, BODY_NO_SANDBOX))
        self.assertBackendUntouched(self.prod, before)


class ApiKeyIssueTest(KeysCase):
    """WSO2's /apikey endpoint: Basic auth, HTTPS listener only, text/plain key."""

    def issue(self, method="GET", body=b"", auth=("keyadmin", "pw1")):
        headers = [("Content-Type", "application/json")] if body else []
        if auth:
            headers.append(("Authorization", "Basic " + base64.b64encode(
                ("%s:%s" % auth).encode()).decode()))
        return https_request(self.gw.https_port, method, "/apikey", tls_client_context(),
                             headers, body)

    def decode(self, key):
        head, payload, _ = key.split(".")
        return json.loads(b64url_decode(head)), json.loads(b64url_decode(payload))

    def test_issued_key_works(self):
        r = self.issue()
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("content-type").startswith("text/plain"))
        key = r.body.decode()
        header, claims = self.decode(key)
        self.assertEqual(header, {"alg": "RS256", "typ": "jwt", "kid": "ballerina"})
        self.assertEqual(claims["sub"], "keyadmin")
        self.assertEqual(claims["iss"], APIKEY_ISSUER)
        self.assertEqual(claims["keytype"], "PRODUCTION")
        self.assertEqual(claims["exp"] - claims["iat"], 3600)
        self.assertEqual(claims["allowedAPIs"], [{"name": "KeyAPI", "version": "v1"},
                                                 {"name": "KeyAPI", "version": "v2"}])
        self.assertEqual(len(claims["jti"]), 36)
        r = self.get("/keys/v1/pets", [("X-Api-Key", key)])
        self.assertEqual(r.status, 200, r)
        # Not in its allowedAPIs (validateAllowedAPIs = true).
        r = self.get("/prodonly/v1/items", [("apikey", key)])
        self.assertEqual((r.status, r.body), (401, BODY_INVALID))

    def test_body_validity_can_only_shorten(self):
        for body, expect in ((b'{"validityTime": 60}', 60), (b'{"validityTime": "120"}', 120),
                             (b'{"validityTime": 99999}', 3600), (b'{"validityTime": -5}', 3600),
                             (b'not json', 3600)):
            r = self.issue("POST", body)
            self.assertEqual(r.status, 200, r)
            _, claims = self.decode(r.body.decode())
            self.assertEqual(claims["exp"] - claims["iat"], expect, body)

    def test_refused_without_valid_basic_auth(self):
        r = self.issue(auth=("keyadmin", "wrong"))
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["fault"]["code"], 900911)
        r = self.issue(auth=None)
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["fault"]["code"], 900902)

    def test_oversized_body_413(self):
        r = self.issue("POST", b'{"validityTime": 60, "pad": "' + b"x" * 20000 + b'"}')
        self.assertEqual(r.status, 413, r)
        self.assertEqual(self.issue().status, 200)  # the next request is served normally

    def test_not_served_on_plain_http(self):
        r = http_request(self.gw.port, "GET", "/apikey", [("Authorization", "Basic a2V5YWRtaW46cHcx")])
        self.assertEqual(r.status, 404, r)


if __name__ == "__main__":
    unittest.main()
