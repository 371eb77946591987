// Work deferred to the end of the event being handled: after the handler's own work, as a posted
// handler would run, but without a trip through Asio's scheduler.
//
// Coalescing what one event writes (a response head and its body, a request head and its body)
// used to post the flush as a handler, and so did finishing an exchange off the stream's call
// stack. A posted handler makes Asio's scheduler poll epoll once more (epoll_wait with a zero
// timeout) before running it: at low concurrency that is two extra system calls per proxied
// request, on its latency path. Instead, the socket event handlers open an EventScope on their
// stack; work deferred while one is open runs, in order, when the outermost scope closes (work
// may defer more work). Outside any scope afterEvent() posts, so every other entry point (timers,
// posted handlers, filter call-backs) keeps its old behaviour.
//
// Threading: one scope stack and one queue per thread; a worker's handlers never interleave.
#pragma once

#include <boost/asio/post.hpp>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace mgw::net {

class EventScope {
 public:
  EventScope() { ++state().depth; }
  ~EventScope();
  EventScope(const EventScope&) = delete;
  EventScope& operator=(const EventScope&) = delete;

  // Queues `call(keep.get())` for the end of the outermost open scope; `keep` holds the object
  // alive until then. False, queuing nothing, when no scope is open on this thread.
  static bool defer(std::shared_ptr<void> keep, void (*call)(void*));

 private:
  struct Work {
    std::shared_ptr<void> keep;
    void (*call)(void*);
  };
  struct State {
    int depth = 0;
    std::vector<Work> queue;  // keeps its capacity: no allocation per event once warm
  };
  static State& state();
};

// Runs `(self->*Fn)()` at the end of the current event (EventScope), or from a posted handler on
// `executor` when no scope is open.
template <class T, void (T::*Fn)(), class Executor>
void afterEvent(Executor&& executor, std::shared_ptr<T> self) {
  constexpr auto call = [](void* p) { (static_cast<T*>(p)->*Fn)(); };
  if (EventScope::defer(self, +call))
    return;
  boost::asio::post(std::forward<Executor>(executor),
                    [self = std::move(self)] { ((*self).*Fn)(); });
}

}  // namespace mgw::net
