// Fetches the JWKS documents of the `[[jwtTokenConfig]]` issuers that have a `jwksURL` and
// publishes the keys through a VerifierSource (RFC 7517; reference wso2-mgw3.md §3, §8).
//
// Schedule, per issuer:
//   - initial fetch at start (the gateway waits at most `initial_wait_ms` for it); until keys
//     arrive, that issuer's tokens fail closed (401 900901, reason jwt.no_keys);
//   - refresh every `refresh_ms`, or after the response's `Cache-Control: max-age` when that is
//     shorter (never more often than `min_refetch_ms`);
//   - on request (a token with an unknown `kid`, or an issuer without keys) a refetch, at most
//     once per `min_refetch_ms` per issuer; a request inside that window is served when it ends;
//   - a failed fetch (connect, status, size, JSON, no usable key) keeps the last good keys and is
//     retried after 1 s, 2 s, 4 s, … up to min(60 s, refresh_ms).
// A document identical to the last good one is not republished (token caches stay warm).
//
// Threading: one background thread per fetcher does all fetching (blocking libcurl calls, off
// every worker); requestRefresh() is lock-free and callable from any thread. runOnce() is the
// scheduling step, public so tests drive it with a fake clock and fetch function.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "filters/jwt/verifier_source.h"
#include "mgw/base/result.h"

namespace mgw::jwt {

struct JwksResponse {
  int status = 0;
  std::string body;
  std::optional<int64_t> max_age_s;  // `Cache-Control: max-age`
};
// Fetches `url`; should give up early when `stop` becomes true.
using JwksFetchFn =
    std::function<Result<JwksResponse>(const std::string& url, const std::atomic<bool>& stop)>;

struct JwksOptions {
  int64_t refresh_ms = 900000;     // `[[jwtTokenConfig]] jwksRefreshInterval`
  int64_t min_refetch_ms = 30000;  // `[[jwtTokenConfig]] jwksMinRefetchInterval`
  int64_t retry_min_ms = 1000;
  int64_t retry_max_ms = 60000;
};

struct JwksIssuer {
  size_t index = 0;  // position in the Verifier's issuer list
  std::string url;
  JwksOptions options;
};

class JwksFetcher {
 public:
  // `clock`: monotonic milliseconds (null: std::chrono::steady_clock).
  JwksFetcher(VerifierSource& source, std::vector<JwksIssuer> issuers, JwksFetchFn fetch,
              std::function<int64_t()> clock = {});
  ~JwksFetcher();
  JwksFetcher(const JwksFetcher&) = delete;
  JwksFetcher& operator=(const JwksFetcher&) = delete;

  // Starts the thread and waits at most `initial_wait_ms` for the first round of fetches.
  void start(int64_t initial_wait_ms);
  void stop();
  // Lock-free; the next runOnce() refetches every issuer whose rate limit allows it.
  void requestRefresh();
  // Fetches whatever is due at `now_ms`; returns the milliseconds until the next due fetch.
  int64_t runOnce(int64_t now_ms);

  size_t fetchCount() const { return fetches_.load(std::memory_order_relaxed); }

 private:
  struct State {
    JwksIssuer issuer;
    bool attempted = false;
    bool has_keys = false;
    int64_t last_attempt_ms = 0;
    int64_t next_due_ms = 0;
    int failures = 0;
    std::string last_body;  // last published document
  };
  void fetchOne(State& s, int64_t now_ms);
  void loop();

  VerifierSource& source_;
  std::vector<State> states_;
  JwksFetchFn fetch_;
  std::function<int64_t()> clock_;
  std::atomic<bool> refresh_requested_{false};
  std::atomic<bool> stop_{false};
  std::atomic<size_t> fetches_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool first_round_done_ = false;
  std::thread thread_;
};

// libcurl transport for the fetcher: GET with `timeout_ms`, bodies over `max_bytes` refused, no
// redirects, http/https only. https trusts `ca_pem` (the gateway trust store as PEM; empty: the
// system store) unless `verify_peer` is false (`[httpClients] disableSslVerification`);
// `verify_host` follows `[httpClients] verifyHostname`.
struct CurlFetchOptions {
  int64_t timeout_ms = 5000;
  size_t max_bytes = 1024 * 1024;
  std::string ca_pem;
  bool verify_peer = true;
  bool verify_host = true;
};
JwksFetchFn makeCurlFetch(CurlFetchOptions options);

// Parses the max-age of a Cache-Control field value (RFC 9111 §5.2.2.1): nullopt when absent or
// malformed, 0 for `no-store`/`no-cache` (the fetcher then refreshes at its minimum interval).
std::optional<int64_t> parseMaxAge(std::string_view cache_control);

}  // namespace mgw::jwt
