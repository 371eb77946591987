#include "filters/jwt/verifier.h"

#include <array>
#include <atomic>
#include <chrono>

#include "filters/jwt/claims.h"
#include "filters/jwt/signature.h"
#include "mgw/base/strings.h"

namespace mgw::jwt {
namespace {

using Json = nlohmann::json;

// Bounds the signature work one token can cause when its kid names no key.
constexpr size_t kMaxCandidateKeys = 4;

std::atomic<uint64_t> g_generation{0};

// String or number claim rendered as a string (APIM writes application.id as a number).
std::string scalarText(const Json& obj, const char* name) {
  const auto it = obj.find(name);
  if (it == obj.end())
    return {};
  if (it->is_string())
    return it->get<std::string>();
  if (it->is_number_integer() || it->is_number_unsigned())
    return it->dump();
  return {};
}

void splitScopes(std::string_view text, std::vector<std::string>& out) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find(' ', pos), text.size());
    if (end > pos)
      out.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
}

Status readScopes(const Json& claims, std::vector<std::string>& scopes) {
  auto read = [&](const Json& v) -> Status {
    if (v.is_string()) {
      splitScopes(v.get_ref<const std::string&>(), scopes);
      return {};
    }
    if (!v.is_array())
      return makeError("jwt.malformed_claim", "scope claim of the wrong type");
    for (const auto& s : v) {
      if (!s.is_string())
        return makeError("jwt.malformed_claim", "scope array holds a non-string");
      scopes.push_back(s.get<std::string>());
    }
    return {};
  };
  if (const auto it = claims.find("scope"); it != claims.end())
    return read(*it);
  if (const auto it = claims.find("scp"); it != claims.end())
    return read(*it);
  return {};
}

Status readOptionalString(const Json& claims, const char* name, std::string& out) {
  const auto it = claims.find(name);
  if (it == claims.end())
    return {};
  if (!it->is_string())
    return makeError("jwt.malformed_claim", std::string(name) + " is not a string");
  out = it->get<std::string>();
  return {};
}

// Renames remote claims to local ones; returns whether any claim was renamed.
bool applyMappings(Json& claims, const std::vector<ClaimMapping>& mappings) {
  bool renamed = false;
  for (const auto& m : mappings) {
    if (m.remote_claim.empty() || m.local_claim.empty() || m.remote_claim == m.local_claim)
      continue;
    auto it = claims.find(m.remote_claim);
    if (it == claims.end())
      continue;
    Json value = std::move(*it);
    claims.erase(it);
    claims[m.local_claim] = std::move(value);
    renamed = true;
  }
  return renamed;
}

// Fills the WSO2-specific fields of `token` from its (mapped) claims.
Status extractFields(const IssuerConfig& config, VerifiedToken& token) {
  const Json& c = token.claims;
  if (auto s = readOptionalString(c, "sub", token.subject); !s)
    return s;
  if (auto s = readOptionalString(c, "jti", token.jti); !s)
    return s;
  if (auto s = readScopes(c, token.scopes); !s)
    return s;
  if (const auto kt = c.find("keytype");
      kt != c.end() && kt->is_string() && iequals(kt->get_ref<const std::string&>(), "SANDBOX"))
    token.key_type = KeyType::Sandbox;
  if (const auto app = c.find("application"); app != c.end() && app->is_object()) {
    token.application =
        ApplicationInfo{scalarText(*app, "id"), scalarText(*app, "uuid"), scalarText(*app, "name"),
                        scalarText(*app, "tier"), scalarText(*app, "owner")};
  }
  if (const auto subs = c.find("subscribedAPIs"); subs != c.end() && subs->is_array()) {
    token.subscribed_apis.reserve(subs->size());
    for (const auto& s : *subs) {
      if (!s.is_object())
        continue;
      token.subscribed_apis.push_back(
          SubscribedApi{scalarText(s, "name"), scalarText(s, "version"), scalarText(s, "context"),
                        scalarText(s, "publisher"), scalarText(s, "subscriptionTier"),
                        scalarText(s, "subscriberTenantDomain")});
    }
  }
  if (const auto ck = c.find("consumerKey"); ck != c.end() && ck->is_string()) {
    token.consumer_key = ck->get<std::string>();
  } else if (!config.consumer_key_claim.empty()) {
    if (const auto it = c.find(config.consumer_key_claim); it != c.end()) {
      if (it->is_string())
        token.consumer_key = it->get<std::string>();
      else if (it->is_array() && !it->empty() && it->front().is_string())
        token.consumer_key = it->front().get<std::string>();
    }
  }
  return {};
}

bool algAllowed(const IssuerConfig& config, Alg alg) {
  if (config.allowed_algs.empty())
    return true;
  for (Alg a : config.allowed_algs) {
    if (a == alg)
      return true;
  }
  return false;
}

bool keyFits(const KeyEntry& key, Alg alg) {
  if (key.family != algFamily(alg))
    return false;
  if (key.alg && *key.alg != alg)
    return false;
  return key.family != KeyFamily::Ec || key.curve == ecCurveFor(alg);
}

// Key selection: a key registered under the token's kid is the only candidate. Otherwise the
// fallback (certificate) keys are tried, plus every key when the token has no kid at all. The
// key, never the token, decides the algorithm family: a mismatch is jwt.key_mismatch.
Status checkSignature(const KeySet& keys, const Jwt& jwt) {
  if (jwt.has_kid) {
    if (const KeyEntry* key = keys.findKid(jwt.kid)) {
      if (!keyFits(*key, jwt.alg))
        return makeError("jwt.key_mismatch", "algorithm does not fit the key");
      if (!verifySignature(*key, jwt.alg, jwt.signing_input, jwt.signature))
        return makeError("jwt.bad_signature", "signature verification failed");
      return {};
    }
  }
  size_t candidates = 0;
  size_t tried = 0;
  for (const auto& key : keys.entries()) {
    if (!key.fallback && jwt.has_kid)
      continue;
    ++candidates;
    if (!keyFits(key, jwt.alg))
      continue;
    if (++tried > kMaxCandidateKeys)
      break;
    if (verifySignature(key, jwt.alg, jwt.signing_input, jwt.signature))
      return {};
  }
  if (tried > 0)
    return makeError("jwt.bad_signature", "signature verification failed");
  if (candidates > 0)
    return makeError("jwt.key_mismatch", "algorithm does not fit the key");
  if (jwt.has_kid)
    return makeError("jwt.unknown_kid", "no key with this kid");
  return makeError("jwt.no_keys", "issuer has no usable key");
}

}  // namespace

int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Verifier::Verifier(std::vector<Issuer> issuers, VerifierOptions options)
    : issuers_(std::move(issuers)),
      options_(std::move(options)),
      generation_(g_generation.fetch_add(1, std::memory_order_relaxed) + 1) {}

std::shared_ptr<const Verifier> Verifier::withKeys(size_t issuer_index,
                                                   std::shared_ptr<const KeySet> keys) const {
  std::vector<Issuer> issuers = issuers_;
  if (issuer_index < issuers.size())
    issuers[issuer_index].keys = std::move(keys);
  return std::make_shared<const Verifier>(std::move(issuers), options_);
}

Result<VerifiedToken> Verifier::verify(std::string_view token) const {
  return verify(token, nowMillis());
}

Result<VerifiedToken> Verifier::verify(std::string_view token, int64_t now_ms) const {
  auto parsed = parseJwt(token, options_.limits);
  if (!parsed)
    return parsed.error();
  Jwt& jwt = *parsed;
  const auto iss = jwt.payload.find("iss");
  if (iss == jwt.payload.end() || !iss->is_string())
    return makeError("jwt.unknown_issuer", "token has no iss");
  // A copy: verifyWith() may move the claim set (and this string) into its result.
  const std::string iss_text = iss->get<std::string>();
  std::optional<Error> first_error;
  for (size_t i = 0; i < issuers_.size(); ++i) {
    if (issuers_[i].config.issuer != iss_text)
      continue;
    auto result = verifyWith(i, jwt, now_ms);
    if (result)
      return result;
    if (!first_error)
      first_error = result.error();
  }
  if (first_error)
    return *first_error;
  return makeError("jwt.unknown_issuer", "no trusted issuer matches iss");
}

Result<VerifiedToken> Verifier::verifyWith(size_t index, Jwt& jwt, int64_t now_ms) const {
  const Issuer& issuer = issuers_[index];
  const IssuerConfig& config = issuer.config;
  if (!algAllowed(config, jwt.alg))
    return makeError("jwt.alg_not_allowed", "algorithm not allowed for this issuer");
  if (!issuer.keys || issuer.keys->empty())
    return makeError("jwt.no_keys", "issuer has no usable key");
  if (auto s = checkSignature(*issuer.keys, jwt); !s)
    return s.error();
  auto times = checkTimes(jwt.payload, now_ms, TimePolicy{options_.skew_ms, config.require_exp});
  if (!times)
    return times.error();
  if (auto s = checkAudience(jwt.payload, config.audiences); !s)
    return s.error();

  VerifiedToken token;
  token.issuer_index = index;
  token.issuer_name = config.name;
  token.issuer = config.issuer;
  token.validate_subscription = config.validate_subscription;
  token.exp_s = times->exp_s;
  token.signature_b64 = std::string(jwt.signature_b64);
  // The claim set is moved out unless another issuer with the same `iss` may still need it.
  bool shared = false;
  for (size_t i = index + 1; i < issuers_.size() && !shared; ++i)
    shared = issuers_[i].config.issuer == config.issuer;
  if (shared)
    token.claims = jwt.payload;
  else
    token.claims = std::move(jwt.payload);
  const bool renamed = applyMappings(token.claims, config.claim_mappings);
  if (auto s = extractFields(config, token); !s)
    return s.error();
  // Once here: cached tokens hand it to every request's AuthContext. Unless claims were renamed,
  // the verified payload text is that claim set already and needs no serialising.
  if (renamed)
    token.claims_json = token.claims.dump();
  else if (shared)
    token.claims_json = jwt.payload_json;
  else
    token.claims_json = std::move(jwt.payload_json);
  return token;
}

}  // namespace mgw::jwt
