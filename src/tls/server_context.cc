#include "tls/server_context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "mgw/base/log.h"
#include "mgw/base/strings.h"

namespace mgw::tls {
namespace {

// Resumption needs a session id context when client certificates are requested (OpenSSL refuses
// to resume otherwise); one value for every worker so resumed sessions cross workers.
constexpr unsigned char kSessionIdContext[] = "mgw-https";

constexpr const char* kDefaultTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

int trustStoreIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string opensslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out;
}

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

// Optional client verification: the handshake goes on whatever the result; the result stays in
// SSL_get_verify_result and the filter decides per API.
int acceptAnyCertificate(int, X509_STORE_CTX*) {
  return 1;
}

// RFC 6066 §3: when the client names a host, serve the key-store certificate whose SAN (or CN)
// matches it; otherwise the default one stays.
int selectCertificate(SSL* ssl, int*, void* arg) {
  const auto* self = static_cast<const ServerContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr || self->keys().size() < 2)
    return SSL_TLSEXT_ERR_OK;
  std::string_view host(name);
  for (size_t i = 1; i < self->keys().size(); ++i) {
    const KeyStore& k = self->keys()[i];
    if (X509_check_host(k.certificate.get(), host.data(), host.size(), 0, nullptr) != 1)
      continue;
    SSL_use_certificate(ssl, k.certificate.get());
    SSL_use_PrivateKey(ssl, k.private_key.get());
    STACK_OF(X509)* chain = sk_X509_new_null();
    for (const X509Ptr& c : k.chain)
      sk_X509_push(chain, c.get());
    SSL_set1_chain(ssl, chain);
    sk_X509_free(chain);
    break;
  }
  return SSL_TLSEXT_ERR_OK;
}

struct CipherPlan {
  std::string tls12;  // OpenSSL cipher list
  std::string tls13;  // TLS 1.3 ciphersuites
  std::vector<std::string> skipped;
};

bool isTls13Suite(std::string_view name) {
  return name == "TLS_AES_128_GCM_SHA256" || name == "TLS_AES_256_GCM_SHA384" ||
         name == "TLS_CHACHA20_POLY1305_SHA256" || name == "TLS_AES_128_CCM_SHA256" ||
         name == "TLS_AES_128_CCM_8_SHA256";
}

// Names from Java (WSO2's default list) are IANA names; OpenSSL knows them through
// OPENSSL_cipher_name. Names OpenSSL does not implement (static ECDH, DSS, SSL_*, the SCSV) are
// skipped, not fatal: WSO2's own default list holds several.
CipherPlan planCiphers(const std::vector<std::string>& names) {
  CipherPlan plan;
  SSL_CTX* probe = SSL_CTX_new(TLS_server_method());
  for (const std::string& raw : names) {
    std::string name(trimOws(raw));
    if (name.empty())
      continue;
    if (isTls13Suite(name)) {
      plan.tls13 += (plan.tls13.empty() ? "" : ":") + name;
      continue;
    }
    std::string ossl = OPENSSL_cipher_name(name.c_str());
    if (ossl == "(NONE)")
      ossl = name;
    // Validate one by one so a single unknown name does not discard the list.
    if (probe == nullptr || ossl.find_first_of(":!+@") != std::string::npos ||
        SSL_CTX_set_cipher_list(probe, ossl.c_str()) != 1) {
      ERR_clear_error();
      plan.skipped.push_back(name);
      continue;
    }
    plan.tls12 += (plan.tls12.empty() ? "" : ":") + ossl;
  }
  if (probe != nullptr)
    SSL_CTX_free(probe);
  return plan;
}

}  // namespace

Result<VerifyClient> parseVerifyClient(std::string_view text) {
  std::string_view t = trimOws(text);
  if (t.empty() || iequals(t, "none") || iequals(t, "false"))
    return VerifyClient::None;
  if (iequals(t, "optional"))
    return VerifyClient::Optional;
  if (iequals(t, "require") || iequals(t, "required"))
    return VerifyClient::Require;
  return makeError("tls.bad_verify_client",
                   "mutualSSLConfig.sslVerifyClient must be require, optional or none, not '" +
                       std::string(t) + "'");
}

int alpnSelect(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void* arg) {
  const auto* self = static_cast<const ServerContext*>(arg);
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(
          &selected, outlen, reinterpret_cast<const unsigned char*>(self->alpn_wire_.data()),
          static_cast<unsigned int>(self->alpn_wire_.size()), in, inlen) != OPENSSL_NPN_NEGOTIATED)
    // No common protocol: proceed without ALPN (RFC 7301 §3.2 allows either); HTTP/1.1 is
    // what an ALPN-less client speaks.
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

ServerContext::~ServerContext() {
  if (ctx_ != nullptr)
    SSL_CTX_free(ctx_);
}

Result<std::shared_ptr<ServerContext>> ServerContext::create(const ServerContextOptions& o) {
  std::shared_ptr<ServerContext> self(new ServerContext());

  // Key entries: the default (first) one, then every other alias for SNI.
  auto first = loadKeyStore(o.key_store_path, o.key_store_password);
  if (!first)
    return first.error();
  std::vector<std::string> aliases = first->aliases;
  std::string first_alias = first->alias;
  self->keys_.push_back(std::move(*first));
  for (const std::string& alias : aliases) {
    if (iequals(alias, first_alias))
      continue;
    auto more = loadKeyStore(o.key_store_path, o.key_store_password, alias);
    if (more)
      self->keys_.push_back(std::move(*more));
  }

  self->trust_ = o.trust_store;
  if (o.verify_client != VerifyClient::None && self->trust_ == nullptr)
    return makeError("tls.no_trust_store",
                     "mutualSSLConfig.sslVerifyClient needs listenerConfig.trustStorePath");

  // Protocol versions: TLS 1.2 and 1.3 only.
  bool want12 = o.protocol_versions.empty();
  bool want13 = false;  // TLS 1.3 is on whatever the list says; this records that it was named
  std::vector<std::string> refused;
  for (const std::string& raw : o.protocol_versions) {
    std::string v = toLower(trimOws(raw));
    if (v.empty())
      continue;
    if (v == "tlsv1.2" || v == "tls1.2")
      want12 = true;
    else if (v == "tlsv1.3" || v == "tls1.3")
      want13 = true;
    else if (v == "tlsv1.1" || v == "tlsv1" || v == "tlsv1.0" || v == "sslv3" || v == "sslv2" ||
             v == "tls1.1" || v == "tls1.0" || v == "tls1")
      refused.push_back(std::string(trimOws(raw)));
    else
      return makeError("tls.bad_protocol_versions",
                       "mutualSSLConfig.protocolVersions: unknown protocol '" +
                           std::string(trimOws(raw)) + "' (TLSv1.2 and TLSv1.3 are supported)");
  }
  if (!refused.empty() && o.log_warnings) {
    std::string list;
    for (const auto& r : refused)
      list += (list.empty() ? "" : ",") + r;
    log::warn("tls.protocol_refused",
              "TLS versions below 1.2 are insecure (RFC 8996) and stay disabled",
              {{"protocols", list}});
  }
  // Only old versions listed: serve both secure ones rather than nothing.
  if (!refused.empty() && !want12 && !want13)
    want12 = true;

  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr)
    return makeError("tls.context_failed", opensslErrors());
  self->ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, want12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  // Renegotiation is a DoS and injection vector (attack-catalogue §7, CVE-2009-3555); TLS 1.3
  // has none. Clients asking for it get a no_renegotiation alert.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1);
  SSL_CTX_set_timeout(ctx, 300);

  // Without a configured list: Mozilla's "intermediate" TLS 1.2 suites (AEAD, forward secrecy).
  if (o.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, kDefaultTls12Ciphers) != 1)
    return makeError("tls.context_failed", opensslErrors());
  if (!o.ciphers.empty()) {
    CipherPlan plan = planCiphers(o.ciphers);
    if (!plan.skipped.empty() && o.log_warnings) {
      std::string list;
      for (const auto& s : plan.skipped)
        list += (list.empty() ? "" : ",") + s;
      log::warn("tls.cipher_skipped", "cipher names not supported by this TLS library are ignored",
                {{"ciphers", list}});
    }
    if (plan.tls12.empty() && plan.tls13.empty())
      return makeError("tls.bad_ciphers", "mutualSSLConfig.ciphers names no supported cipher");
    if (!plan.tls12.empty()) {
      // Whatever the list says, never anonymous, null, export, RC4 or 3DES suites, and forward
      // secrecy only (no static RSA key exchange).
      std::string list = plan.tls12 + ":!aNULL:!eNULL:!EXPORT:!RC4:!3DES:!MD5";
      if (SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) {
        if (plan.tls13.empty() || !want12)
          return makeError("tls.bad_ciphers",
                           "mutualSSLConfig.ciphers leaves no acceptable TLS 1.2 cipher");
        ERR_clear_error();
        // Only weak TLS 1.2 suites were named: TLS 1.2 goes away, TLS 1.3 stays.
        log::warn("tls.cipher_skipped", "only weak TLS 1.2 ciphers named; TLS 1.2 disabled");
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
      }
    }
    if (!plan.tls13.empty() && SSL_CTX_set_ciphersuites(ctx, plan.tls13.c_str()) != 1)
      return makeError("tls.bad_ciphers", opensslErrors());
  }

  const KeyStore& def = self->keys_.front();
  if (SSL_CTX_use_certificate(ctx, def.certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, def.private_key.get()) != 1)
    return makeError("tls.context_failed", opensslErrors());
  for (const X509Ptr& c : def.chain) {
    X509_up_ref(c.get());
    if (SSL_CTX_add1_chain_cert(ctx, c.get()) != 1) {
      X509_free(c.get());
      return makeError("tls.context_failed", opensslErrors());
    }
    X509_free(c.get());
  }
  if (self->keys_.size() > 1) {
    SSL_CTX_set_tlsext_servername_callback(ctx, selectCertificate);
    SSL_CTX_set_tlsext_servername_arg(ctx, self.get());
  }

  for (const std::string& p : o.alpn) {
    if (p.empty() || p.size() > 255)
      continue;
    self->alpn_wire_ += static_cast<char>(p.size());
    self->alpn_wire_ += p;
  }
  if (!self->alpn_wire_.empty())
    SSL_CTX_set_alpn_select_cb(ctx, alpnSelect, self.get());

  if (self->trust_ != nullptr) {
    SSL_CTX_set1_verify_cert_store(ctx, self->trust_->store());
    SSL_CTX_set_ex_data(ctx, trustStoreIndex(), const_cast<TrustStore*>(self->trust_.get()));
    if (o.verify_client != VerifyClient::None) {
      // RFC 8446 §4.2.4 certificate_authorities: lets clients pick the right certificate.
      STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
      for (const auto& c : self->trust_->certificates())
        sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(c.certificate.get())));
      SSL_CTX_set_client_CA_list(ctx, names);
    }
  }
  switch (o.verify_client) {
    case VerifyClient::Require:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
    case VerifyClient::Optional:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, acceptAnyCertificate);
      break;
    case VerifyClient::None:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
  }
  SSL_CTX_set_verify_depth(ctx, 8);
  SSL_CTX_set_dh_auto(ctx, 1);
  ERR_clear_error();
  return self;
}

Result<std::shared_ptr<const TrustStore>> loadListenerTrustStore(
    const config::GatewayConfig& config) {
  std::string trust_path = config.getString("listenerConfig.trustStorePath");
  std::string trust_password = config.getString("listenerConfig.trustStorePassword");
  if (trust_path.empty()) {
    trust_path = config.getString("listenerConfig.trustStore.path");
    trust_password = config.getString("listenerConfig.trustStore.password");
  }
  if (trust_path.empty())
    return std::shared_ptr<const TrustStore>();
  auto trust = loadTrustStore(trust_path, trust_password);
  if (!trust)
    return makeError(trust.error().reason,
                     "[listenerConfig] trustStorePath: " + trust.error().message);
  return std::shared_ptr<const TrustStore>(std::make_shared<const TrustStore>(std::move(*trust)));
}

Result<ListenerTls> buildListenerTls(const config::GatewayConfig& config) {
  auto trust = loadListenerTrustStore(config);
  if (!trust)
    return trust.error();
  return buildListenerTls(config, std::move(*trust));
}

Result<ListenerTls> buildListenerTls(const config::GatewayConfig& config,
                                     std::shared_ptr<const TrustStore> trust_store) {
  ListenerTls out;
  auto verify = parseVerifyClient(config.getString("mutualSSLConfig.sslVerifyClient"));
  if (!verify)
    return verify.error();
  out.verify_client = *verify;
  out.trust_store = std::move(trust_store);
  ServerContextOptions o;
  o.key_store_path = config.getString("listenerConfig.keyStorePath");
  o.key_store_password = config.getString("listenerConfig.keyStorePassword");
  if (o.key_store_path.empty()) {
    o.key_store_path = config.getString("listenerConfig.keyStore.path");
    o.key_store_password = config.getString("listenerConfig.keyStore.password");
  }
  if (o.key_store_path.empty()) {
    log::warn("tls.https_disabled",
              "no [listenerConfig] keyStorePath configured: the HTTPS and token listeners are not "
              "started");
    return out;
  }
  o.trust_store = out.trust_store;
  o.protocol_versions = config.getList("mutualSSLConfig.protocolVersions");
  o.ciphers = config.getList("mutualSSLConfig.ciphers");
  o.verify_client = out.verify_client;
  auto ctx = ServerContext::create(o);
  if (!ctx)
    return makeError(ctx.error().reason, "HTTPS listener: " + ctx.error().message);
  out.context = std::move(*ctx);
  out.token_context = out.context;
  if (o.verify_client != VerifyClient::None) {
    o.verify_client = VerifyClient::None;
    o.log_warnings = false;
    auto token = ServerContext::create(o);
    if (!token)
      return makeError(token.error().reason, "token listener: " + token.error().message);
    out.token_context = std::move(*token);
  }
  return out;
}

const TrustStore* trustStoreOf(const SSL_CTX* ctx) {
  if (ctx == nullptr)
    return nullptr;
  return static_cast<const TrustStore*>(SSL_CTX_get_ex_data(ctx, trustStoreIndex()));
}

filter::ClientCertificate describeCertificate(X509* leaf, bool verified, const TrustStore* trust,
                                              bool from_header) {
  filter::ClientCertificate out;
  out.from_header = from_header;
  out.chain_verified = verified;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    X509_NAME_print_ex(bio, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    if (n > 0)
      out.subject.assign(data, static_cast<size_t>(n));
    BIO_free(bio);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(leaf, EVP_sha256(), md, &md_len) == 1)
    out.sha256_hex = hex(md, md_len);
  if (verified && trust != nullptr) {
    for (const TrustedCertificate& t : trust->certificates()) {
      X509* c = t.certificate.get();
      bool match = X509_cmp(c, leaf) == 0;
      if (!match && X509_check_issued(c, leaf) == X509_V_OK) {
        EVP_PKEY* key = X509_get0_pubkey(c);
        match = key != nullptr && X509_verify(leaf, key) == 1;
      }
      if (match)
        out.aliases.push_back(t.alias);
    }
  }
  ERR_clear_error();
  return out;
}

filter::ClientCertificate verifyCertificate(X509* leaf, const TrustStore& trust) {
  bool verified = false;
  if (X509_STORE_CTX* sctx = X509_STORE_CTX_new()) {
    if (X509_STORE_CTX_init(sctx, trust.store(), leaf, nullptr) == 1) {
      X509_STORE_CTX_set_purpose(sctx, X509_PURPOSE_SSL_CLIENT);
      verified = X509_verify_cert(sctx) == 1;
    }
    X509_STORE_CTX_free(sctx);
  }
  return describeCertificate(leaf, verified, &trust, true);
}

Result<X509Ptr> parseHeaderCertificate(std::string_view value) {
  auto bad = [] {
    return makeError("tls.bad_header_certificate",
                     "client certificate header is not a certificate");
  };
  if (value.size() > 64 * 1024)
    return bad();
  // Percent-decoding only: '+' is a base64 character and stays '+' (WSO2 3.x used
  // URLDecoder, which turned it into a space and corrupted some certificates).
  std::string decoded;
  decoded.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '%' && i + 2 < value.size() + 0 &&
        std::isxdigit(static_cast<unsigned char>(value[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(value[i + 2]))) {
      decoded += static_cast<char>(std::stoi(std::string(value.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      decoded += c;
    }
  }
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::string_view body = decoded;
  if (size_t b = body.find(kBegin); b != std::string_view::npos) {
    body.remove_prefix(b + kBegin.size());
    size_t e = body.find(kEnd);
    if (e == std::string_view::npos)
      return bad();
    body = body.substr(0, e);
  }
  std::string b64;
  b64.reserve(body.size());
  for (char c : body) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')
      b64 += c;
    else if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
      continue;
    else
      return bad();
  }
  if (b64.empty() || b64.size() % 4 != 0)
    return bad();
  std::string der(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0)
    return bad();
  // EVP_DecodeBlock counts padding as zero bytes.
  size_t len = static_cast<size_t>(n);
  if (b64.size() >= 1 && b64[b64.size() - 1] == '=')
    --len;
  if (b64.size() >= 2 && b64[b64.size() - 2] == '=')
    --len;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(len));
  if (cert == nullptr || p != reinterpret_cast<const unsigned char*>(der.data()) + len) {
    X509_free(cert);
    ERR_clear_error();
    return bad();
  }
  return X509Ptr(cert);
}

}  // namespace mgw::tls
