#include "net/event_scope.h"

namespace mgw::net {

EventScope::State& EventScope::state() {
  thread_local State s;
  return s;
}

bool EventScope::defer(std::shared_ptr<void> keep, void (*call)(void*)) {
  State& s = state();
  if (s.depth == 0)
    return false;
  s.queue.push_back(Work{std::move(keep), call});
  return true;
}

EventScope::~EventScope() {
  State& s = state();
  if (s.depth > 1) {
    --s.depth;
    return;
  }
  // Still open while the queue drains, so that work deferring more work appends to it. By index:
  // the vector may grow meanwhile.
  for (size_t i = 0; i < s.queue.size(); ++i) {
    Work work = std::move(s.queue[i]);
    work.call(work.keep.get());
  }
  s.queue.clear();
  --s.depth;
}

}  // namespace mgw::net
