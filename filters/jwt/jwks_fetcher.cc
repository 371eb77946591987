#include "filters/jwt/jwks_fetcher.h"

#include <algorithm>
#include <chrono>

#include "filters/jwt/key_set.h"
#include "mgw/base/log.h"
#include "mgw/base/strings.h"

namespace mgw::jwt {
namespace {

int64_t steadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kMaxWaitMs = 500;  // bounds a wake-up lost between the check and the wait

}  // namespace

std::optional<int64_t> parseMaxAge(std::string_view cache_control) {
  std::optional<int64_t> out;
  for (std::string_view item : splitList(cache_control, ',')) {
    item = trimOws(item);
    if (iequals(item, "no-store") || iequals(item, "no-cache"))
      return 0;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || !iequals(trimOws(item.substr(0, eq)), "max-age"))
      continue;
    std::string_view value = trimOws(item.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    auto n = parseDecimal(value);
    if (!n)
      return std::nullopt;
    out = static_cast<int64_t>(std::min<uint64_t>(*n, 10ULL * 365 * 24 * 3600));
  }
  return out;
}

JwksFetcher::JwksFetcher(VerifierSource& source, std::vector<JwksIssuer> issuers, JwksFetchFn fetch,
                         std::function<int64_t()> clock)
    : source_(source), fetch_(std::move(fetch)), clock_(std::move(clock)) {
  if (!clock_)
    clock_ = steadyMillis;
  for (JwksIssuer& i : issuers) {
    State s;
    s.issuer = std::move(i);
    states_.push_back(std::move(s));
  }
}

JwksFetcher::~JwksFetcher() {
  stop();
}

void JwksFetcher::start(int64_t initial_wait_ms) {
  if (thread_.joinable() || states_.empty())
    return;
  thread_ = std::thread([this] { loop(); });
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(0, initial_wait_ms)),
               [this] { return first_round_done_; });
}

void JwksFetcher::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void JwksFetcher::requestRefresh() {
  // Only the first request since the last round wakes the thread: a flood of bad tokens costs
  // one atomic exchange each, no system call.
  if (!refresh_requested_.exchange(true, std::memory_order_relaxed))
    cv_.notify_one();
}

void JwksFetcher::loop() {
  while (!stop_.load()) {
    int64_t wait = runOnce(clock_());
    std::unique_lock lock(mu_);
    if (!first_round_done_) {
      first_round_done_ = true;
      cv_.notify_all();
    }
    cv_.wait_for(lock, std::chrono::milliseconds(std::clamp<int64_t>(wait, 1, kMaxWaitMs)),
                 [this] { return stop_.load() || refresh_requested_.load(); });
  }
}

int64_t JwksFetcher::runOnce(int64_t now_ms) {
  const bool requested = refresh_requested_.exchange(false, std::memory_order_relaxed);
  int64_t next = INT64_MAX;
  for (State& s : states_) {
    if (stop_.load())
      break;
    if (requested && s.attempted) {
      // Rate limit (per issuer): a requested refetch happens at the earliest min_refetch_ms
      // after the previous attempt.
      s.next_due_ms = std::min(s.next_due_ms, s.last_attempt_ms + s.issuer.options.min_refetch_ms);
    }
    if (!s.attempted || now_ms >= s.next_due_ms)
      fetchOne(s, now_ms);
    next = std::min(next, s.next_due_ms - now_ms);
  }
  return std::max<int64_t>(0, next);
}

void JwksFetcher::fetchOne(State& s, int64_t now_ms) {
  const JwksOptions& o = s.issuer.options;
  s.attempted = true;
  s.last_attempt_ms = now_ms;
  fetches_.fetch_add(1, std::memory_order_relaxed);
  Result<JwksResponse> r = fetch_(s.issuer.url, stop_);
  std::string reason;
  std::shared_ptr<const KeySet> keys;
  if (!r) {
    reason = r.error().reason;
  } else if (r->status != 200) {
    reason = "jwks.status_" + std::to_string(r->status);
  } else if (r->body != s.last_body || !s.has_keys) {
    auto parsed = KeySet::fromJwks(r->body);
    if (!parsed)
      reason = parsed.error().reason;
    else
      keys = std::move(*parsed);
  }
  if (!reason.empty()) {
    ++s.failures;
    int64_t backoff = o.retry_min_ms << std::min(s.failures - 1, 16);
    backoff = std::min({backoff, o.retry_max_ms, o.refresh_ms});
    s.next_due_ms = now_ms + std::max<int64_t>(backoff, 1);
    log::warn("jwt.jwks_fetch_failed",
              s.has_keys ? "JWKS fetch failed: keeping the last good keys"
                         : "JWKS fetch failed: tokens of this issuer are refused (401) until "
                           "keys arrive",
              {{"url", s.issuer.url},
               {"reason", reason},
               {"retry_ms", std::to_string(s.next_due_ms - now_ms)}});
    return;
  }
  s.failures = 0;
  int64_t interval = o.refresh_ms;
  if (r->max_age_s)
    interval = std::min(interval, *r->max_age_s * 1000);
  s.next_due_ms = now_ms + std::max(interval, std::max<int64_t>(o.min_refetch_ms, 1));
  if (!keys)
    return;  // unchanged document: the published keys stay (and token caches stay warm)
  std::shared_ptr<const Verifier> current = source_.snapshot();
  if (!current || s.issuer.index >= current->issuers().size())
    return;
  source_.publish(current->withKeys(s.issuer.index, keys));
  s.has_keys = true;
  s.last_body = std::move(r->body);
  log::info("jwt.jwks_loaded", "JWKS keys published",
            {{"url", s.issuer.url}, {"keys", std::to_string(keys->size())}});
}

}  // namespace mgw::jwt
