// The current Verifier of the gateway, replaced while it runs when JWKS keys are (re)fetched.
//
// Threading: one writer (the JWKS fetcher thread) publishes a new Verifier under a mutex and bumps
// an atomic generation; each worker thread keeps a thread_local copy of the shared_ptr and takes
// the mutex only on the first use and after a publication (a relaxed load of the generation on
// every request, nothing else). The request path therefore never contends on a lock and never
// touches a shared reference count.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "filters/jwt/verifier.h"

namespace mgw::jwt {

class VerifierSource {
 public:
  explicit VerifierSource(std::shared_ptr<const Verifier> initial);
  ~VerifierSource();
  VerifierSource(const VerifierSource&) = delete;
  VerifierSource& operator=(const VerifierSource&) = delete;

  // The Verifier to use on this thread now. The reference stays valid until this thread's next
  // current() call on any source.
  const Verifier& current() const;
  // A counted copy (writer side and tests; takes the mutex).
  std::shared_ptr<const Verifier> snapshot() const;
  // Writer: makes `next` current for every thread.
  void publish(std::shared_ptr<const Verifier> next);
  // Number of publications so far.
  uint64_t publications() const { return generation_.load(std::memory_order_relaxed); }

  // Request path: a token named a `kid` no key of its issuer has, or its issuer has no keys yet.
  // Lock-free; wakes the fetcher (which rate-limits the refetch per issuer).
  void requestRefresh() const {
    if (on_refresh_)
      on_refresh_();
  }
  // Set once before the workers start.
  void setRefreshHook(std::function<void()> hook) { on_refresh_ = std::move(hook); }
  // Something that must live as long as this source and stop before it (the fetcher thread).
  void adopt(std::shared_ptr<void> background) { background_ = std::move(background); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Verifier> current_;
  std::atomic<uint64_t> generation_{0};
  uint64_t id_;  // tells sources apart in the thread_local slot
  std::function<void()> on_refresh_;
  std::shared_ptr<void> background_;  // last member: destroyed (stopped) first
};

}  // namespace mgw::jwt
