#include "runtime/io/unix_listener.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include <boost/asio/post.hpp>

namespace skywire::io {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

// True when something accepts connections on `path` right now.
bool somebody_listens(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
  ::close(fd);
  return live;
}

} // namespace

unix_listener::unix_listener(io_runtime& io, accept_fn fn, std::string path)
  : acceptor_(io.context()), on_accept_(std::move(fn)), path_(std::move(path)) {
}

expected<std::shared_ptr<unix_listener>> unix_listener::start(io_runtime& io,
                                                              const std::string& path,
                                                              accept_fn on_accept) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path))
    return make_error(wire_errc::bad_value, "unix socket path '" + path + "' is empty or too long");
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return make_error(wire_errc::bad_value, path + " exists and is not a socket");
    if (somebody_listens(path))
      return make_error(wire_errc::bad_value, "another process listens on " + path);
    ::unlink(path.c_str());
  }
  std::shared_ptr<unix_listener> l(new unix_listener(io, std::move(on_accept), path));
  boost::system::error_code ec;
  local::endpoint ep{path};
  l->acceptor_.open(ep.protocol(), ec);
  // created owner-only: no window in which another user could connect
  auto old_mask = ::umask(0177);
  if (!ec)
    l->acceptor_.bind(ep, ec);
  ::umask(old_mask);
  if (!ec && ::chmod(path.c_str(), 0600) != 0)
    ec = boost::system::error_code(errno, boost::system::system_category());
  if (!ec)
    l->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(wire_errc::bad_value, "cannot listen on " + path + ": " + ec.message());
  asio::post(l->acceptor_.get_executor(), [l] { l->do_accept(); });
  return l;
}

void unix_listener::do_accept() {
  acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec,
                                                     local::socket sock) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open())
      return;
    if (!ec && self->on_accept_)
      self->on_accept_(stream_connection::make(std::move(sock)));
    self->do_accept();
  });
}

void unix_listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    if (self->acceptor_.is_open()) {
      self->acceptor_.close(ec);
      ::unlink(self->path_.c_str());
    }
  });
}

} // namespace skywire::io
