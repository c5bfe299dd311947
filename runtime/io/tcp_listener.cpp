#include "runtime/io/tcp_listener.hpp"

#include <boost/asio/post.hpp>

namespace skywire::io {

namespace asio = boost::asio;

tcp_listener::tcp_listener(io_runtime& io, accept_fn fn)
  : io_(&io), acceptor_(io.context()), on_accept_(std::move(fn)) {
}

expected<std::shared_ptr<tcp_listener>> tcp_listener::start(io_runtime& io,
                                                            const std::string& host,
                                                            uint16_t port, accept_fn on_accept,
                                                            asio::io_context* shard) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec)
    return make_error(wire_errc::bad_value, "bad listen address '" + host + "'");
  std::shared_ptr<tcp_listener> l(new tcp_listener(io, std::move(on_accept)));
  l->shard_ = shard;
  asio::ip::tcp::endpoint ep{addr, port};
  l->acceptor_.open(ep.protocol(), ec);
  if (!ec)
    l->acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    l->acceptor_.bind(ep, ec);
  if (!ec)
    l->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(wire_errc::bad_value,
                      "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  l->port_ = l->acceptor_.local_endpoint(ec).port();
  asio::post(l->acceptor_.get_executor(), [l] { l->do_accept(); });
  return l;
}

void tcp_listener::do_accept() {
  // Each accepted socket lives on the next shard (its reads, parsing and
  // writes run there), or on the chosen one; the accept handler itself runs
  // on shard 0.
  acceptor_.async_accept(shard_ ? *shard_ : io_->next_context(), [self = shared_from_this()](
                                                boost::system::error_code ec,
                                                asio::ip::tcp::socket sock) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open())
      return;
    if (!ec && self->on_accept_)
      self->on_accept_(stream_connection::make(std::move(sock)));
    self->do_accept(); // transient errors (EMFILE...) do not stop the listener
  });
}

void tcp_listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
  });
}

} // namespace skywire::io
