#include <curl/curl.h>

#include <filesystem>

#include "commands.h"
#include "openapi/compiler.h"

namespace mgw::toolkit {
namespace {

constexpr std::size_t kMaxDownloadBytes = 10u << 20;
constexpr long kTimeoutSeconds = 30;
constexpr long kMaxRedirects = 5;

struct Sink {
  std::string data;
  bool too_large = false;
};

size_t onData(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * nmemb;
  if (sink->data.size() + n > kMaxDownloadBytes) {
    sink->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  sink->data.append(ptr, n);
  return n;
}

bool isUrl(std::string_view s) {
  auto starts = [&s](std::string_view p) {
    return s.size() >= p.size() && s.substr(0, p.size()) == p;
  };
  return starts("http://") || starts("https://");
}

// A safe file name: the URL/path's last segment when it ends in .yaml/.yml/.json, else
// api.json / api.yaml by content.
std::string fileNameFor(std::string_view source, std::string_view text) {
  std::string_view s = source;
  s = s.substr(0, s.find_first_of("?#"));
  std::size_t slash = s.find_last_of('/');
  std::string_view last = slash == std::string_view::npos ? s : s.substr(slash + 1);
  auto ends = [&last](std::string_view suf) {
    return last.size() > suf.size() && last.substr(last.size() - suf.size()) == suf;
  };
  bool safe = !last.empty() && last.front() != '.';
  for (char c : last) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    safe = safe && ok;
  }
  if (safe && (ends(".yaml") || ends(".yml") || ends(".json")))
    return std::string(last);
  std::size_t first = text.find_first_not_of(" \t\r\n");
  bool json = first != std::string_view::npos && text[first] == '{';
  return json ? "api.json" : "api.yaml";
}

struct Downloaded {
  std::string text;
  std::string effective_url;  // after redirects: names the file
};

Result<Downloaded> download(const std::string& url) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr)
    return makeError("download.init", "cannot initialise libcurl");
  Sink sink;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, kTimeoutSeconds);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kTimeoutSeconds);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "micro-gw/" MGW_VERSION);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  char* effective = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
  std::string effective_url = effective != nullptr ? effective : url;
  curl_easy_cleanup(curl);
  if (sink.too_large) {
    return makeError("download.too_large", "download of " + url + " failed: larger than 10 MiB");
  }
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] != 0 ? std::string(errbuf) : curl_easy_strerror(rc);
    return makeError("download.failed", "download of " + url + " failed: " + why);
  }
  if (status < 200 || status > 299) {
    return makeError("download.http_status",
                     "download of " + url + " failed: HTTP status " + std::to_string(status));
  }
  return Downloaded{std::move(sink.data), std::move(effective_url)};
}

}  // namespace

Result<FetchedDefinition> fetchDefinition(const std::string& source) {
  std::string name_source = source;
  std::string body;
  if (isUrl(source)) {
    Result<Downloaded> d = download(source);
    if (!d)
      return d.error();
    body = std::move(d->text);
    name_source = std::move(d->effective_url);
  } else {
    Result<std::string> text = readFile(source);
    if (!text)
      return text.error();
    if (text->size() > kMaxDownloadBytes) {
      return makeError("definition.too_large", source + " is larger than 10 MiB");
    }
    body = std::move(*text);
  }
  if (Status st = openapi::checkDefinitionText(body); !st) {
    return makeError(st.error().reason, source + ": " + st.error().message);
  }
  FetchedDefinition out;
  out.file_name = fileNameFor(name_source, body);
  out.text = std::move(body);
  return out;
}

}  // namespace mgw::toolkit
