// libcurl transport of the JWKS fetcher (jwks_fetcher.h: makeCurlFetch). Runs on the fetcher's
// own thread only; one easy handle per fetch (a fetch every few minutes does not need reuse).
//
// libcurl is loaded with dlopen the first time a fetch function is made, not linked: linking it
// pulls about 35 shared libraries (GnuTLS, Kerberos, LDAP, ...) into every gateway process, which
// doubled the start-up time and added megabytes of RSS for a feature most deployments never
// configure (docs/performance.md). Only the types and constants come from <curl/curl.h>.
#include <curl/curl.h>
#include <dlfcn.h>

#include <mutex>

#include "filters/jwt/jwks_fetcher.h"
#include "mgw/base/strings.h"

namespace mgw::jwt {
namespace {

// The libcurl entry points the fetcher uses, resolved once from libcurl.so.4.
struct CurlApi {
  CURLcode (*global_init)(long) = nullptr;
  CURL* (*easy_init)() = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
  curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
  void (*slist_free_all)(curl_slist*) = nullptr;
};

template <typename Fn>
bool resolve(void* lib, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  return fn != nullptr;
}

// Null when libcurl (package libcurl4) cannot be loaded: every fetch then fails, and the issuers
// that need JWKS fail closed.
const CurlApi* curlApi() {
  static const CurlApi* api = []() -> const CurlApi* {
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr)
      return nullptr;
    static CurlApi a;
    bool ok = resolve(lib, "curl_global_init", a.global_init) &&
              resolve(lib, "curl_easy_init", a.easy_init) &&
              resolve(lib, "curl_easy_setopt", a.easy_setopt) &&
              resolve(lib, "curl_easy_perform", a.easy_perform) &&
              resolve(lib, "curl_easy_getinfo", a.easy_getinfo) &&
              resolve(lib, "curl_easy_cleanup", a.easy_cleanup) &&
              resolve(lib, "curl_easy_strerror", a.easy_strerror) &&
              resolve(lib, "curl_slist_append", a.slist_append) &&
              resolve(lib, "curl_slist_free_all", a.slist_free_all);
    if (!ok || a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return nullptr;
    return &a;
  }();
  return api;
}

struct Transfer {
  size_t max_bytes;
  const std::atomic<bool>* stop;
  std::string body;
  std::optional<int64_t> max_age;
  bool too_large = false;
};

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->body.size() + n > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  t->body.append(data, n);
  return n;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos && iequals(trimOws(line.substr(0, colon)), "cache-control"))
    t->max_age = parseMaxAge(trimOws(line.substr(colon + 1)));
  if (line.rfind("HTTP/", 0) == 0)
    t->max_age.reset();  // a new response (after 1xx): forget the previous fields
  return n;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->stop->load() ? 1 : 0;  // non-zero aborts: the gateway is stopping
}

}  // namespace

JwksFetchFn makeCurlFetch(CurlFetchOptions options) {
  // Loaded here, at start, so a fetch never waits on the dynamic loader.
  const CurlApi* api = curlApi();
  return [api, options = std::move(options)](
             const std::string& url, const std::atomic<bool>& stop) -> Result<JwksResponse> {
    if (api == nullptr)
      return makeError("jwks.curl_unavailable",
                       "libcurl.so.4 cannot be loaded (Debian package libcurl4)");
    const CurlApi& c = *api;
    CURL* curl = c.easy_init();
    if (curl == nullptr)
      return makeError("jwks.curl_init", "cannot create a curl handle");
    Transfer t{options.max_bytes, &stop, {}, std::nullopt, false};
    c.easy_setopt(curl, CURLOPT_URL, url.c_str());
    c.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    c.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    c.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    c.easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_ms));
    c.easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_bytes));
    c.easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
    c.easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    c.easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
    c.easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    c.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    c.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, onProgress);
    c.easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    c.easy_setopt(curl, CURLOPT_USERAGENT, "mgw-jwks");
    curl_slist* headers = c.slist_append(nullptr, "Accept: application/json");
    c.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    c.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify_peer ? 1L : 0L);
    c.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST,
                  options.verify_peer && options.verify_host ? 2L : 0L);
    curl_blob ca{};
    if (!options.ca_pem.empty()) {
      ca.data = const_cast<char*>(options.ca_pem.data());
      ca.len = options.ca_pem.size();
      ca.flags = CURL_BLOB_NOCOPY;
      c.easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
    }
    CURLcode rc = c.easy_perform(curl);
    long status = 0;
    c.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    c.slist_free_all(headers);
    c.easy_cleanup(curl);
    if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED)
      return makeError("jwks.too_large", "JWKS document exceeds the size limit");
    if (rc == CURLE_OPERATION_TIMEDOUT)
      return makeError("jwks.timeout", "JWKS fetch timed out");
    if (rc != CURLE_OK)
      return makeError("jwks.fetch_failed", c.easy_strerror(rc));
    JwksResponse r;
    r.status = static_cast<int>(status);
    r.body = std::move(t.body);
    r.max_age_s = t.max_age;
    return r;
  };
}

}  // namespace mgw::jwt
