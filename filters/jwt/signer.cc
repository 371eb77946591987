#include "filters/jwt/signer.h"

#include <openssl/rand.h>

#include <algorithm>
#include <iterator>

#include "mgw/base/strings.h"

namespace mgw::jwt {

std::string signRs256(EVP_PKEY* key, std::string_view input) {
  std::string sig;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (md == nullptr)
    return sig;
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(md, nullptr, &len, in, input.size()) == 1) {
    sig.resize(len);
    if (EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) ==
        1)
      sig.resize(len);
    else
      sig.clear();
  }
  EVP_MD_CTX_free(md);
  return sig;
}

std::string randomUuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1)
    std::fill(std::begin(b), std::end(b), 0);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4 (RFC 9562 §5.4)
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10
  std::string hex = hexEncode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace mgw::jwt
