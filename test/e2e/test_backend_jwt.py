"""The backend JWT (X-JWT-Assertion) end to end (issue 4, reference wso2-mgw3.md §3, §6).

`[jwtGeneratorConfig] jwtGeneratorEnabled = true`, signed (SHA256withRSA) with the listener key
store's key; the RecordingBackend sees the header, and the test checks its structure, claims,
`x5t` (padded base64url of the hex SHA-1 of the certificate) and its signature with the openssl
CLI. An incoming `backendJwt` claim is forwarded verbatim; a client-written X-JWT-Assertion is
removed on every resource, secured or not. Same gateway fixture as test_apikey.py.
"""

import hashlib
import json
import os
import time
import unittest

from harness import Conn, echo_json
from test_apikey import (KeysCase, b64url_decode, jwt_claims, key_claims, mint, openssl)

DIALECT = "http://wso2.org/claims"


class BackendJwtTest(KeysCase):
    def assertion(self, resp):
        self.assertEqual(resp.status, 200, resp)
        headers = echo_json(resp)["header_list"]
        values = [v for (n, v) in headers if n.lower() == "x-jwt-assertion"]
        self.assertEqual(len(values), 1, headers)
        return values[0]

    def verify(self, token):
        head, payload, sig = token.split(".")
        pub = os.path.join(self.dir, "gateway.pub")
        if not os.path.exists(pub):
            with open(pub, "wb") as f:
                f.write(openssl("x509", "-pubkey", "-noout", "-in", self.gw_cert))
        sig_path = os.path.join(self.dir, "sig-%d" % time.monotonic_ns())
        with open(sig_path, "wb") as f:
            f.write(b64url_decode(sig))
        out = openssl("dgst", "-sha256", "-verify", pub, "-signature", sig_path,
                      data=(head + "." + payload).encode())
        self.assertIn(b"Verified OK", out)
        return json.loads(b64url_decode(head)), json.loads(b64url_decode(payload))

    def test_generated_for_jwt_caller(self):
        app = {"id": 9, "uuid": "u-9", "name": "shop", "owner": "bob", "tier": "Unlimited"}
        subs = [{"name": "KeyAPI", "version": "v1", "subscriptionTier": "Gold",
                 "subscriberTenantDomain": "carbon.super"}]
        t = mint(self.jwt_key, jwt_claims(application=app, subscribedAPIs=subs, custom="kept"),
                 header={"typ": "JWT", "kid": None})
        token = self.assertion(self.get("/keys/v1/oauth", [("Authorization", "Bearer " + t)]))
        header, claims = self.verify(token)
        der = openssl("x509", "-outform", "DER", "-in", self.gw_cert)
        x5t = __import__("base64").urlsafe_b64encode(
            hashlib.sha1(der).hexdigest().encode()).decode()
        self.assertEqual(header, {"typ": "JWT", "alg": "RS256", "x5t": x5t})
        now = int(time.time())
        self.assertEqual(claims["iss"], "wso2.org/products/am")
        self.assertEqual(claims["sub"], "alice")
        self.assertEqual(claims[DIALECT + "/enduser"], "alice")
        self.assertAlmostEqual(claims["iat"], now, delta=60)
        self.assertEqual(claims["exp"] - claims["iat"], 900)
        self.assertEqual(claims["scopes"], "read")
        self.assertEqual(claims[DIALECT + "/applicationid"], "9")
        self.assertEqual(claims[DIALECT + "/applicationname"], "shop")
        self.assertEqual(claims[DIALECT + "/subscriber"], "bob")
        self.assertEqual(claims[DIALECT + "/apiname"], "KeyAPI")
        self.assertEqual(claims[DIALECT + "/apicontext"], "/keys/v1")
        self.assertEqual(claims[DIALECT + "/version"], "v1")
        self.assertEqual(claims[DIALECT + "/tier"], "Gold")
        self.assertEqual(claims[DIALECT + "/keytype"], "PRODUCTION")
        self.assertEqual(claims[DIALECT + "/usertype"], "Application_User")
        self.assertEqual(claims["custom"], "kept")
        for restricted in ("aud", "application", "subscribedAPIs", "keytype"):
            self.assertNotIn(restricted, claims)
        # Cached per worker thread, token and API: on one connection (one worker) the same
        # caller gets the same assertion.
        with Conn(self.gw.port) as c:
            first = self.assertion(c.request("GET", "/keys/v1/oauth",
                                             [("Authorization", "Bearer " + t)]))
            again = self.assertion(c.request("GET", "/keys/v1/oauth",
                                             [("Authorization", "Bearer " + t)]))
        self.assertEqual(again, first)

    def test_generated_for_api_key_caller(self):
        k = mint(self.apikey_key, key_claims())
        token = self.assertion(self.get("/keys/v1/pets", [("X-Api-Key", k)]))
        _, claims = self.verify(token)
        self.assertEqual(claims["sub"], "admin")
        self.assertEqual(claims[DIALECT + "/apiname"], "KeyAPI")

    def test_backend_jwt_claim_forwarded_verbatim(self):
        t = mint(self.jwt_key, jwt_claims(backendJwt="prepared.by.idp"), header={"typ": "JWT"})
        r = self.get("/keys/v1/oauth", [("Authorization", "Bearer " + t),
                                         ("X-JWT-Assertion", "forged")])
        self.assertEqual(self.assertion(r), "prepared.by.idp")

    def test_spoofed_assertion_removed(self):
        r = self.get("/keys/v1/open", [("X-JWT-Assertion", "forged"),
                                       ("x-jwt-assertion", "forged2")])
        self.assertEqual(r.status, 200, r)
        names = [n.lower() for (n, _) in echo_json(r)["header_list"]]
        self.assertNotIn("x-jwt-assertion", names)
        t = mint(self.jwt_key, jwt_claims(), header={"typ": "JWT"})
        token = self.assertion(self.get("/keys/v1/oauth", [("Authorization", "Bearer " + t),
                                                           ("X-JWT-Assertion", "forged")]))
        self.assertNotEqual(token, "forged")
        self.verify(token)


if __name__ == "__main__":
    unittest.main()
