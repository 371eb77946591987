#include "filters/introspection/introspection_validator.h"

#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "filters/jwt/json_strict.h"
#include "filters/security/auth_filter.h"
#include "mgw/base/log.h"

namespace mgw::introspection {
namespace {

std::atomic<uint64_t> next_validator_id{1};

filter::LocalReply invalidCredentials(const artifact::Resource& resource, std::string_view reason) {
  filter::LocalReply reply =
      filter::faultReply(401, 900901, "Invalid Credentials",
                         "Make sure you have given the correct access token", reason);
  reply.headers.add("WWW-Authenticate", filters::wso2Challenge(resource));
  return reply;
}

// RFC 7662 §2.2 NumericDate members: JSON integers (floats and strings are malformed).
bool readTime(const nlohmann::json& obj, const char* name, std::optional<int64_t>& out) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null())
    return true;
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / 1000))
      return false;
    out = static_cast<int64_t>(v);
    return true;
  }
  if (it->is_number_integer()) {
    int64_t v = it->get<int64_t>();
    if (v < 0)
      return false;
    out = v;
    return true;
  }
  return false;
}

bool readString(const nlohmann::json& obj, const char* name, std::string& out) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null())
    return true;
  if (!it->is_string())
    return false;
  out = it->get<std::string>();
  return true;
}

struct ThreadCache {
  uint64_t owner = 0;
  std::unique_ptr<IntrospectionCache> cache;
};

}  // namespace

std::string basicAuthorization(std::string_view user, std::string_view password) {
  std::string plain = std::string(user) + ":" + std::string(password);
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(plain.data()),
                          static_cast<int>(plain.size()));
  out.resize(static_cast<size_t>(n));
  return "Basic " + out;
}

std::string formEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() + 16);
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '*' ||
        u == '-' || u == '.' || u == '_') {
      out += c;
    } else if (u == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

Result<IntrospectionResult> parseIntrospectionResponse(const filter::HttpCallResponse& response) {
  if (response.status != 200)
    return makeError("introspection.status",
                     "introspection answered " + std::to_string(response.status));
  nlohmann::json doc = jwt::parseStrictJson(response.body, 32);
  if (doc.is_discarded() || !doc.is_object())
    return makeError("introspection.malformed", "introspection response is not a JSON object");
  auto active = doc.find("active");
  if (active == doc.end() || !active->is_boolean())
    return makeError("introspection.malformed", "introspection response has no boolean active");
  IntrospectionResult r;
  r.active = active->get<bool>();
  if (!r.active)
    return r;  // RFC 7662 §2.2: nothing else of an inactive token is meaningful
  std::string scope;
  std::string sub;
  if (!readString(doc, "scope", scope) || !readString(doc, "username", r.username) ||
      !readString(doc, "sub", sub) || !readString(doc, "client_id", r.client_id) ||
      !readString(doc, "iss", r.issuer) || !readTime(doc, "exp", r.exp_s) ||
      !readTime(doc, "nbf", r.nbf_s)) {
    return makeError("introspection.malformed", "introspection member of the wrong type");
  }
  if (r.username.empty())
    r.username = std::move(sub);
  size_t pos = 0;
  while (pos < scope.size()) {
    size_t end = scope.find(' ', pos);
    if (end == std::string::npos)
      end = scope.size();
    if (end > pos)
      r.scopes.emplace_back(scope.substr(pos, end - pos));
    pos = end + 1;
  }
  return r;
}

std::shared_ptr<const IntrospectionResult> IntrospectionCache::find(std::string_view token,
                                                                    int64_t now_ms) {
  auto it = index_.find(token);
  if (it == index_.end())
    return nullptr;
  List::iterator node = it->second;
  if (node->expires_at_ms <= now_ms) {
    index_.erase(it);
    lru_.erase(node);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, node);
  return node->value;
}

void IntrospectionCache::insert(std::string_view token,
                                std::shared_ptr<const IntrospectionResult> value,
                                int64_t expires_at_ms) {
  if (capacity_ == 0)
    return;
  if (auto it = index_.find(token); it != index_.end()) {
    List::iterator node = it->second;
    index_.erase(it);
    lru_.erase(node);
  }
  while (index_.size() >= capacity_ && !lru_.empty()) {
    index_.erase(std::string_view(lru_.back().token));
    lru_.pop_back();
  }
  lru_.push_front(Entry{std::string(token), std::move(value), expires_at_ms});
  index_.emplace(std::string_view(lru_.front().token), lru_.begin());
}

IntrospectionValidator::IntrospectionValidator(IntrospectionConfig config)
    : config_(std::move(config)), id_(next_validator_id.fetch_add(1, std::memory_order_relaxed)) {}

int64_t IntrospectionValidator::now() const {
  if (config_.now_ms)
    return config_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

IntrospectionCache& IntrospectionValidator::threadCache() const {
  thread_local ThreadCache tc;
  if (tc.owner != id_ || !tc.cache) {
    tc.cache = std::make_unique<IntrospectionCache>(config_.cache_capacity);
    tc.owner = id_;
  }
  return *tc.cache;
}

filter::FilterStatus IntrospectionValidator::authenticate(filter::RequestContext& ctx,
                                                          std::string_view token,
                                                          std::string_view header_name) const {
  if (token.empty() || token.size() > config_.max_token_bytes) {
    ctx.sendLocalReply(invalidCredentials(ctx.resource(), token.empty()
                                                              ? "introspection.empty_token"
                                                              : "introspection.oversize_token"));
    return filter::FilterStatus::Stop;
  }
  const int64_t now_ms = now();
  if (auto hit = threadCache().find(token, now_ms))
    return apply(ctx, *hit, header_name, now_ms);

  filter::HttpCallRequest req;
  req.url = config_.url;
  req.method = "POST";
  req.headers.add("Content-Type", "application/x-www-form-urlencoded");
  req.headers.add("Accept", "application/json");
  if (!config_.authorization.empty())
    req.headers.add("Authorization", config_.authorization);
  req.body = "token=" + formEncode(token) + "&token_type_hint=access_token";
  req.timeout_ms = config_.timeout_ms;
  req.max_response_bytes = config_.max_response_bytes;
  // The context outlives the callback: httpCall never runs it after the request was abandoned.
  ctx.httpCall(std::move(req),
               [this, &ctx, token = std::string(token),
                header = std::string(header_name)](Result<filter::HttpCallResponse> response) {
                 onResponse(ctx, token, header, std::move(response));
               });
  return filter::FilterStatus::Pause;
}

void IntrospectionValidator::onResponse(filter::RequestContext& ctx, const std::string& token,
                                        const std::string& header_name,
                                        Result<filter::HttpCallResponse> response) const {
  Result<IntrospectionResult> parsed = response ? parseIntrospectionResponse(*response)
                                                : Result<IntrospectionResult>(response.error());
  if (!parsed) {
    // Reference §5: an introspection call failure answers 401 900901. Not cached, so a key
    // manager that comes back is used at once.
    log::warn("introspection.failed", "token introspection failed",
              {{"reason", parsed.error().reason}, {"url", config_.url}});
    ctx.sendLocalReply(invalidCredentials(ctx.resource(), parsed.error().reason));
    return;
  }
  const int64_t now_ms = now();
  auto result = std::make_shared<const IntrospectionResult>(std::move(*parsed));
  int64_t expires =
      now_ms + (result->active ? config_.cache_expiry_ms
                               : std::min(config_.negative_cache_ms, config_.cache_expiry_ms));
  if (result->active && result->exp_s)
    expires = std::min(expires, *result->exp_s * 1000 + config_.skew_ms);
  if (expires > now_ms)
    threadCache().insert(token, result, expires);
  if (apply(ctx, *result, header_name, now_ms) == filter::FilterStatus::Continue)
    ctx.resumeChain();
}

filter::FilterStatus IntrospectionValidator::apply(filter::RequestContext& ctx,
                                                   const IntrospectionResult& result,
                                                   std::string_view header_name,
                                                   int64_t now_ms) const {
  const artifact::Resource& resource = ctx.resource();
  const char* refusal = nullptr;
  if (!result.active)
    refusal = "introspection.inactive";
  else if (result.exp_s && *result.exp_s * 1000 + config_.skew_ms <= now_ms)
    refusal = "introspection.expired";
  else if (result.nbf_s && *result.nbf_s * 1000 - config_.skew_ms > now_ms)
    refusal = "introspection.not_yet_valid";
  if (refusal != nullptr) {
    ctx.sendLocalReply(invalidCredentials(resource, refusal));
    return filter::FilterStatus::Stop;
  }
  if (!filters::scopesAllow(resource.scopes, result.scopes)) {
    ctx.sendLocalReply(filters::missingScopeReply());
    return filter::FilterStatus::Stop;
  }
  filter::AuthContext auth;
  auth.auth_type = "oauth2";
  auth.username = result.username;
  auth.consumer_key = result.client_id;
  auth.issuer = result.issuer;
  auth.scopes = result.scopes;
  ctx.setAuthContext(std::move(auth));
  if (config_.remove_auth_header)
    ctx.mutableRequest().headers.remove(header_name);
  return filter::FilterStatus::Continue;
}

}  // namespace mgw::introspection
