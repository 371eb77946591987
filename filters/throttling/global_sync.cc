#include "filters/throttling/global_sync.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "mgw/base/log.h"

namespace mgw::throttling {

namespace {

constexpr size_t kBatch = 512;            // slots per pipelined round trip
constexpr int64_t kExpiryGraceMs = 5000;  // Redis keys outlive their window by this much
constexpr int64_t kMinBackoffMs = 100;
constexpr int64_t kMaxBackoffMs = 2000;

int64_t epochMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}
int64_t monoMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf, 16);
}

}  // namespace

GlobalSync::GlobalSync(GlobalTable& table, BlockList& blocking, GlobalConfig config)
    : table_(table), blocking_(blocking), config_(std::move(config)) {
  pending_.resize(table_.capacity());
}

GlobalSync::~GlobalSync() {
  stop();
}

void GlobalSync::start() {
  if (thread_.joinable())
    return;
  thread_ = std::thread([this] { run(); });
}

void GlobalSync::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void GlobalSync::sleepFor(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_; });
}

void GlobalSync::markUp() {
  if (state_.exchange(RedisState::Up, std::memory_order_acq_rel) != RedisState::Up)
    // The monitoring counters ride on the state-change lines until a metrics endpoint exists.
    log::info("throttling.redis_up", "global throttling: Redis reachable, counters shared",
              {{"url_kind", config_.url.unix_socket ? "unix" : "tcp"},
               {"outages", std::to_string(downTransitions())},
               {"errors", std::to_string(errors())},
               {"sync_rounds", std::to_string(syncRounds())}});
}

void GlobalSync::markDown(const Error& e) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  if (state_.exchange(RedisState::Down, std::memory_order_acq_rel) != RedisState::Down) {
    down_transitions_.fetch_add(1, std::memory_order_relaxed);
    log::warn("throttling.redis_down",
              config_.fail_open
                  ? "global throttling: Redis unavailable, limits enforced per gateway"
                  : "global throttling: Redis unavailable, counted requests refused with 503",
              {{"reason", e.reason},
               {"detail", e.message},
               {"outages", std::to_string(downTransitions())},
               {"errors", std::to_string(errors())}});
  }
}

void GlobalSync::run() {
  int64_t backoff = kMinBackoffMs;
  int64_t next_poll = 0;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_)
        return;
    }
    if (!conn_.connected()) {
      if (Status st = conn_.connect(config_.url, config_.timeout_ms); !st) {
        markDown(st.error());
        sleepFor(backoff);
        backoff = std::min(backoff * 2, kMaxBackoffMs);
        continue;
      }
      next_poll = 0;  // blocking conditions first: a (re)connected gateway learns them at once
    }
    const int64_t started = monoMs();
    bool ok = true;
    if (started >= next_poll) {
      ok = pollBlocking();
      next_poll = monoMs() + config_.blocking_poll_ms;
    }
    ok = ok && syncCounters();
    if (!ok) {
      // markDown was called; an error reply (READONLY, OOM ...) must not spin on reconnects.
      conn_.close();
      sleepFor(backoff);
      backoff = std::min(backoff * 2, kMaxBackoffMs);
      continue;
    }
    backoff = kMinBackoffMs;
    markUp();
    sync_rounds_.fetch_add(1, std::memory_order_relaxed);
    const int64_t spent = monoMs() - started;
    sleepFor(std::max<int64_t>(1, config_.sync_interval_ms - spent));
  }
}

bool GlobalSync::syncCounters() {
  const int64_t now_ms = epochMs();
  struct Item {
    size_t slot;
    GlobalTable::SlotView view;
  };
  std::vector<Item> batch;
  batch.reserve(kBatch);
  std::string cmds;
  size_t ncmds = 0;
  uint64_t synced = 0;

  auto flush = [&]() -> bool {
    if (batch.empty())
      return true;
    auto replies = conn_.pipeline(cmds, ncmds, config_.timeout_ms);
    if (!replies) {
      markDown(replies.error());
      return false;
    }
    // Replies come in command order: INCRBY (the new global total), then PEXPIREAT. Redis runs
    // every command of a pipeline, so each successful INCRBY is recorded even when another one
    // failed (a failed one is pushed again later). A round that timed out after Redis applied
    // some INCRBYs pushes them again: that counts twice (stricter), never loses a count.
    std::string error;
    for (size_t b = 0; b < batch.size(); ++b) {
      const Item& it = batch[b];
      const RedisReply& incr = (*replies)[2 * b];
      if (incr.type != RedisReply::Type::Integer) {
        if (error.empty())
          error = "INCRBY: " + incr.str.substr(0, 200);
        continue;
      }
      pending_[it.slot] = Pending{it.view.key, it.view.end_sec, it.view.local};
      table_.setOthers(it.slot, it.view.key, it.view.end_sec,
                       incr.integer - static_cast<int64_t>(it.view.local));
      ++synced;
    }
    if (!error.empty()) {
      markDown(makeError("redis.protocol", std::move(error)));
      return false;
    }
    batch.clear();
    cmds.clear();
    ncmds = 0;
    return true;
  };

  const size_t n = table_.capacity();
  for (size_t i = 0; i < n; ++i) {
    const GlobalTable::SlotView v = table_.read(i);
    if (v.key == 0)
      continue;
    const int64_t end_ms = static_cast<int64_t>(v.end_sec) * 1000;
    if (end_ms <= now_ms)
      continue;  // the window is over: nothing left to share
    Pending& p = pending_[i];
    if (p.key != v.key || p.end_sec != v.end_sec)
      p = Pending{v.key, v.end_sec, 0};
    const int64_t delta = static_cast<int64_t>(v.local) - static_cast<int64_t>(p.pushed);
    const std::string key =
        config_.key_prefix + "c:" + hex16(v.key) + ":" + std::to_string(v.end_sec);
    appendCommand(cmds, {"INCRBY", key, std::to_string(delta)});
    appendCommand(cmds, {"PEXPIREAT", key, std::to_string(end_ms + kExpiryGraceMs)});
    ncmds += 2;
    batch.push_back(Item{i, v});
    if (batch.size() == kBatch && !flush())
      return false;
  }
  if (!flush())
    return false;
  keys_synced_.store(synced, std::memory_order_relaxed);
  return true;
}

bool GlobalSync::pollBlocking() {
  std::string cmd;
  appendCommand(cmd, {"SMEMBERS", config_.key_prefix + "blocking"});
  auto replies = conn_.pipeline(cmd, 1, config_.timeout_ms);
  if (!replies) {
    markDown(replies.error());
    return false;
  }
  const RedisReply& r = (*replies)[0];
  if (r.type != RedisReply::Type::Array) {
    // WRONGTYPE etc.: the operator's key is unusable; keep the last conditions, say why.
    if (r.type == RedisReply::Type::Error && (!have_members_ || !last_members_.empty())) {
      log::warn("throttling.blocking_bad_key", "global blocking conditions unreadable",
                {{"key", config_.key_prefix + "blocking"}, {"detail", r.str.substr(0, 200)}});
      last_members_.clear();
      have_members_ = true;
    }
    return true;
  }
  std::vector<std::string> members;
  members.reserve(r.elements.size());
  for (const RedisReply& e : r.elements) {
    if (e.type == RedisReply::Type::Bulk || e.type == RedisReply::Type::Status)
      members.push_back(e.str);
  }
  std::sort(members.begin(), members.end());
  if (have_members_ && members == last_members_)
    return true;
  std::vector<BlockCondition> conditions;
  size_t invalid = 0;
  for (const std::string& m : members) {
    auto c = parseBlockMember(m);
    if (c)
      conditions.push_back(std::move(*c));
    else
      ++invalid;
  }
  blocking_.setRemote(std::move(conditions));
  log::info("throttling.blocking_updated", "global blocking conditions changed",
            {{"conditions", std::to_string(members.size() - invalid)},
             {"invalid", std::to_string(invalid)}});
  last_members_ = std::move(members);
  have_members_ = true;
  return true;
}

}  // namespace mgw::throttling
