// Basic authentication: every hash format (expected hashes computed here with OpenSSL, crypt_r
// and libargon2), WSO2's test users, header parsing and bad input.
#include "filters/basic_auth/user_store.h"

#include <argon2.h>
#include <crypt.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "mgw/base/strings.h"

namespace mgw::basic_auth {
namespace {

std::string digestHex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return hexEncode(std::string_view(reinterpret_cast<const char*>(out), len));
}

std::string toUpper(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string b64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string basic(std::string_view user_colon_password) {
  return "Basic " + b64(user_colon_password);
}

std::string bcryptHash(const std::string& password, const char* prefix) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // Cost 4, the minimum, keeps the test fast; the format is the same at any cost.
  if (crypt_gensalt_rn(prefix, 4, nullptr, 0, setting, sizeof setting) == nullptr)
    return {};
  auto data = std::make_unique<struct crypt_data>();
  const char* out = crypt_r(password.c_str(), setting, data.get());
  return out != nullptr && out[0] != '*' ? std::string(out) : std::string();
}

std::string argon2Hash(const std::string& password, argon2_type type, uint32_t t, uint32_t m,
                       uint32_t p) {
  const std::string salt = "saltsaltsaltsalt";
  char encoded[256];
  int rc = argon2_hash(t, m, p, password.data(), password.size(), salt.data(), salt.size(), nullptr,
                       32, encoded, sizeof encoded, type, ARGON2_VERSION_13);
  return rc == ARGON2_OK ? std::string(encoded) : std::string();
}

void expectFailure(const Result<AuthenticatedUser>& r, const std::string& reason, int code) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, reason) << r.error().message;
  Fault f = faultFor(r.error());
  EXPECT_EQ(f.http_status, 401);
  EXPECT_EQ(f.code, code);
}

// WSO2's integration-test users (tests/.../APIInvokeWithBasicAuthTestCase).
UserStore wso2Users() {
  UserStore s;
  EXPECT_TRUE(s.addUser("generalUser1", digestHex(EVP_sha1(), "password"), {}).ok());
  EXPECT_TRUE(
      s.addUser("user1", "@sha256:{" + digestHex(EVP_sha256(), "password") + "}", {"read", "write"})
          .ok());
  EXPECT_TRUE(
      s.addUser("user2", "@sha512:{" + digestHex(EVP_sha512(), "password1") + "}", {}).ok());
  return s;
}

TEST(BasicAuth, Wso2TestUsers) {
  UserStore s = wso2Users();
  ASSERT_EQ(s.size(), 3u);
  auto r = s.authenticate(basic("generalUser1:password"), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->name, "generaluser1");
  EXPECT_TRUE(r->scopes.empty());
  auto r1 = s.authenticate(basic("user1:password"), nullptr);
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  EXPECT_EQ(r1->scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_TRUE(s.authenticate(basic("user2:password1"), nullptr).ok());
  expectFailure(s.authenticate(basic("user2:password"), nullptr), "basic_auth.wrong_password",
                900911);
  expectFailure(s.authenticate(basic("user1:Password"), nullptr), "basic_auth.wrong_password",
                900911);
  expectFailure(s.authenticate(basic("nobody:password"), nullptr), "basic_auth.unknown_user",
                900911);
}

TEST(BasicAuth, EveryShaFormatAnyHexCase) {
  const std::string pw = "s3cr3t pa:ss";  // a ':' in the password is kept (RFC 7617)
  UserStore s;
  ASSERT_TRUE(s.addUser("a", toUpper(digestHex(EVP_sha1(), pw)), {}).ok());
  ASSERT_TRUE(s.addUser("b", "@sha256:" + digestHex(EVP_sha256(), pw), {}).ok());  // no braces
  ASSERT_TRUE(s.addUser("c", "@SHA384:{" + toUpper(digestHex(EVP_sha384(), pw)) + "}", {}).ok());
  ASSERT_TRUE(s.addUser("d", "@sha512:{" + digestHex(EVP_sha512(), pw) + "}", {}).ok());
  for (const char* u : {"a", "b", "c", "d"}) {
    EXPECT_TRUE(s.authenticate(basic(std::string(u) + ":" + pw), nullptr).ok()) << u;
    expectFailure(s.authenticate(basic(std::string(u) + ":" + pw + "x"), nullptr),
                  "basic_auth.wrong_password", 900911);
    expectFailure(s.authenticate(basic(std::string(u) + ":s3cr3t pa"), nullptr),
                  "basic_auth.wrong_password", 900911);
  }
  EXPECT_EQ(s.schemeOf("C"), HashScheme::Sha384);
}

TEST(BasicAuth, Bcrypt) {
  UserStore s;
  for (const char* prefix : {"$2b$", "$2a$", "$2y$"}) {
    std::string hash = bcryptHash("hunter2", prefix);
    ASSERT_EQ(hash.substr(0, 4), prefix);
    std::string name = std::string("u") + prefix[2];
    ASSERT_TRUE(s.addUser(name, hash, {"admin"}).ok()) << hash;
    EXPECT_EQ(s.schemeOf(name), HashScheme::Bcrypt);
    auto r = s.authenticate(basic(name + ":hunter2"), nullptr);
    ASSERT_TRUE(r.ok()) << prefix << ": " << r.error().message;
    EXPECT_EQ(r->scopes, std::vector<std::string>{"admin"});
    expectFailure(s.authenticate(basic(name + ":hunter3"), nullptr), "basic_auth.wrong_password",
                  900911);
    // crypt() takes C strings: a NUL must not cut the password short.
    expectFailure(s.authenticate(basic(name + std::string(":hunter2\0x", 10)), nullptr),
                  "basic_auth.wrong_password", 900911);
  }
}

TEST(BasicAuth, Argon2) {
  UserStore s;
  std::string id = argon2Hash("correct horse", Argon2_id, 2, 1024, 2);
  std::string i = argon2Hash("correct horse", Argon2_i, 2, 1024, 1);
  ASSERT_EQ(id.rfind("$argon2id$v=19$m=1024,t=2,p=2$", 0), 0u) << id;
  ASSERT_TRUE(s.addUser("alice", id, {"x"}).ok());
  ASSERT_TRUE(s.addUser("bob", i, {}).ok());
  EXPECT_EQ(s.schemeOf("alice"), HashScheme::Argon2);
  EXPECT_TRUE(s.authenticate(basic("alice:correct horse"), nullptr).ok());
  EXPECT_TRUE(s.authenticate(basic("bob:correct horse"), nullptr).ok());
  expectFailure(s.authenticate(basic("alice:correct horsE"), nullptr), "basic_auth.wrong_password",
                900911);
  expectFailure(s.authenticate(basic("bob:"), nullptr), "basic_auth.empty_credentials", 900911);
}

TEST(BasicAuth, SlowVerificationsAreCachedPerCredential) {
  UserStore s;
  ASSERT_TRUE(s.addUser("alice", argon2Hash("pw-alice", Argon2_id, 3, 16384, 1), {}).ok());
  VerificationCache cache(2);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(s.authenticate(basic("alice:pw-alice"), &cache).ok());
  auto first = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(cache.size(), 1u);
  t0 = std::chrono::steady_clock::now();
  for (int n = 0; n < 20; ++n)
    ASSERT_TRUE(s.authenticate(basic("alice:pw-alice"), &cache).ok());
  auto twenty_hits = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(twenty_hits, first * 5) << "cache hits should not re-run Argon2";
  // A wrong password is never served from the cache, nor cached.
  expectFailure(s.authenticate(basic("alice:pw-alicE"), &cache), "basic_auth.wrong_password",
                900911);
  EXPECT_EQ(cache.size(), 1u);
  // Another store (e.g. after a reload with a changed password) does not reuse the entry.
  UserStore other;
  ASSERT_TRUE(other.addUser("alice", argon2Hash("new", Argon2_id, 1, 64, 1), {}).ok());
  expectFailure(other.authenticate(basic("alice:pw-alice"), &cache), "basic_auth.wrong_password",
                900911);
  // The thread's own cache is used by the one-argument overload.
  EXPECT_TRUE(s.authenticate(basic("alice:pw-alice")).ok());
  EXPECT_TRUE(s.authenticate(basic("alice:pw-alice")).ok());
}

TEST(BasicAuth, CacheIsBoundedAndExpires) {
  VerificationCache cache(2, 1000);
  VerificationCache::Key a{}, b{}, c{};
  a[0] = 1;
  b[0] = 2;
  c[0] = 3;
  cache.insert(a, 0);
  cache.insert(b, 0);
  EXPECT_TRUE(cache.contains(a, 10));  // a becomes most recent
  cache.insert(c, 10);                 // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.contains(b, 10));
  EXPECT_TRUE(cache.contains(c, 10));
  EXPECT_FALSE(cache.contains(a, 5000));  // expired
  EXPECT_EQ(cache.size(), 1u);
  VerificationCache off(0);
  off.insert(a, 0);
  EXPECT_FALSE(off.contains(a, 0));
}

TEST(BasicAuth, SchemeParsing) {
  UserStore s = wso2Users();
  const std::string creds = b64("generalUser1:password");
  EXPECT_TRUE(s.authenticate("basic " + creds, nullptr).ok());
  EXPECT_TRUE(s.authenticate("BASIC " + creds, nullptr).ok());
  EXPECT_TRUE(s.authenticate("  Basic \t " + creds + "  ", nullptr).ok());
  EXPECT_TRUE(s.authenticate("Basic " + creds.substr(0, creds.find('=')), nullptr).ok())
      << "padding is optional";
  EXPECT_TRUE(s.authenticate(basic("GENERALUSER1:password"), nullptr).ok())
      << "user names are case-insensitive (config keys are)";
  expectFailure(s.authenticate("Bearer " + creds, nullptr), "basic_auth.not_basic", 900911);
  expectFailure(s.authenticate("Basicx " + creds, nullptr), "basic_auth.not_basic", 900911);
  expectFailure(s.authenticate("", nullptr), "basic_auth.not_basic", 900911);
  expectFailure(s.authenticate("Basic", nullptr), "basic_auth.empty_credentials", 900911);
  expectFailure(s.authenticate("Basic   ", nullptr), "basic_auth.empty_credentials", 900911);
  EXPECT_TRUE(UserStore::isBasic("basic abc"));
  EXPECT_TRUE(UserStore::isBasic("Basic"));
  EXPECT_FALSE(UserStore::isBasic("Bearer abc"));
  EXPECT_FALSE(UserStore::isBasic("Basically abc"));
}

TEST(BasicAuth, EmptyPasswordOrUserRejected) {
  UserStore s = wso2Users();
  expectFailure(s.authenticate(basic("generalUser1: "), nullptr), "basic_auth.wrong_password",
                900911);  // WSO2's `user: ` case: the password is one space
  expectFailure(s.authenticate(basic("generalUser1:"), nullptr), "basic_auth.empty_credentials",
                900911);
  expectFailure(s.authenticate(basic(":password"), nullptr), "basic_auth.empty_credentials",
                900911);
  expectFailure(s.authenticate(basic(":"), nullptr), "basic_auth.empty_credentials", 900911);
}

TEST(BasicAuth, InvalidFormat) {
  UserStore s = wso2Users();
  auto no_colon = s.authenticate(basic("generalUser1password"), nullptr);
  expectFailure(no_colon, "basic_auth.invalid_format", 900912);
  Fault f = faultFor(no_colon.error());
  EXPECT_EQ(f.message, "Invalid Format");
  EXPECT_EQ(f.description,
            "Make sure you have given the credentials in correct format with \":\" character");
  for (const char* bad : {"Basic not*base64", "Basic Z2Vu ZXJh", "Basic Zm9v=YmFy",
                          "Basic Zm9vYmFy===", "Basic A", "Basic Zm9v-_Fy", "Basic ===="}) {
    expectFailure(s.authenticate(bad, nullptr), "basic_auth.invalid_format", 900912);
  }
  Fault creds = faultFor(makeError("basic_auth.wrong_password"));
  EXPECT_EQ(creds.message, "Invalid Credentials");
  EXPECT_EQ(creds.description, "Make sure you have given the correct username and password");
}

TEST(BasicAuth, VeryLongHeaderIsBoundedWork) {
  UserStore s;
  ASSERT_TRUE(s.addUser("alice", argon2Hash("pw", Argon2_id, 3, 16384, 1), {}).ok());
  std::string huge = "Basic " + std::string(1 << 20, 'A');
  auto t0 = std::chrono::steady_clock::now();
  expectFailure(s.authenticate(huge, nullptr), "basic_auth.too_long", 900911);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
  // Just under the bound: decoded and checked normally (a long password for a known user).
  std::string big_pw(3000, 'p');
  std::string v = basic("alice:" + big_pw);
  ASSERT_LE(v.size() - 6, UserStore::kMaxEncodedCredentials);
  expectFailure(s.authenticate(v, nullptr), "basic_auth.wrong_password", 900911);
  // Arbitrary bytes never crash.
  std::string junk;
  for (int i = 0; i < 256; ++i)
    junk.push_back(static_cast<char>(i));
  EXPECT_FALSE(s.authenticate(junk, nullptr).ok());
  EXPECT_FALSE(s.authenticate("Basic " + b64(junk), nullptr).ok());
}

TEST(BasicAuth, BadHashesRejectedAtLoad) {
  UserStore s;
  for (const char* bad :
       {"password", "", "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd",  // 39 hex digits
        "5baa61e4c9b93f3f0682250b6cf8331b7ee68fdz", "@sha256:{abcd}", "@md5:{abcd}",
        "@sha512:{5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8}", "$2b$03$abc", "$2b$12$short",
        "$argon2id$v=19$m=1024,t=2$c2FsdHNhbHQ$aGFzaGhhc2g", "$argon2x$v=19$m=1,t=1,p=1$a$b",
        "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=1024,t=2,p=1$c2Fs$aGFzaGhhc2hoYXNoaGFzaA"}) {
    Status st = s.addUser("u", bad, {});
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.error().reason, "basic_auth.bad_password_hash") << bad;
  }
  EXPECT_TRUE(s.empty());
  ASSERT_TRUE(s.addUser("u", digestHex(EVP_sha1(), "x"), {}).ok());
  EXPECT_EQ(s.addUser("U", digestHex(EVP_sha1(), "x"), {}).error().reason,
            "basic_auth.duplicate_user");
  EXPECT_EQ(s.addUser("a:b", digestHex(EVP_sha1(), "x"), {}).error().reason,
            "basic_auth.bad_user_name");
}

TEST(BasicAuth, FromGatewayConfigValues) {
  config::GatewayConfig cfg;
  cfg.values["b7a.users.generaluser1.password"] = digestHex(EVP_sha1(), "password");
  cfg.values["b7a.users.generaluser1.scopes"] = "read, write,";
  cfg.values["b7a.users.user1.password"] = "@sha256:{" + digestHex(EVP_sha256(), "password") + "}";
  cfg.values["b7a.users.orphan.scopes"] = "x";
  cfg.values["listenerconfig.httpport"] = "9090";
  auto store = UserStore::fromConfig(cfg);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(store->size(), 2u);
  auto r = store->authenticate(basic("generalUser1:password"), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_FALSE(store->contains("orphan"));

  cfg.values["b7a.users.bad.password"] = "plaintext-secret";
  cfg.sources["b7a.users.bad.password"] = "micro-gw.conf:7:1";
  auto bad = UserStore::fromConfig(cfg);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "basic_auth.bad_password_hash");
  EXPECT_NE(bad.error().message.find("b7a.users.bad.password"), std::string::npos);
  EXPECT_NE(bad.error().message.find("micro-gw.conf:7:1"), std::string::npos);
  EXPECT_EQ(bad.error().message.find("plaintext-secret"), std::string::npos);
}

TEST(BasicAuth, FromTomlFile) {
  char path[] = "/tmp/mgw-basic-auth-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream f(path);
    f << "[b7a.users]\n[b7a.users.generalUser1]\npassword = \"" << digestHex(EVP_sha1(), "password")
      << "\"\nscopes = \"scope1,scope2\"\n"
      << "[\"b7a.users.user2\"]\npassword = \"@sha512:{" << digestHex(EVP_sha512(), "password1")
      << "}\"\n";
  }
  config::LoadOptions opts;
  opts.config_path = path;
  opts.use_environment = false;
  auto cfg = config::load(opts);
  std::remove(path);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  auto store = UserStore::fromConfig(*cfg);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto r = store->authenticate(basic("generalUser1:password"), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->scopes, (std::vector<std::string>{"scope1", "scope2"}));
  EXPECT_TRUE(store->authenticate(basic("user2:password1"), nullptr).ok());
}

}  // namespace
}  // namespace mgw::basic_auth
