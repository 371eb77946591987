#include "mgw/artifact/artifact_io.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "json_codec.h"
#include "mgw/base/strings.h"

namespace mgw::artifact {
namespace {

using nlohmann::json;

constexpr std::string_view kMagic = "MGWA\n";
constexpr std::string_view kFormatName = "mgw-artifact";
constexpr size_t kEd25519SignatureSize = 64;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// Never prompt on a terminal for the pass phrase of an encrypted PEM key: refuse it instead.
int noPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

// OpenSSL's per-thread error queue would otherwise leak stale entries into the next caller.
std::string opensslError() {
  unsigned long code = ERR_get_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  std::string msg = reason != nullptr ? reason : "unknown error";
  ERR_clear_error();
  return msg;
}

Result<PkeyPtr> readEd25519Key(std::string_view pem, bool is_private) {
  if (pem.size() > static_cast<size_t>(INT_MAX)) {
    return makeError("artifact.bad_key", "key PEM is too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio)
    return makeError("artifact.bad_key", "cannot allocate a BIO: " + opensslError());
  PkeyPtr key(is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr)
                         : PEM_read_bio_PUBKEY(bio.get(), nullptr, noPassphrase, nullptr));
  if (!key) {
    return makeError("artifact.bad_key", std::string("cannot read the Ed25519 ") +
                                             (is_private ? "private" : "public") +
                                             " key PEM: " + opensslError());
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return makeError("artifact.bad_key", std::string("the ") + (is_private ? "private" : "public") +
                                             " key is not an Ed25519 key");
  }
  return key;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (in.size() - i == 1) {
    uint32_t v = byte(i) << 16;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += "==";
  } else if (in.size() - i == 2) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// Strict RFC 4648 §4 decoding: padded, no whitespace, no stray characters.
std::optional<std::string> base64Decode(std::string_view in) {
  if (in.size() % 4 != 0)
    return std::nullopt;
  auto value = [](char c) -> int {
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
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    bool last = i + 4 == in.size();
    int pad = 0;
    if (last && in[i + 3] == '=')
      pad = in[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int d = 0;
      if (k >= 4 - static_cast<size_t>(pad)) {
        d = 0;
      } else {
        d = value(in[i + k]);
        if (d < 0)
          return std::nullopt;
      }
      v = v << 6 | static_cast<uint32_t>(d);
    }
    out += static_cast<char>((v >> 16) & 0xff);
    if (pad < 2)
      out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1)
      out += static_cast<char>(v & 0xff);
  }
  return out;
}

Result<std::string> sign(std::string_view payload, std::string_view private_pem) {
  auto key = readEd25519Key(private_pem, true);
  if (!key)
    return key.error();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  // Ed25519 is a one-shot ("pure") signature: no digest, RFC 8032 §5.1.6.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) <= 0 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) <= 0) {
    return makeError("artifact.sign_failed", "Ed25519 signing failed: " + opensslError());
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) <= 0) {
    return makeError("artifact.sign_failed", "Ed25519 signing failed: " + opensslError());
  }
  sig.resize(len);
  return base64Encode(sig);
}

Status verify(std::string_view payload, std::string_view signature_b64,
              std::string_view public_pem) {
  auto key = readEd25519Key(public_pem, false);
  if (!key)
    return key.error();
  auto sig = base64Decode(signature_b64);
  if (!sig || sig->size() != kEd25519SignatureSize) {
    return makeError("artifact.signature_invalid",
                     "the signature is not a base64 Ed25519 signature");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) <= 0) {
    return makeError("artifact.signature_invalid", "cannot verify: " + opensslError());
  }
  int rc =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  if (rc != 1) {
    ERR_clear_error();
    return makeError("artifact.signature_invalid",
                     "the Ed25519 signature does not match the payload (artifact tampered with, "
                     "or signed with another key)");
  }
  return {};
}

// Dumps without throwing on invalid UTF-8 (toJson has no error channel): bad bytes become
// U+FFFD. serialize() dumps strictly first, so an artifact never silently changes.
std::string dumpLenient(const json& j, bool pretty) {
  return j.dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

Result<Artifact> deserializeImpl(std::string_view bytes, std::string_view public_pem) {
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    return makeError("artifact.bad_magic",
                     "not an mgw artifact (the file does not start with MGWA)");
  }
  size_t eol = bytes.find('\n', kMagic.size());
  if (eol == std::string_view::npos) {
    return makeError("artifact.malformed", "truncated artifact: the header line is not terminated");
  }
  std::string_view header_text = bytes.substr(kMagic.size(), eol - kMagic.size());
  std::string_view payload = bytes.substr(eol + 1);

  json header = json::parse(header_text, nullptr, false);
  if (header.is_discarded() || !header.is_object()) {
    return makeError("artifact.malformed", "the header is not a JSON object");
  }
  auto format = header.find("format");
  if (format == header.end() || !format->is_string() ||
      format->get_ref<const std::string&>() != kFormatName) {
    return makeError("artifact.bad_magic", "the header does not name the mgw-artifact format");
  }
  auto version = header.find("version");
  if (version == header.end() || !version->is_number_integer()) {
    return makeError("artifact.malformed", "/version: the header has no integer format version");
  }
  if (version->is_number_unsigned() ? version->get<uint64_t>() != kFormatVersion
                                    : version->get<int64_t>() != kFormatVersion) {
    return makeError("artifact.unsupported_version",
                     "artifact format version " + version->dump() +
                         " is not supported: this build reads version " +
                         std::to_string(kFormatVersion) + " (rebuild it with the same toolkit)");
  }
  auto sha = header.find("sha256");
  if (sha == header.end() || !sha->is_string()) {
    return makeError("artifact.malformed", "/sha256: the header has no sha256 string");
  }
  std::string actual = sha256Hex(payload);
  if (sha->get_ref<const std::string&>() != actual) {
    return makeError("artifact.checksum_mismatch",
                     "the payload SHA-256 is " + actual + ", the header says " +
                         sha->get_ref<const std::string&>() + " (corrupt or truncated file)");
  }
  auto signature = header.find("signature");
  if (signature != header.end() && !signature->is_string()) {
    return makeError("artifact.malformed", "/signature: expected a string");
  }
  if (!public_pem.empty()) {
    if (signature == header.end()) {
      return makeError("artifact.signature_missing",
                       "a verification key is configured but the artifact is not signed");
    }
    if (auto s = verify(payload, signature->get_ref<const std::string&>(), public_pem); !s) {
      return s.error();
    }
  }

  json body = json::parse(payload, nullptr, false);
  if (body.is_discarded()) {
    return makeError("artifact.malformed", "the payload is not valid JSON");
  }
  return detail::modelFromJson(body);
}

}  // namespace

std::string toJson(const Artifact& artifact, bool pretty) {
  try {
    return dumpLenient(detail::modelToJson(artifact), pretty);
  } catch (const std::exception&) {
    // Only allocation failure can get here; keep the no-throw promise of the module.
    return "{}";
  }
}

Result<std::string> serialize(const Artifact& artifact, std::string_view ed25519_private_key_pem) {
  try {
    if (auto s = detail::checkWritable(artifact); !s)
      return s.error();
    std::string payload;
    try {
      payload = detail::modelToJson(artifact).dump();
    } catch (const json::type_error& e) {
      return makeError("artifact.malformed", std::string("cannot encode the model: ") + e.what());
    }
    // The header members are written in a fixed order by hand: nlohmann would sort them.
    std::string header = R"({"format":")" + std::string(kFormatName) + R"(","version":)" +
                         std::to_string(kFormatVersion) + R"(,"sha256":")" + sha256Hex(payload) +
                         '"';
    if (!ed25519_private_key_pem.empty()) {
      auto sig = sign(payload, ed25519_private_key_pem);
      if (!sig)
        return sig.error();
      header += R"(,"signature":")" + *sig + '"';
    }
    header += '}';
    std::string out;
    out.reserve(kMagic.size() + header.size() + 1 + payload.size());
    out += kMagic;
    out += header;
    out += '\n';
    out += payload;
    return out;
  } catch (const std::exception& e) {
    return makeError("artifact.malformed", std::string("cannot serialise: ") + e.what());
  }
}

Result<Artifact> deserialize(std::string_view bytes, std::string_view ed25519_public_key_pem) {
  try {
    return deserializeImpl(bytes, ed25519_public_key_pem);
  } catch (const std::exception& e) {
    return makeError("artifact.malformed", std::string("cannot read the artifact: ") + e.what());
  }
}

Result<Artifact> loadFile(const std::string& path, std::string_view ed25519_public_key_pem) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    return makeError("artifact.unreadable", path + ": " + std::strerror(errno));
  }
  std::string bytes;
  char buf[65536];
  while (true) {
    size_t n = std::fread(buf, 1, sizeof buf, f.get());
    bytes.append(buf, n);
    if (n < sizeof buf)
      break;
  }
  if (std::ferror(f.get())) {
    return makeError("artifact.unreadable", path + ": " + std::strerror(errno));
  }
  auto result = deserialize(bytes, ed25519_public_key_pem);
  if (!result) {
    Error e = result.error();
    e.message = path + ": " + e.message;
    return e;
  }
  return result;
}

}  // namespace mgw::artifact
