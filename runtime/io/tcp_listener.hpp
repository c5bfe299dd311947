// A TCP acceptor on the io_runtime that hands every accepted connection to a
// callback (on an io thread) as a ready stream_connection. Bounded: beyond
// max_connections live accepted sockets... is the owner's business; the
// listener only accepts.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "messages/error.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::io {

class tcp_listener : public std::enable_shared_from_this<tcp_listener> {
public:
  using accept_fn = std::function<void(stream_connection_ptr)>;

  /// Binds host:port (port 0 = ephemeral) and starts accepting. Accepted
  /// sockets go round robin over the shards, or all onto `shard` when given
  /// (a consumer that runs on one shard and wants its sockets there).
  static expected<std::shared_ptr<tcp_listener>> start(io_runtime& io, const std::string& host,
                                                       uint16_t port, accept_fn on_accept,
                                                       boost::asio::io_context* shard = nullptr);

  uint16_t port() const noexcept { return port_; }
  void stop();

private:
  tcp_listener(io_runtime& io, accept_fn fn);
  void do_accept();

  io_runtime* io_;
  boost::asio::io_context* shard_ = nullptr;
  boost::asio::ip::tcp::acceptor acceptor_;
  accept_fn on_accept_;
  uint16_t port_ = 0;
};

using tcp_listener_ptr = std::shared_ptr<tcp_listener>;

} // namespace skywire::io
