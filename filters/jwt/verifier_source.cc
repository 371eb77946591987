#include "filters/jwt/verifier_source.h"

namespace mgw::jwt {
namespace {

std::atomic<uint64_t> next_source_id{1};

struct ThreadSlot {
  uint64_t source = 0;
  uint64_t generation = 0;
  std::shared_ptr<const Verifier> verifier;
};

}  // namespace

VerifierSource::VerifierSource(std::shared_ptr<const Verifier> initial)
    : current_(std::move(initial)), id_(next_source_id.fetch_add(1, std::memory_order_relaxed)) {}

VerifierSource::~VerifierSource() {
  // Stop the fetcher before the state it publishes into goes away.
  background_.reset();
}

const Verifier& VerifierSource::current() const {
  thread_local ThreadSlot slot;
  // Relaxed is enough: when the value changed, the mutex below orders the pointer read after the
  // writer's store; when it did not, the slot already holds the newest pointer this thread saw.
  const uint64_t gen = generation_.load(std::memory_order_relaxed);
  if (slot.source != id_ || slot.generation != gen || !slot.verifier) {
    std::lock_guard lock(mu_);
    slot.verifier = current_;
    slot.generation = generation_.load(std::memory_order_relaxed);
    slot.source = id_;
  }
  return *slot.verifier;
}

std::shared_ptr<const Verifier> VerifierSource::snapshot() const {
  std::lock_guard lock(mu_);
  return current_;
}

void VerifierSource::publish(std::shared_ptr<const Verifier> next) {
  std::shared_ptr<const Verifier> old;
  {
    std::lock_guard lock(mu_);
    old = std::move(current_);
    current_ = std::move(next);
    generation_.fetch_add(1, std::memory_order_relaxed);
  }
  // `old` is released outside the lock (threads may still hold it in their slot).
}

}  // namespace mgw::jwt
