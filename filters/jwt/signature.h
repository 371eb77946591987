// JWS signature verification with OpenSSL 3 (RFC 7518 §3.3-3.5, RFC 8037 §3.1).
#pragma once

#include <string_view>

#include "filters/jwt/algorithm.h"
#include "filters/jwt/key_set.h"

namespace mgw::jwt {

// True when `signature` (decoded bytes) is a valid `alg` signature of `signing_input` under `key`.
// The caller has already checked that the key family (and EC curve) fits `alg`; this checks it
// again and fails closed. ES* signatures must be the raw R||S of RFC 7518 §3.4 (a DER signature
// has the wrong length and is rejected); R or S equal to zero is rejected before OpenSSL
// (CVE-2022-21449), R or S >= n by OpenSSL. Thread-safe: per-thread OpenSSL contexts are reused,
// digests are fetched once per process; no locks.
bool verifySignature(const KeyEntry& key, Alg alg, std::string_view signing_input,
                     std::string_view signature);

}  // namespace mgw::jwt
