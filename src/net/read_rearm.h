// Lets a connection tell Asio's epoll reactor that a socket has just been read dry, so that the
// next async_receive is queued without a speculative recv() (and, unlike async_wait, without an
// EPOLL_CTL_MOD): one system call less per read.
//
// Why it is safe: Asio registers every socket once, edge-triggered, for EPOLLIN. After a read that
// returned fewer bytes than asked, the socket is empty; any byte arriving later raises a new edge
// that epoll_wait reports, and the reactor either performs the queued receive or, when none is
// queued, sets the flag again (so the next receive reads speculatively, as Asio would). The flag
// may therefore be cleared only where no epoll_wait can have run since the short read: in the
// same handler as a synchronous read, or in the handler of a receive the reactor completed first
// in its pass (the handler runs right after the receive was performed). A receive that completed
// inside async_receive (readQueued() false) or after a write wait of the same pass (its handler
// is deferred) must not clear it. Users: UpstreamConnection and Http1Connection (plain TCP).
//
// Boost 1.81's epoll_reactor keeps the "try a speculative read first" flag in a private member
// (descriptor_state::try_speculative_); it is reached with the standard explicit-instantiation
// access rule. Any other Boost version or reactor compiles to a no-op (behaviour unchanged, the
// speculative recv simply stays).
//
// Threading: call on the socket's own io_context thread (one thread per io_context here).
#pragma once

#include <boost/asio/ip/tcp.hpp>

namespace mgw::net {

// The socket was just read dry by the handler of a receive that completed first in its reactor
// pass: the next async_receive may skip its speculative recv(). A no-op where unsupported.
void markReadDrained(boost::asio::ip::tcp::socket& socket);
// False where the reactor is not the one this was written for (the functions are then no-ops).
bool readRearmSupported();
// True if the next async_receive would first try a speculative recv(): the reactor has seen
// readiness since the socket was last marked drained (or never was).
bool readSpeculative(boost::asio::ip::tcp::socket& socket);
// Right after an async_receive was started: true if it waits in the reactor, false if it already
// completed (a speculative read got data; its handler is posted and may run after the reactor
// polled again, so its handler must not call markReadDrained). False where unsupported.
bool readQueued(boost::asio::ip::tcp::socket& socket);

}  // namespace mgw::net
