#include "net/read_rearm.h"

#include <boost/version.hpp>

namespace mgw::net {

#if BOOST_VERSION == 108100 && defined(BOOST_ASIO_HAS_EPOLL) && \
    !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)

namespace {

using Socket = boost::asio::basic_socket<boost::asio::ip::tcp, boost::asio::any_io_executor>;
using Impl = boost::asio::detail::io_object_impl<
    boost::asio::detail::reactive_socket_service<boost::asio::ip::tcp>,
    boost::asio::any_io_executor>;
using Reactor = boost::asio::detail::epoll_reactor;
using State = Reactor::descriptor_state;

// The explicit-instantiation access rule ([temp.explicit]/12): names used in the template
// arguments of an explicit instantiation are not access-checked. The friend function defined by
// the instantiation hands out the member pointer.
struct ImplTag {
  using type = Impl Socket::*;
  friend type member(ImplTag);
};
struct SpeculativeTag {
  using type = bool (State::*)[Reactor::max_ops];
  friend type member(SpeculativeTag);
};
struct QueueTag {
  using type =
      boost::asio::detail::op_queue<boost::asio::detail::reactor_op> (State::*)[Reactor::max_ops];
  friend type member(QueueTag);
};
template <typename Tag, typename Tag::type M>
struct Steal {
  friend typename Tag::type member(Tag) { return M; }
};

template struct Steal<ImplTag, &Socket::impl_>;
template struct Steal<SpeculativeTag, &State::try_speculative_>;
template struct Steal<QueueTag, &State::op_queue_>;

State* stateOf(boost::asio::ip::tcp::socket& socket) {
  Impl& io_object = static_cast<Socket&>(socket).*member(ImplTag{});
  return io_object.get_implementation().reactor_data_;
}
}  // namespace

bool readRearmSupported() {
  return true;
}

bool readSpeculative(boost::asio::ip::tcp::socket& socket) {
  State* state = stateOf(socket);
  return state == nullptr || (state->*member(SpeculativeTag{}))[Reactor::read_op];
}

bool readQueued(boost::asio::ip::tcp::socket& socket) {
  State* state = stateOf(socket);
  return state != nullptr && !(state->*member(QueueTag{}))[Reactor::read_op].empty();
}

void markReadDrained(boost::asio::ip::tcp::socket& socket) {
  State* state = stateOf(socket);
  if (state != nullptr)
    (state->*member(SpeculativeTag{}))[Reactor::read_op] = false;
}

#else

bool readRearmSupported() {
  return false;
}
bool readSpeculative(boost::asio::ip::tcp::socket&) {
  return true;
}
void markReadDrained(boost::asio::ip::tcp::socket&) {}
bool readQueued(boost::asio::ip::tcp::socket&) {
  return false;
}

#endif

}  // namespace mgw::net
