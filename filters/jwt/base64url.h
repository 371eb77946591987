// Strict base64url (RFC 4648 §5) decoding for JWS segments (RFC 7515 §2 "Base64url Encoding").
#pragma once

#include <string>
#include <string_view>

namespace mgw::jwt {

// Decodes `in` into `out` (cleared first). Accepts the unpadded form RFC 7515 prescribes and, for
// WSO2 compatibility, the complete '='-padded form (WSO2 test tokens and x5t values use it).
// Rejects: the '+' and '/' of plain base64, whitespace, partial or misplaced padding, a length
// of 1 mod 4, and non-canonical encodings whose unused trailing bits are not zero (otherwise two
// spellings would decode to the same signature; attack catalogue §6 row 7).
bool base64UrlDecode(std::string_view in, std::string& out);

// Unpadded base64url encoding.
std::string base64UrlEncode(std::string_view bytes);

// `in` without trailing '=' padding: the canonical spelling of a segment (revocation lookups).
std::string_view stripPadding(std::string_view in);

}  // namespace mgw::jwt
