// A unix stream socket acceptor on the io_runtime (the dmsgpty CLI socket,
// local control sockets). The socket file is created with mode 0600 (owner
// only); a stale file left by a dead process is replaced, a live listener on
// the path is not (start fails). stop() closes and unlinks the file.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/local/stream_protocol.hpp>

#include "messages/error.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::io {

class unix_listener : public std::enable_shared_from_this<unix_listener> {
public:
  using accept_fn = std::function<void(stream_connection_ptr)>;

  static expected<std::shared_ptr<unix_listener>> start(io_runtime& io, const std::string& path,
                                                        accept_fn on_accept);

  const std::string& path() const noexcept { return path_; }
  void stop();

private:
  unix_listener(io_runtime& io, accept_fn fn, std::string path);
  void do_accept();

  boost::asio::local::stream_protocol::acceptor acceptor_;
  accept_fn on_accept_;
  std::string path_;
};

using unix_listener_ptr = std::shared_ptr<unix_listener>;

} // namespace skywire::io
