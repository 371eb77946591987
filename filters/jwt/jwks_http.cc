// libcurl transport of the JWKS fetcher (jwks_fetcher.h: makeCurlFetch). Runs on the fetcher's
// own thread only; one easy handle per fetch (a fetch every few minutes does not need reuse).
#include <curl/curl.h>

#include <mutex>

#include "filters/jwt/jwks_fetcher.h"
#include "mgw/base/strings.h"

namespace mgw::jwt {
namespace {

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
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return [options = std::move(options)](const std::string& url,
                                        const std::atomic<bool>& stop) -> Result<JwksResponse> {
    CURL* curl = curl_easy_init();
    if (curl == nullptr)
      return makeError("jwks.curl_init", "cannot create a curl handle");
    Transfer t{options.max_bytes, &stop, {}, std::nullopt, false};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_ms));
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_bytes));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "mgw-jwks");
    curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify_peer ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST,
                     options.verify_peer && options.verify_host ? 2L : 0L);
    curl_blob ca{};
    if (!options.ca_pem.empty()) {
      ca.data = const_cast<char*>(options.ca_pem.data());
      ca.len = options.ca_pem.size();
      ca.flags = CURL_BLOB_NOCOPY;
      curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
    }
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED)
      return makeError("jwks.too_large", "JWKS document exceeds the size limit");
    if (rc == CURLE_OPERATION_TIMEDOUT)
      return makeError("jwks.timeout", "JWKS fetch timed out");
    if (rc != CURLE_OK)
      return makeError("jwks.fetch_failed", curl_easy_strerror(rc));
    JwksResponse r;
    r.status = static_cast<int>(status);
    r.body = std::move(t.body);
    r.max_age_s = t.max_age;
    return r;
  };
}

}  // namespace mgw::jwt
