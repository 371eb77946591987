#include "mgw/artifact/artifact_io.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "artifact/json_codec.h"
#include "mgw/base/strings.h"

namespace mgw::artifact {
namespace {

using nlohmann::json;

// Every field set to a non-default value, so a field that is dropped or defaulted on the way
// through shows up as a difference.
Artifact fullModel() {
  Artifact a;
  a.project = "petstore";
  a.toolkit_version = "0.1.0";

  Endpoint lb;
  lb.name = "prodEp";
  lb.type = EndpointType::LoadBalance;
  lb.urls = {{"http://a:8080/api", ""}, {"http://b:8080/api", "shopKey"}};
  lb.security = EndpointSecurity{"basic", "svc", "secret"};
  lb.advance.timeout_ms = 5000;
  lb.advance.retry = RetryConfig{2, 150, 1.5, 4000, {502, 503}};
  lb.advance.circuit_breaker = CircuitBreakerConfig{7, 30000, 5000, 0.25, 1200, {500}};
  lb.advance.pool = PoolConfig{12, 34, 5600, 78};
  Endpoint fo;
  fo.name = "api_abc";
  fo.type = EndpointType::Failover;
  fo.urls = {{"https://c:8443/x", ""}};
  Endpoint http;
  http.name = "op_ep";
  http.type = EndpointType::Http;
  http.urls = {{"http://d/", ""}};
  a.endpoints = {lb, fo, http};

  Api api;
  api.name = "PetStore \"quoted\" ünïcode";
  api.version = "1.0.0";
  api.base_path = "/petstore/v1";
  api.owner = "admin";
  api.transports = {"http", "https"};
  api.mutual_ssl = MutualSsl::Optional;
  api.auth_header = "X-Auth";
  api.throttling_tier = "15PerMin";
  api.cors = Cors{{"*", "https://x"}, true, {"authorization"}, {"GET", "POST"}};
  api.response_cache = ResponseCache{true, 60};
  api.endpoints.production = 0;
  api.endpoints.sandbox = 1;
  api.source = SourceRef{"api_definitions/petstore.yaml", 3};

  Resource r;
  r.path_template = "/pet/{petId}";
  r.method = "GET";
  r.operation_id = "getPetById";
  r.endpoints.production = 2;
  r.endpoints.sandbox = 1;
  r.disable_security = true;
  r.auth = {AuthScheme{AuthScheme::Type::ApiKey, "apiKeyHeader", "header", "api_key"},
            AuthScheme{AuthScheme::Type::Basic, "basicAuth", "", ""},
            AuthScheme{AuthScheme::Type::OAuth2, "", "", ""}};
  r.app_security_optional = true;
  r.scopes = {"read:pets", "write:pets"};
  r.throttling_tier = "3PerMin";
  r.request_interceptors = {Interceptor{"validateRequest", InterceptorKind::Function},
                            Interceptor{"org/mod:fn", InterceptorKind::Module}};
  r.response_interceptors = {Interceptor{"java:org.Foo", InterceptorKind::Java}};
  r.request_schema = R"({"type":"object"})";
  r.response_schemas = {{"200", R"({"type":"array"})"}, {"default", "{}"}};
  r.source = SourceRef{"api_definitions/petstore.yaml", 42};
  Resource plain;
  plain.path_template = "/pets";
  plain.method = "POST";
  api.resources = {r, plain};

  Api root;
  root.name = "Root";
  root.version = "2";
  root.base_path = "/";
  a.apis = {api, root};

  a.policies.resource = {ThrottlePolicy{"3PerMin", 3, 1, TimeUnit::Minute, true},
                         ThrottlePolicy{"s", 1, 2, TimeUnit::Second, false},
                         ThrottlePolicy{"h", 1, 1, TimeUnit::Hour, true}};
  a.policies.application = {ThrottlePolicy{"d", 5, 1, TimeUnit::Day, true},
                            ThrottlePolicy{"w", 5, 1, TimeUnit::Week, true}};
  a.policies.subscription = {ThrottlePolicy{"m", 5, 1, TimeUnit::Month, false},
                             ThrottlePolicy{"y", 5, 1, TimeUnit::Year, true}};
  a.interceptor_sources = {{"interceptors/validate.lua", "return function() end\n"}};
  return a;
}

std::string mustSerialize(const Artifact& a, std::string_view key = {}) {
  auto r = serialize(a, key);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason + ": " + r.error().message);
  return r.ok() ? *r : std::string();
}

// Splits file bytes into header JSON and payload.
std::pair<json, std::string> split(const std::string& bytes) {
  size_t eol = bytes.find('\n', 5);
  return {json::parse(bytes.substr(5, eol - 5)), bytes.substr(eol + 1)};
}

// Rebuilds file bytes from a payload with a correct checksum (to reach the payload checks).
std::string withPayload(const std::string& payload) {
  return "MGWA\n{\"format\":\"mgw-artifact\",\"version\":1,\"sha256\":\"" + sha256Hex(payload) +
         "\"}\n" + payload;
}

std::string reasonOf(std::string_view bytes, std::string_view key = {}) {
  auto r = deserialize(bytes, key);
  return r.ok() ? std::string("ok") : r.error().reason;
}

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

KeyPair generateEd25519() {
  KeyPair kp;
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  EXPECT_NE(key, nullptr);
  if (key == nullptr)
    return kp;
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, key);
  char* data = nullptr;
  long n = BIO_get_mem_data(priv, &data);
  kp.private_pem.assign(data, static_cast<size_t>(n));
  n = BIO_get_mem_data(pub, &data);
  kp.public_pem.assign(data, static_cast<size_t>(n));
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return kp;
}

TEST(ArtifactIoTest, RoundTripsEveryField) {
  const Artifact a = fullModel();
  auto back = deserialize(mustSerialize(a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  const Artifact& b = *back;
  EXPECT_EQ(b.project, "petstore");
  EXPECT_EQ(b.toolkit_version, "0.1.0");

  ASSERT_EQ(b.endpoints.size(), 3u);
  const Endpoint& lb = b.endpoints[0];
  EXPECT_EQ(lb.name, "prodEp");
  EXPECT_EQ(lb.type, EndpointType::LoadBalance);
  ASSERT_EQ(lb.urls.size(), 2u);
  EXPECT_EQ(lb.urls[1].url, "http://b:8080/api");
  EXPECT_EQ(lb.urls[1].etcd_key, "shopKey");
  EXPECT_EQ(lb.urls[0].etcd_key, "");
  ASSERT_TRUE(lb.security.has_value());
  EXPECT_EQ(lb.security->type, "basic");
  EXPECT_EQ(lb.security->username, "svc");
  EXPECT_EQ(lb.security->password, "secret");
  EXPECT_EQ(lb.advance.timeout_ms, 5000);
  ASSERT_TRUE(lb.advance.retry.has_value());
  EXPECT_EQ(lb.advance.retry->count, 2);
  EXPECT_EQ(lb.advance.retry->interval_ms, 150);
  EXPECT_EQ(lb.advance.retry->back_off_factor, 1.5);
  EXPECT_EQ(lb.advance.retry->max_wait_interval_ms, 4000);
  EXPECT_EQ(lb.advance.retry->status_codes, (std::vector<int>{502, 503}));
  ASSERT_TRUE(lb.advance.circuit_breaker.has_value());
  EXPECT_EQ(lb.advance.circuit_breaker->request_volume_threshold, 7);
  EXPECT_EQ(lb.advance.circuit_breaker->time_window_ms, 30000);
  EXPECT_EQ(lb.advance.circuit_breaker->bucket_size_ms, 5000);
  EXPECT_EQ(lb.advance.circuit_breaker->failure_threshold, 0.25);
  EXPECT_EQ(lb.advance.circuit_breaker->reset_time_ms, 1200);
  EXPECT_EQ(lb.advance.circuit_breaker->status_codes, (std::vector<int>{500}));
  ASSERT_TRUE(lb.advance.pool.has_value());
  EXPECT_EQ(lb.advance.pool->max_active_connections, 12);
  EXPECT_EQ(lb.advance.pool->max_idle_connections, 34);
  EXPECT_EQ(lb.advance.pool->wait_time_ms, 5600);
  EXPECT_EQ(lb.advance.pool->max_active_streams_per_connection, 78);
  EXPECT_EQ(b.endpoints[1].type, EndpointType::Failover);
  EXPECT_FALSE(b.endpoints[1].security.has_value());
  EXPECT_FALSE(b.endpoints[1].advance.timeout_ms.has_value());
  EXPECT_FALSE(b.endpoints[1].advance.retry.has_value());
  EXPECT_FALSE(b.endpoints[1].advance.circuit_breaker.has_value());
  EXPECT_FALSE(b.endpoints[1].advance.pool.has_value());
  EXPECT_EQ(b.endpoints[2].type, EndpointType::Http);

  ASSERT_EQ(b.apis.size(), 2u);
  const Api& api = b.apis[0];
  EXPECT_EQ(api.name, "PetStore \"quoted\" ünïcode");
  EXPECT_EQ(api.version, "1.0.0");
  EXPECT_EQ(api.base_path, "/petstore/v1");
  EXPECT_EQ(api.owner, "admin");
  EXPECT_EQ(api.transports, (std::vector<std::string>{"http", "https"}));
  EXPECT_EQ(api.mutual_ssl, MutualSsl::Optional);
  EXPECT_EQ(api.auth_header, "X-Auth");
  EXPECT_EQ(api.throttling_tier, "15PerMin");
  ASSERT_TRUE(api.cors.has_value());
  EXPECT_EQ(api.cors->allow_origins, (std::vector<std::string>{"*", "https://x"}));
  EXPECT_TRUE(api.cors->allow_credentials);
  EXPECT_EQ(api.cors->allow_headers, (std::vector<std::string>{"authorization"}));
  EXPECT_EQ(api.cors->allow_methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_TRUE(api.response_cache.enabled);
  EXPECT_EQ(api.response_cache.timeout_seconds, 60);
  EXPECT_EQ(api.endpoints.production, 0u);
  EXPECT_EQ(api.endpoints.sandbox, 1u);
  EXPECT_EQ(api.source.file, "api_definitions/petstore.yaml");
  EXPECT_EQ(api.source.line, 3);

  ASSERT_EQ(api.resources.size(), 2u);
  const Resource& r = api.resources[0];
  EXPECT_EQ(r.path_template, "/pet/{petId}");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.operation_id, "getPetById");
  EXPECT_EQ(r.endpoints.production, 2u);
  EXPECT_EQ(r.endpoints.sandbox, 1u);
  EXPECT_TRUE(r.disable_security);
  ASSERT_EQ(r.auth.size(), 3u);
  EXPECT_EQ(r.auth[0].type, AuthScheme::Type::ApiKey);
  EXPECT_EQ(r.auth[0].name, "apiKeyHeader");
  EXPECT_EQ(r.auth[0].in, "header");
  EXPECT_EQ(r.auth[0].key_name, "api_key");
  EXPECT_EQ(r.auth[1].type, AuthScheme::Type::Basic);
  EXPECT_EQ(r.auth[2].type, AuthScheme::Type::OAuth2);
  EXPECT_TRUE(r.app_security_optional);
  EXPECT_EQ(r.scopes, (std::vector<std::string>{"read:pets", "write:pets"}));
  EXPECT_EQ(r.throttling_tier, "3PerMin");
  ASSERT_EQ(r.request_interceptors.size(), 2u);
  EXPECT_EQ(r.request_interceptors[0].ref, "validateRequest");
  EXPECT_EQ(r.request_interceptors[0].kind, InterceptorKind::Function);
  EXPECT_EQ(r.request_interceptors[1].kind, InterceptorKind::Module);
  ASSERT_EQ(r.response_interceptors.size(), 1u);
  EXPECT_EQ(r.response_interceptors[0].ref, "java:org.Foo");
  EXPECT_EQ(r.response_interceptors[0].kind, InterceptorKind::Java);
  EXPECT_EQ(r.request_schema, R"({"type":"object"})");
  EXPECT_EQ(r.response_schemas.at("200"), R"({"type":"array"})");
  EXPECT_EQ(r.response_schemas.at("default"), "{}");
  EXPECT_EQ(r.source.line, 42);

  const Resource& plain = api.resources[1];
  EXPECT_FALSE(plain.endpoints.production.has_value());
  EXPECT_FALSE(plain.disable_security);
  EXPECT_TRUE(plain.auth.empty());
  EXPECT_EQ(plain.source.line, 0);
  EXPECT_FALSE(b.apis[1].cors.has_value());
  EXPECT_EQ(b.apis[1].mutual_ssl, MutualSsl::None);
  EXPECT_EQ(b.apis[1].response_cache.timeout_seconds, 300);

  ASSERT_EQ(b.policies.resource.size(), 3u);
  EXPECT_EQ(b.policies.resource[0].name, "3PerMin");
  EXPECT_EQ(b.policies.resource[0].count, 3);
  EXPECT_EQ(b.policies.resource[0].time_unit, TimeUnit::Minute);
  EXPECT_EQ(b.policies.resource[1].unit_time, 2);
  EXPECT_EQ(b.policies.resource[1].time_unit, TimeUnit::Second);
  EXPECT_FALSE(b.policies.resource[1].stop_on_quota);
  EXPECT_EQ(b.policies.resource[2].time_unit, TimeUnit::Hour);
  ASSERT_EQ(b.policies.application.size(), 2u);
  EXPECT_EQ(b.policies.application[0].time_unit, TimeUnit::Day);
  EXPECT_EQ(b.policies.application[1].time_unit, TimeUnit::Week);
  ASSERT_EQ(b.policies.subscription.size(), 2u);
  EXPECT_EQ(b.policies.subscription[0].time_unit, TimeUnit::Month);
  EXPECT_EQ(b.policies.subscription[1].time_unit, TimeUnit::Year);
  EXPECT_EQ(b.interceptor_sources.at("interceptors/validate.lua"), "return function() end\n");

  // Nothing beyond what was checked above differs either.
  EXPECT_EQ(toJson(b, true), toJson(a, true));
}

TEST(ArtifactIoTest, EnumsAreLowercaseNames) {
  json j = json::parse(toJson(fullModel(), false));
  EXPECT_EQ(j["endpoints"][0]["type"], "load_balance");
  EXPECT_EQ(j["endpoints"][1]["type"], "failover");
  EXPECT_EQ(j["endpoints"][2]["type"], "http");
  EXPECT_EQ(j["apis"][0]["mutual_ssl"], "optional");
  EXPECT_EQ(j["apis"][1]["mutual_ssl"], "none");
  EXPECT_EQ(j["apis"][0]["resources"][0]["auth"][0]["type"], "api_key");
  EXPECT_EQ(j["apis"][0]["resources"][0]["request_interceptors"][1]["kind"], "module");
  EXPECT_EQ(j["policies"]["resource"][1]["time_unit"], "sec");
  EXPECT_EQ(j["policies"]["subscription"][1]["time_unit"], "year");
  // Optional members are omitted when empty.
  EXPECT_FALSE(j["endpoints"][1].contains("security"));
  EXPECT_FALSE(j["endpoints"][1].contains("advance"));
  EXPECT_FALSE(j["apis"][1].contains("cors"));
  EXPECT_FALSE(j["apis"][1].contains("owner"));
  EXPECT_FALSE(j["apis"][0]["resources"][1].contains("scopes"));
}

TEST(ArtifactIoTest, PrettyJsonIsTheSameDocument) {
  const Artifact a = fullModel();
  std::string pretty = toJson(a, true);
  EXPECT_NE(pretty.find("\n  \"apis\""), std::string::npos);
  EXPECT_EQ(json::parse(pretty), json::parse(toJson(a, false)));
}

TEST(ArtifactIoTest, IsDeterministic) {
  const Artifact a = fullModel();
  std::string first = mustSerialize(a);
  EXPECT_EQ(first, mustSerialize(a));
  auto back = deserialize(first);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(mustSerialize(*back), first);
  EXPECT_EQ(first.substr(0, 5), "MGWA\n");
  auto [header, payload] = split(first);
  EXPECT_EQ(payload, toJson(a, false));
  EXPECT_EQ(header["sha256"], sha256Hex(payload));
  // Fixed header member order, no signature member when unsigned.
  EXPECT_EQ(first.substr(5, first.find('\n', 5) - 5),
            R"({"format":"mgw-artifact","version":1,"sha256":")" + sha256Hex(payload) + "\"}");
}

TEST(ArtifactIoTest, EmptyModelRoundTrips) {
  Artifact a;
  auto back = deserialize(mustSerialize(a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->apis.empty());
  EXPECT_EQ(mustSerialize(*back), mustSerialize(a));
}

TEST(ArtifactIoTest, FlippedPayloadByteIsChecksumMismatch) {
  std::string bytes = mustSerialize(fullModel());
  bytes[bytes.size() - 10] ^= 0x01;
  EXPECT_EQ(reasonOf(bytes), "artifact.checksum_mismatch");
}

TEST(ArtifactIoTest, EditedHeaderVersionIsUnsupported) {
  std::string bytes = mustSerialize(fullModel());
  size_t pos = bytes.find("\"version\":1");
  ASSERT_NE(pos, std::string::npos);
  bytes.replace(pos, 11, "\"version\":2");
  auto r = deserialize(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "artifact.unsupported_version");
  EXPECT_NE(r.error().message.find("version 2"), std::string::npos);
  EXPECT_NE(r.error().message.find("version 1"), std::string::npos);
}

TEST(ArtifactIoTest, BadHeaderFieldsAreRejected) {
  std::string payload = toJson(fullModel(), false);
  std::string sha = sha256Hex(payload);
  auto file = [&](const std::string& header) { return "MGWA\n" + header + "\n" + payload; };
  EXPECT_EQ(reasonOf(file(R"({"format":"other","version":1,"sha256":")" + sha + "\"}")),
            "artifact.bad_magic");
  EXPECT_EQ(reasonOf(file(R"({"version":1,"sha256":")" + sha + "\"}")), "artifact.bad_magic");
  EXPECT_EQ(reasonOf(file(R"({"format":"mgw-artifact","version":"1","sha256":")" + sha + "\"}")),
            "artifact.malformed");
  EXPECT_EQ(reasonOf(file(R"({"format":"mgw-artifact","version":-1,"sha256":")" + sha + "\"}")),
            "artifact.unsupported_version");
  EXPECT_EQ(reasonOf(file(R"({"format":"mgw-artifact","version":1})")), "artifact.malformed");
  EXPECT_EQ(reasonOf(file(R"({"format":"mgw-artifact","version":1,"sha256":5})")),
            "artifact.malformed");
  EXPECT_EQ(reasonOf(file(R"({"format":"mgw-artifact","version":1,"sha256":")" + sha +
                          R"(","signature":7})")),
            "artifact.malformed");
  EXPECT_EQ(reasonOf(file("[1,2]")), "artifact.malformed");
  EXPECT_EQ(reasonOf(file("{not json")), "artifact.malformed");
  EXPECT_EQ(reasonOf(file(R"({"format":"mgw-artifact","version":1,"sha256":")" + sha + "\"}")),
            "ok");
}

TEST(ArtifactIoTest, BadMagicIsRejected) {
  std::string bytes = mustSerialize(fullModel());
  EXPECT_EQ(reasonOf("MGWB" + bytes.substr(4)), "artifact.bad_magic");
  EXPECT_EQ(reasonOf(""), "artifact.bad_magic");
  EXPECT_EQ(reasonOf("MGW"), "artifact.bad_magic");
  EXPECT_EQ(reasonOf("{\"project\":\"x\"}"), "artifact.bad_magic");
}

TEST(ArtifactIoTest, EveryTruncationIsRejectedWithoutCrashing) {
  std::string bytes = mustSerialize(fullModel());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string reason = reasonOf(std::string_view(bytes).substr(0, n));
    EXPECT_NE(reason, "ok") << "truncated at " << n;
  }
}

TEST(ArtifactIoTest, ByteFlipsNeverCrash) {
  std::string bytes = mustSerialize(fullModel());
  for (size_t i = 0; i < bytes.size(); i += 7) {
    std::string copy = bytes;
    copy[i] = static_cast<char>(copy[i] ^ 0x5a);
    (void)reasonOf(copy);
  }
}

TEST(ArtifactIoTest, SignsAndVerifies) {
  KeyPair kp = generateEd25519();
  std::string bytes = mustSerialize(fullModel(), kp.private_pem);
  auto [header, payload] = split(bytes);
  ASSERT_TRUE(header.contains("signature"));
  EXPECT_EQ(header["signature"].get<std::string>().size(), 88u);  // 64 bytes in base64
  // Ed25519 is deterministic (RFC 8032), so signed artifacts are reproducible too.
  EXPECT_EQ(bytes, mustSerialize(fullModel(), kp.private_pem));
  auto ok = deserialize(bytes, kp.public_pem);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->project, "petstore");
  // Without a verification key, a signed artifact still loads.
  EXPECT_EQ(reasonOf(bytes), "ok");
}

TEST(ArtifactIoTest, TamperedPayloadWithRecomputedChecksumFailsSignature) {
  KeyPair kp = generateEd25519();
  std::string bytes = mustSerialize(fullModel(), kp.private_pem);
  auto [header, payload] = split(bytes);
  size_t pos = payload.find("http://a:8080/api");
  ASSERT_NE(pos, std::string::npos);
  payload.replace(pos, 17, "http://evil/apiii");
  std::string forged = "MGWA\n{\"format\":\"mgw-artifact\",\"version\":1,\"sha256\":\"" +
                       sha256Hex(payload) + "\",\"signature\":\"" +
                       header["signature"].get<std::string>() + "\"}\n" + payload;
  EXPECT_EQ(reasonOf(forged), "ok");  // the checksum alone cannot detect it
  EXPECT_EQ(reasonOf(forged, kp.public_pem), "artifact.signature_invalid");
}

TEST(ArtifactIoTest, SignatureFromAnotherKeyIsInvalid) {
  KeyPair signer = generateEd25519();
  KeyPair other = generateEd25519();
  std::string bytes = mustSerialize(fullModel(), signer.private_pem);
  EXPECT_EQ(reasonOf(bytes, other.public_pem), "artifact.signature_invalid");
}

TEST(ArtifactIoTest, GarbledSignatureIsInvalid) {
  KeyPair kp = generateEd25519();
  std::string payload = toJson(fullModel(), false);
  auto file = [&](const std::string& sig) {
    return "MGWA\n{\"format\":\"mgw-artifact\",\"version\":1,\"sha256\":\"" + sha256Hex(payload) +
           "\",\"signature\":\"" + sig + "\"}\n" + payload;
  };
  EXPECT_EQ(reasonOf(file(""), kp.public_pem), "artifact.signature_invalid");
  EXPECT_EQ(reasonOf(file("not base64!"), kp.public_pem), "artifact.signature_invalid");
  EXPECT_EQ(reasonOf(file("QUJD"), kp.public_pem), "artifact.signature_invalid");
  EXPECT_EQ(reasonOf(file(std::string(86, 'A') + "=="), kp.public_pem),
            "artifact.signature_invalid");
}

TEST(ArtifactIoTest, UnsignedArtifactWithKeyRequiredIsSignatureMissing) {
  KeyPair kp = generateEd25519();
  EXPECT_EQ(reasonOf(mustSerialize(fullModel()), kp.public_pem), "artifact.signature_missing");
}

TEST(ArtifactIoTest, BadKeysAreErrors) {
  KeyPair kp = generateEd25519();
  auto r = serialize(fullModel(), "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "artifact.bad_key");
  // A public key where a private one is expected, and the reverse.
  EXPECT_FALSE(serialize(fullModel(), kp.public_pem).ok());
  std::string bytes = mustSerialize(fullModel(), kp.private_pem);
  EXPECT_EQ(reasonOf(bytes, "garbage"), "artifact.bad_key");

  // An RSA key is not an Ed25519 key.
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  ASSERT_NE(rsa, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, rsa, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string rsa_pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(rsa);
  auto rr = serialize(fullModel(), rsa_pem);
  ASSERT_FALSE(rr.ok());
  EXPECT_EQ(rr.error().reason, "artifact.bad_key");
}

TEST(ArtifactIoTest, WrongTypeFieldIsMalformedWithPointer) {
  json j = json::parse(toJson(fullModel(), false));
  j["apis"][0]["resources"][0]["disable_security"] = "yes";
  auto r = deserialize(withPayload(j.dump()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "artifact.malformed");
  EXPECT_NE(r.error().message.find("/apis/0/resources/0/disable_security"), std::string::npos)
      << r.error().message;
}

struct Mutation {
  const char* pointer;  // JSON pointer of the member to change
  json value;           // nullptr = remove the member
  const char* expected_in_message;
};

TEST(ArtifactIoTest, EachBadPayloadMemberIsMalformed) {
  const json base = json::parse(toJson(fullModel(), false));
  const std::vector<Mutation> cases = {
      {"/project", 5, "/project"},
      {"/project", nullptr, "/project"},
      {"/apis", json::object(), "/apis"},
      {"/apis/0", "x", "/apis/0"},
      {"/apis/0/base_path", nullptr, "/apis/0/base_path"},
      {"/apis/0/mutual_ssl", "sometimes", "/apis/0/mutual_ssl"},
      {"/apis/0/transports", json::array({1}), "/apis/0/transports/0"},
      {"/apis/0/cors/allow_credentials", 1, "/apis/0/cors/allow_credentials"},
      {"/apis/0/response_cache", nullptr, "/apis/0/response_cache"},
      {"/apis/0/response_cache/timeout_seconds", 1.5, "/apis/0/response_cache/timeout_seconds"},
      {"/apis/0/endpoints/production", 3, "/apis/0/endpoints/production"},
      {"/apis/0/endpoints/production", -1, "/apis/0/endpoints/production"},
      {"/apis/0/resources/0/endpoints/sandbox", 99, "/apis/0/resources/0/endpoints/sandbox"},
      {"/apis/0/resources/0/method", nullptr, "/apis/0/resources/0/method"},
      {"/apis/0/resources/0/auth/0/type", "jwt", "/apis/0/resources/0/auth/0/type"},
      {"/apis/0/resources/0/request_interceptors/0/kind", "bal",
       "/apis/0/resources/0/request_interceptors/0/kind"},
      {"/apis/0/resources/0/response_schemas/200", json::object(),
       "/apis/0/resources/0/response_schemas/200"},
      {"/apis/0/resources/0/source/line", -4, "/apis/0/resources/0/source/line"},
      {"/endpoints/0/type", "round_robin", "/endpoints/0/type"},
      {"/endpoints/0/urls", nullptr, "/endpoints/0/urls"},
      {"/endpoints/0/urls/0/url", json::array(), "/endpoints/0/urls/0/url"},
      {"/endpoints/0/advance/timeout_ms", "5s", "/endpoints/0/advance/timeout_ms"},
      {"/endpoints/0/advance/retry/count", 4294967296LL, "/endpoints/0/advance/retry/count"},
      {"/endpoints/0/advance/retry/back_off_factor", "x",
       "/endpoints/0/advance/retry/back_off_factor"},
      {"/endpoints/0/advance/retry/status_codes", json::array({"503"}),
       "/endpoints/0/advance/retry/status_codes/0"},
      {"/endpoints/0/advance/circuit_breaker/time_window_ms", 18446744073709551615ULL,
       "/endpoints/0/advance/circuit_breaker/time_window_ms"},
      {"/endpoints/0/advance/pool", 1, "/endpoints/0/advance/pool"},
      {"/policies", nullptr, "/policies"},
      {"/policies/resource/0/time_unit", "fortnight", "/policies/resource/0/time_unit"},
      {"/policies/application/0/stop_on_quota", "true", "/policies/application/0/stop_on_quota"},
      {"/interceptor_sources/interceptors~1validate.lua", 1,
       "/interceptor_sources/interceptors~1validate.lua"},
  };
  for (const auto& c : cases) {
    json j = base;
    json::json_pointer ptr(c.pointer);
    if (c.value.is_null()) {
      j[ptr.parent_pointer()].erase(ptr.back());
    } else {
      j[ptr] = c.value;
    }
    auto r = deserialize(withPayload(j.dump()));
    ASSERT_FALSE(r.ok()) << c.pointer;
    EXPECT_EQ(r.error().reason, "artifact.malformed") << c.pointer;
    EXPECT_NE(r.error().message.find(c.expected_in_message), std::string::npos)
        << c.pointer << " -> " << r.error().message;
  }
}

TEST(ArtifactIoTest, NonObjectOrInvalidPayloadIsMalformed) {
  EXPECT_EQ(reasonOf(withPayload("[]")), "artifact.malformed");
  EXPECT_EQ(reasonOf(withPayload("")), "artifact.malformed");
  EXPECT_EQ(reasonOf(withPayload("{\"project\":")), "artifact.malformed");
  EXPECT_EQ(reasonOf(withPayload("{\"project\":\"\xff\"}")), "artifact.malformed");
  // Deep nesting must not overflow the stack.
  EXPECT_EQ(reasonOf(withPayload(std::string(200000, '[') + std::string(200000, ']'))),
            "artifact.malformed");
  std::string deep = R"({"project":"p","toolkit_version":"v","apis":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  EXPECT_EQ(reasonOf(withPayload(deep)), "artifact.malformed");
}

TEST(ArtifactIoTest, UnknownMembersAreIgnored) {
  json j = json::parse(toJson(fullModel(), false));
  j["future"] = {{"x", 1}};
  j["apis"][0]["also_new"] = true;
  EXPECT_EQ(reasonOf(withPayload(j.dump())), "ok");
}

TEST(ArtifactIoTest, SerializeRefusesWhatCannotBeRead) {
  Artifact a = fullModel();
  a.apis[0].resources[0].endpoints.production = 17;
  auto r = serialize(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "artifact.malformed");

  Artifact nan = fullModel();
  nan.endpoints[0].advance.retry->back_off_factor = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(serialize(nan).ok());

  Artifact utf = fullModel();
  utf.project = "bad\xff";
  auto u = serialize(utf);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().reason, "artifact.malformed");
  // toJson still prints something (inspect must not fail on it).
  EXPECT_NE(toJson(utf, false).find("\"project\""), std::string::npos);
}

TEST(ArtifactIoTest, LoadFileReadsAndReportsErrors) {
  std::string path = ::testing::TempDir() + "artifact_io_test.mgw";
  {
    std::ofstream out(path, std::ios::binary);
    out << mustSerialize(fullModel());
  }
  auto ok = loadFile(path);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->apis.size(), 2u);
  std::remove(path.c_str());

  auto missing = loadFile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason, "artifact.unreadable");
  EXPECT_NE(missing.error().message.find(path), std::string::npos);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);

  auto dir = loadFile(::testing::TempDir());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().reason, "artifact.unreadable");
}

}  // namespace
}  // namespace mgw::artifact
