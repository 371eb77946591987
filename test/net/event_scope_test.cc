#include "net/event_scope.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

namespace mgw::net {
namespace {

// A connection-like object: appends to a shared trace when its deferred member runs.
struct Recorder : std::enable_shared_from_this<Recorder> {
  explicit Recorder(std::string* trace, char tag) : trace(trace), tag(tag) {}
  void run() { trace->push_back(tag); }
  // Defers `next` from inside deferred work.
  void runAndDeferNext() {
    trace->push_back(tag);
    if (next)
      afterEvent<Recorder, &Recorder::run>(*io, next);
  }
  std::string* trace;
  char tag;
  boost::asio::io_context* io = nullptr;
  std::shared_ptr<Recorder> next;
};

TEST(EventScope, OutsideAScopeTheWorkIsPosted) {
  boost::asio::io_context io;
  std::string trace;
  auto r = std::make_shared<Recorder>(&trace, 'a');
  afterEvent<Recorder, &Recorder::run>(io, r);
  EXPECT_EQ(trace, "");
  EXPECT_EQ(io.poll(), 1u);
  EXPECT_EQ(trace, "a");
}

TEST(EventScope, InsideAScopeTheWorkRunsAtItsEndInOrderWithoutPosting) {
  boost::asio::io_context io;
  std::string trace;
  auto a = std::make_shared<Recorder>(&trace, 'a');
  auto b = std::make_shared<Recorder>(&trace, 'b');
  {
    EventScope scope;
    afterEvent<Recorder, &Recorder::run>(io, a);
    afterEvent<Recorder, &Recorder::run>(io, b);
    trace.push_back('-');  // the handler's own work comes first
  }
  EXPECT_EQ(trace, "-ab");
  EXPECT_EQ(io.poll(), 0u);  // nothing went through the scheduler
}

TEST(EventScope, NestedScopesRunTheWorkWhenTheOutermostCloses) {
  boost::asio::io_context io;
  std::string trace;
  auto a = std::make_shared<Recorder>(&trace, 'a');
  {
    EventScope outer;
    {
      EventScope inner;
      afterEvent<Recorder, &Recorder::run>(io, a);
    }
    EXPECT_EQ(trace, "");
  }
  EXPECT_EQ(trace, "a");
}

TEST(EventScope, WorkMayDeferMoreWorkAndKeepsItsObjectAlive) {
  boost::asio::io_context io;
  std::string trace;
  std::weak_ptr<Recorder> watch;
  {
    EventScope scope;
    auto a = std::make_shared<Recorder>(&trace, 'a');
    a->io = &io;
    a->next = std::make_shared<Recorder>(&trace, 'b');
    watch = a;
    afterEvent<Recorder, &Recorder::runAndDeferNext>(io, std::move(a));
    EXPECT_FALSE(watch.expired());  // held by the queue only
  }
  EXPECT_EQ(trace, "ab");
  EXPECT_TRUE(watch.expired());  // released once run
  EXPECT_EQ(io.poll(), 0u);
  // The scope is closed again: work is posted (restart: poll() found no work and stopped).
  io.restart();
  auto c = std::make_shared<Recorder>(&trace, 'c');
  afterEvent<Recorder, &Recorder::run>(io, c);
  EXPECT_EQ(io.poll(), 1u);
  EXPECT_EQ(trace, "abc");
}

}  // namespace
}  // namespace mgw::net
