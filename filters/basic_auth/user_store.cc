#include "filters/basic_auth/user_store.h"

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "mgw/base/log.h"
#include "mgw/base/strings.h"

namespace mgw::basic_auth {
namespace {

constexpr std::string_view kUsersPrefix = "b7a.users.";
constexpr std::string_view kPasswordSuffix = ".password";
constexpr std::string_view kScopesSuffix = ".scopes";

// Argon2 parameters come from the operator's config, but a typo must not make every request
// allocate gigabytes: bounds well above any recommended setting (RFC 9106 §4).
constexpr uint64_t kMaxArgon2MemoryKiB = 1u << 20;  // 1 GiB
constexpr uint64_t kMaxArgon2Iterations = 64;
constexpr uint64_t kMaxArgon2Lanes = 64;

std::atomic<uint64_t> g_next_store_id{1};

// Wipes a buffer that held a plaintext password.
class Wipe {
 public:
  explicit Wipe(std::string& s) : s_(s) {}
  ~Wipe() {
    if (!s_.empty())
      OPENSSL_cleanse(s_.data(), s_.size());
  }
  Wipe(const Wipe&) = delete;
  Wipe& operator=(const Wipe&) = delete;

 private:
  std::string& s_;
};

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

// Standard base64 (RFC 4648 §4), padding optional but correct when present; no whitespace, no
// URL-safe alphabet.
std::optional<std::string> base64Decode(std::string_view in) {
  size_t pad = 0;
  while (pad < 2 && !in.empty() && in.back() == '=') {
    in.remove_suffix(1);
    ++pad;
  }
  if (in.size() % 4 == 1 || (pad > 0 && (in.size() + pad) % 4 != 0))
    return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = base64Value(c);
    if (v < 0) {
      OPENSSL_cleanse(out.data(), out.size());
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = asciiLower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

std::optional<std::string> hexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0)
    return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hexValue(hex[2 * i]);
    int lo = hexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

const EVP_MD* digestOf(HashScheme s) {
  switch (s) {
    case HashScheme::Sha1:
      return EVP_sha1();
    case HashScheme::Sha256:
      return EVP_sha256();
    case HashScheme::Sha384:
      return EVP_sha384();
    case HashScheme::Sha512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

bool startsWithI(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool isBcryptChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/';
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Process-wide random key for the verification cache keys (see VerificationCache).
const unsigned char* cacheKeySecret() {
  static const auto secret = [] {
    std::array<unsigned char, 32> s{};
    if (RAND_bytes(s.data(), static_cast<int>(s.size())) != 1) {
      // Without randomness the cache keys are plain SHA-256; still correct, only weaker.
      log::warn("basic_auth.no_random", "RAND_bytes failed; cache keys are unsalted");
    }
    return s;
  }();
  return secret.data();
}

VerificationCache::Key cacheKey(uint64_t store_id, std::string_view name,
                                std::string_view password) {
  VerificationCache::Key key{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  unsigned char id[8];
  for (int i = 0; i < 8; ++i)
    id[i] = static_cast<unsigned char>(store_id >> (8 * i));
  const unsigned char zero = 0;
  if (ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
      EVP_DigestUpdate(ctx, cacheKeySecret(), 32) == 1 && EVP_DigestUpdate(ctx, id, 8) == 1 &&
      EVP_DigestUpdate(ctx, name.data(), name.size()) == 1 &&
      EVP_DigestUpdate(ctx, &zero, 1) == 1 &&
      EVP_DigestUpdate(ctx, password.data(), password.size()) == 1) {
    EVP_DigestFinal_ex(ctx, key.data(), &len);
  }
  EVP_MD_CTX_free(ctx);
  return key;
}

VerificationCache& threadCache() {
  thread_local VerificationCache cache;
  return cache;
}

// libxcrypt's crypt_r() works in a ~32 KiB caller-provided area: one per thread, allocated on
// first use.
struct crypt_data& threadCryptData() {
  thread_local std::unique_ptr<struct crypt_data> data;
  if (!data) {
    data = std::make_unique<struct crypt_data>();
    std::memset(data.get(), 0, sizeof(struct crypt_data));
  }
  return *data;
}

Error fail(std::string reason, std::string message) {
  return makeError(std::move(reason), std::move(message));
}

}  // namespace

// ---- faults -------------------------------------------------------------------------------

Fault faultFor(const Error& error) {
  if (error.reason == "basic_auth.invalid_format") {
    return Fault{401, 900912, "Invalid Format",
                 "Make sure you have given the credentials in correct format with \":\" "
                 "character"};
  }
  return Fault{401, 900911, "Invalid Credentials",
               "Make sure you have given the correct username and password"};
}

// ---- VerificationCache ----------------------------------------------------------------------

VerificationCache::VerificationCache(size_t capacity, int64_t ttl_ms)
    : capacity_(capacity), ttl_ms_(ttl_ms) {}

size_t VerificationCache::KeyHash::operator()(const Key& k) const {
  size_t h = 0;
  std::memcpy(&h, k.data(), sizeof h);  // the key is already a uniform hash
  return h;
}

bool VerificationCache::contains(const Key& key, int64_t now_ms) {
  auto it = index_.find(key);
  if (it == index_.end())
    return false;
  if (it->second->expires_at_ms <= now_ms) {
    lru_.erase(it->second);
    index_.erase(it);
    return false;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return true;
}

void VerificationCache::insert(const Key& key, int64_t now_ms) {
  if (capacity_ == 0)
    return;
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->expires_at_ms = now_ms + ttl_ms_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  while (index_.size() >= capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Entry{key, now_ms + ttl_ms_});
  index_.emplace(key, lru_.begin());
}

void VerificationCache::clear() {
  index_.clear();
  lru_.clear();
}

// ---- UserStore ------------------------------------------------------------------------------

UserStore::UserStore() : id_(g_next_store_id.fetch_add(1)) {}

Result<UserStore> UserStore::fromConfig(const config::GatewayConfig& config) {
  UserStore store;
  for (const auto& [key, value] : config.values) {
    if (!key.starts_with(kUsersPrefix))
      continue;
    std::string_view rest = std::string_view(key).substr(kUsersPrefix.size());
    if (rest.ends_with(kScopesSuffix)) {
      std::string name(rest.substr(0, rest.size() - kScopesSuffix.size()));
      if (config.values.count(std::string(kUsersPrefix) + name + std::string(kPasswordSuffix)) ==
          0) {
        log::warn("basic_auth.user_without_password",
                  "user has scopes but no password and cannot log in", {{"user", name}});
      }
      continue;
    }
    if (!rest.ends_with(kPasswordSuffix))
      continue;
    std::string name(rest.substr(0, rest.size() - kPasswordSuffix.size()));
    std::vector<std::string> scopes =
        config.getList(std::string(kUsersPrefix) + name + std::string(kScopesSuffix));
    if (Status s = store.addUser(name, value, std::move(scopes)); !s) {
      std::string where;
      if (auto src = config.sources.find(key); src != config.sources.end())
        where = " (" + src->second + ")";
      return fail(s.error().reason, key + where + ": " + s.error().message);
    }
  }
  return store;
}

Status UserStore::addUser(std::string_view name, std::string_view password_hash,
                          std::vector<std::string> scopes) {
  if (name.empty() || name.find(':') != std::string_view::npos)
    return fail("basic_auth.bad_user_name", "a user name must be non-empty and have no ':'");
  std::string key = toLower(name);
  if (users_.count(key) != 0)
    return fail("basic_auth.duplicate_user", "user '" + key + "' is defined twice");

  User u;
  u.name = key;
  u.scopes = std::move(scopes);
  std::string_view h = trimOws(password_hash);
  const char* expected_format =
      "not a SHA-1 hex digest, @sha256:{hex}, @sha384:{hex}, @sha512:{hex}, bcrypt ($2b$) or "
      "Argon2 ($argon2id$) hash";

  if (h.starts_with('@')) {
    struct Prefix {
      std::string_view text;
      HashScheme scheme;
      size_t bytes;
    };
    static constexpr Prefix kPrefixes[] = {{"@sha256:", HashScheme::Sha256, 32},
                                           {"@sha384:", HashScheme::Sha384, 48},
                                           {"@sha512:", HashScheme::Sha512, 64},
                                           {"@sha1:", HashScheme::Sha1, 20}};
    const Prefix* match = nullptr;
    for (const Prefix& p : kPrefixes) {
      if (startsWithI(h, p.text)) {
        match = &p;
        break;
      }
    }
    if (match == nullptr)
      return fail("basic_auth.bad_password_hash", expected_format);
    std::string_view hex = h.substr(match->text.size());
    if (hex.size() >= 2 && hex.front() == '{' && hex.back() == '}')
      hex = hex.substr(1, hex.size() - 2);  // WSO2 writes @sha256:{hex}
    auto digest = hexDecode(hex);
    if (!digest || digest->size() != match->bytes)
      return fail(
          "basic_auth.bad_password_hash",
          std::string(match->text) + " needs " + std::to_string(match->bytes * 2) + " hex digits");
    u.scheme = match->scheme;
    u.digest = std::move(*digest);
  } else if (startsWithI(h, "$2a$") || startsWithI(h, "$2b$") || startsWithI(h, "$2y$")) {
    // $2b$CC$ + 22 salt chars + 31 hash chars (bcrypt's base64 alphabet).
    bool ok =
        h.size() == 60 && h[6] == '$' && h[4] >= '0' && h[4] <= '3' && h[5] >= '0' && h[5] <= '9';
    int cost = ok ? (h[4] - '0') * 10 + (h[5] - '0') : 0;
    ok = ok && cost >= 4 && cost <= 31;
    for (size_t i = 7; ok && i < h.size(); ++i)
      ok = isBcryptChar(h[i]);
    if (!ok)
      return fail("basic_auth.bad_password_hash", "malformed bcrypt hash");
    u.scheme = HashScheme::Bcrypt;
    u.encoded = std::string(h);
    u.encoded[1] = '2';
    u.encoded[2] = asciiLower(u.encoded[2]);
  } else if (h.starts_with("$argon2")) {
    // PHC string format: $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash> (v= optional: 0x10).
    std::vector<std::string_view> parts = splitList(h, '$');
    if (parts.size() == 5)
      parts.insert(parts.begin() + 2, "v=16");
    bool ok = parts.size() == 6 && parts[0].empty();
    if (ok) {
      if (parts[1] == "argon2id")
        u.argon2_type = Argon2_id;
      else if (parts[1] == "argon2i")
        u.argon2_type = Argon2_i;
      else if (parts[1] == "argon2d")
        u.argon2_type = Argon2_d;
      else
        ok = false;
    }
    std::optional<uint64_t> v, m, t, p;
    if (ok && parts[2].starts_with("v="))
      v = parseDecimal(parts[2].substr(2));
    if (ok) {
      std::vector<std::string_view> params = splitList(parts[3], ',');
      ok = params.size() == 3 && params[0].starts_with("m=") && params[1].starts_with("t=") &&
           params[2].starts_with("p=");
      if (ok) {
        m = parseDecimal(params[0].substr(2));
        t = parseDecimal(params[1].substr(2));
        p = parseDecimal(params[2].substr(2));
      }
    }
    ok = ok && v && m && t && p && (*v == 16 || *v == 19);
    if (!ok)
      return fail("basic_auth.bad_password_hash", "malformed Argon2 hash");
    if (*t < 1 || *t > kMaxArgon2Iterations || *p < 1 || *p > kMaxArgon2Lanes || *m < 8 * *p ||
        *m > kMaxArgon2MemoryKiB)
      return fail("basic_auth.bad_password_hash",
                  "Argon2 parameters out of range (t 1-64, p 1-64, m 8*p KiB - 1 GiB)");
    auto salt = base64Decode(parts[4]);
    auto hash = base64Decode(parts[5]);
    if (!salt || !hash || salt->size() < ARGON2_MIN_SALT_LENGTH || salt->size() > 1024 ||
        hash->size() < ARGON2_MIN_OUTLEN || hash->size() > 1024)
      return fail("basic_auth.bad_password_hash", "malformed Argon2 salt or hash");
    u.scheme = HashScheme::Argon2;
    u.version = static_cast<uint32_t>(*v);
    u.m_cost = static_cast<uint32_t>(*m);
    u.t_cost = static_cast<uint32_t>(*t);
    u.lanes = static_cast<uint32_t>(*p);
    u.salt = std::move(*salt);
    u.digest = std::move(*hash);
  } else {
    auto digest = hexDecode(h);
    if (!digest || digest->size() != 20)
      return fail("basic_auth.bad_password_hash", expected_format);
    u.scheme = HashScheme::Sha1;
    u.digest = std::move(*digest);
  }
  if ((u.scheme == HashScheme::Bcrypt || u.scheme == HashScheme::Argon2) && decoy_.empty())
    decoy_ = key;
  users_.emplace(std::move(key), std::move(u));
  return {};
}

bool UserStore::contains(std::string_view name) const {
  return users_.count(toLower(name)) != 0;
}

HashScheme UserStore::schemeOf(std::string_view name) const {
  auto it = users_.find(toLower(name));
  return it == users_.end() ? HashScheme::Sha1 : it->second.scheme;
}

bool UserStore::verify(const User& u, std::string_view password) const {
  switch (u.scheme) {
    case HashScheme::Sha1:
    case HashScheme::Sha256:
    case HashScheme::Sha384:
    case HashScheme::Sha512: {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      if (EVP_Digest(password.data(), password.size(), md, &len, digestOf(u.scheme), nullptr) !=
              1 ||
          len != u.digest.size())
        return false;
      return CRYPTO_memcmp(md, u.digest.data(), len) == 0;
    }
    case HashScheme::Bcrypt: {
      // crypt() takes a C string: a NUL inside the password would silently shorten it.
      if (password.find('\0') != std::string_view::npos)
        return false;
      std::string pw(password);
      Wipe wipe(pw);
      struct crypt_data& data = threadCryptData();
      const char* out = crypt_r(pw.c_str(), u.encoded.c_str(), &data);
      bool ok = out != nullptr && out[0] != '*' && std::strlen(out) == u.encoded.size() &&
                CRYPTO_memcmp(out, u.encoded.data(), u.encoded.size()) == 0;
      OPENSSL_cleanse(&data, sizeof data);
      return ok;
    }
    case HashScheme::Argon2: {
      // argon2_ctx() instead of argon2_verify(): one thread (argon2_verify would start `p`
      // threads per request on a worker) and our own constant-time comparison.
      std::string out(u.digest.size(), '\0');
      argon2_context ctx{};
      ctx.out = reinterpret_cast<uint8_t*>(out.data());
      ctx.outlen = static_cast<uint32_t>(out.size());
      ctx.pwd = reinterpret_cast<uint8_t*>(const_cast<char*>(password.data()));
      ctx.pwdlen = static_cast<uint32_t>(password.size());
      ctx.salt = reinterpret_cast<uint8_t*>(const_cast<char*>(u.salt.data()));
      ctx.saltlen = static_cast<uint32_t>(u.salt.size());
      ctx.t_cost = u.t_cost;
      ctx.m_cost = u.m_cost;
      ctx.lanes = u.lanes;
      ctx.threads = 1;
      ctx.version = u.version;
      ctx.flags = ARGON2_DEFAULT_FLAGS;
      int rc = argon2_ctx(&ctx, static_cast<argon2_type>(u.argon2_type));
      return rc == ARGON2_OK && CRYPTO_memcmp(out.data(), u.digest.data(), out.size()) == 0;
    }
  }
  return false;
}

bool UserStore::isBasic(std::string_view value) {
  std::string_view v = trimOws(value);
  size_t end = v.find_first_of(" \t");
  return iequals(v.substr(0, end), "basic");
}

Result<AuthenticatedUser> UserStore::authenticate(std::string_view value) const {
  return authenticate(value, &threadCache());
}

Result<AuthenticatedUser> UserStore::authenticate(std::string_view value,
                                                  VerificationCache* cache) const {
  // RFC 7617 §2 / RFC 7235 §2.1: credentials = auth-scheme 1*SP token68.
  std::string_view v = trimOws(value);
  size_t sp = v.find_first_of(" \t");
  if (!iequals(v.substr(0, sp), "basic"))
    return fail("basic_auth.not_basic", "authorization scheme is not Basic");
  std::string_view token =
      sp == std::string_view::npos ? std::string_view{} : trimOws(v.substr(sp));
  if (token.empty())
    return fail("basic_auth.empty_credentials", "no credentials after Basic");
  if (token.size() > kMaxEncodedCredentials)
    return fail("basic_auth.too_long", "Basic credentials longer than 4096 characters");
  std::optional<std::string> decoded = base64Decode(token);
  if (!decoded)
    return fail("basic_auth.invalid_format", "Basic credentials are not base64");
  Wipe wipe(*decoded);
  // The user-id cannot contain ':' (RFC 7617 §2), the password can: split at the first one.
  // (WSO2 split at every ':' and so truncated such passwords; we do not.)
  size_t colon = decoded->find(':');
  if (colon == std::string::npos)
    return fail("basic_auth.invalid_format", "Basic credentials have no ':'");
  std::string_view user_id = std::string_view(*decoded).substr(0, colon);
  std::string_view password = std::string_view(*decoded).substr(colon + 1);
  if (user_id.empty() || password.empty())
    return fail("basic_auth.empty_credentials", "empty user name or password");

  auto it = users_.find(toLower(user_id));
  if (it == users_.end()) {
    // Spend what a slow-hash user would, so response times do not tell which names exist.
    if (!decoy_.empty()) {
      auto d = users_.find(decoy_);
      if (d != users_.end())
        (void)verify(d->second, password);
    }
    return fail("basic_auth.unknown_user", "unknown user");
  }
  const User& u = it->second;
  bool slow = u.scheme == HashScheme::Bcrypt || u.scheme == HashScheme::Argon2;
  bool ok = false;
  if (slow && cache != nullptr) {
    VerificationCache::Key key = cacheKey(id_, u.name, password);
    int64_t now = nowMs();
    ok = cache->contains(key, now);
    if (!ok) {
      ok = verify(u, password);
      if (ok)
        cache->insert(key, now);
    }
  } else {
    ok = verify(u, password);
  }
  if (!ok)
    return fail("basic_auth.wrong_password", "wrong password");
  return AuthenticatedUser{u.name, u.scopes};
}

}  // namespace mgw::basic_auth
