#include "actors/visor/cli_gateway.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>

#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/visor/cli_methods.hpp"
#include "actors/visor/cli_rpc.hpp"
#include "runtime/io/stream_connection.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/supervision.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::io::stream_connection_ptr)

namespace skywire::visor {

namespace {

namespace asio = boost::asio;

using accepted_atom = caf::atom_constant<caf::atom("gw_accept")>;
using data_atom = caf::atom_constant<caf::atom("gw_data")>;
using closed_atom = caf::atom_constant<caf::atom("gw_closed")>;
using drop_atom = caf::atom_constant<caf::atom("gw_drop")>;

constexpr const char* component = "cli_gateway";

// The listening socket, on the Asio loop. Accepted connections are handed to
// the gateway actor (by weak address).
class listener : public std::enable_shared_from_this<listener> {
public:
  listener(asio::io_context& ctx, caf::actor_addr owner) : ctx_(ctx), owner_(std::move(owner)) {}

  // Binds and listens. Runs in the actor's init (bind/listen do not block).
  caf::error open(const config::local_endpoint& ep) {
    boost::system::error_code ec;
    if (ep.is_unix()) {
      if (auto err = clear_stale(ep.path))
        return err;
      unix_.emplace(ctx_);
      unix_->open(asio::local::stream_protocol{}, ec);
      if (!ec)
        unix_->bind(asio::local::stream_protocol::endpoint{ep.path}, ec);
      if (ec)
        return fail(ep, ec);
      ::chmod(ep.path.c_str(), 0600);
      unix_->listen(asio::socket_base::max_listen_connections, ec);
      if (ec)
        return fail(ep, ec);
      struct stat st {};
      if (::stat(ep.path.c_str(), &st) == 0) {
        path_ = ep.path;
        inode_ = st.st_ino;
      }
    } else {
      auto addr = asio::ip::make_address(ep.host, ec);
      if (ec)
        return fail(ep, ec);
      asio::ip::tcp::endpoint tep{addr, ep.port};
      tcp_.emplace(ctx_);
      tcp_->open(tep.protocol(), ec);
      if (!ec)
        tcp_->set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec)
        tcp_->bind(tep, ec);
      if (!ec)
        tcp_->listen(asio::socket_base::max_listen_connections, ec);
      if (ec)
        return fail(ep, ec);
    }
    return {};
  }

  void start() {
    asio::post(ctx_, [self = shared_from_this()] { self->accept_next(); });
  }

  // Removes the socket file (if it is still ours) and closes the acceptor.
  void close() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (closed_)
        return;
      closed_ = true;
    }
    if (!path_.empty()) {
      struct stat st {};
      if (::stat(path_.c_str(), &st) == 0 && st.st_ino == inode_)
        ::unlink(path_.c_str());
    }
    asio::post(ctx_, [self = shared_from_this()] {
      boost::system::error_code ignored;
      if (self->unix_)
        self->unix_->close(ignored);
      if (self->tcp_)
        self->tcp_->close(ignored);
    });
  }

private:
  caf::error fail(const config::local_endpoint& ep, const boost::system::error_code& ec) {
    return caf::make_error(caf::sec::cannot_open_port,
                           "cannot listen on " + ep.to_string() + ": " + ec.message());
  }

  // A socket file left by a visor that died: remove it. A live one (someone
  // accepts connections) or a non-socket file is an error.
  static caf::error clear_stale(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
      return {};
    if (!S_ISSOCK(st.st_mode))
      return caf::make_error(caf::sec::cannot_open_port,
                             path + " exists and is not a socket; refusing to replace it");
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
      sockaddr_un sa{};
      sa.sun_family = AF_UNIX;
      std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
      int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
      ::close(fd);
      if (rc == 0)
        return caf::make_error(caf::sec::cannot_open_port,
                               path + " is in use: is another visor running?");
    }
    ::unlink(path.c_str());
    return {};
  }

  template <class Socket> void hand_over(Socket&& sock) {
    auto conn = io::stream_connection::make(std::forward<Socket>(sock));
    if (auto h = caf::actor_cast<caf::actor>(owner_))
      caf::anon_send(h, accepted_atom::value, conn);
    else
      conn->close();
  }

  void accept_next() {
    if (unix_ && unix_->is_open()) {
      unix_->async_accept([self = shared_from_this()](const boost::system::error_code& ec,
                                                      asio::local::stream_protocol::socket s) {
        if (ec == asio::error::operation_aborted || !self->unix_->is_open())
          return;
        if (!ec)
          self->hand_over(std::move(s));
        self->accept_next();
      });
    } else if (tcp_ && tcp_->is_open()) {
      tcp_->async_accept([self = shared_from_this()](const boost::system::error_code& ec,
                                                     asio::ip::tcp::socket s) {
        if (ec == asio::error::operation_aborted || !self->tcp_->is_open())
          return;
        if (!ec)
          self->hand_over(std::move(s));
        self->accept_next();
      });
    }
  }

  asio::io_context& ctx_;
  caf::actor_addr owner_;
  std::optional<asio::local::stream_protocol::acceptor> unix_;
  std::optional<asio::ip::tcp::acceptor> tcp_;
  std::string path_;
  ino_t inode_ = 0;
  std::mutex mtx_;
  bool closed_ = false;
};

struct client {
  io::stream_connection_ptr conn;
  cli::line_framer framer; // bytes after the last complete line
  bool dropping = false;
};

// Everything that must be closed when the gateway ends, however it ends.
struct gateway_core {
  std::shared_ptr<listener> lst;
  std::map<uint64_t, client> clients;
  void close_all() {
    if (lst)
      lst->close();
    for (auto& kv : clients)
      kv.second.conn->close();
    clients.clear();
  }
};

struct gateway_state {
  std::shared_ptr<gateway_core> core = std::make_shared<gateway_core>();
  uint64_t next_id = 1;
  static inline const char* name = "cli_gateway";
};

caf::behavior cli_gateway(caf::stateful_actor<gateway_state>* self, api::visor_actor visor,
                          cli_gateway_options opts) {
  system::install_exception_handler(self, component);
  auto core = self->state.core;
  self->attach_functor([core] { core->close_all(); });
  if (!opts.io) {
    self->quit(caf::make_error(caf::sec::invalid_argument, "cli_gateway needs an io runtime"));
    return {};
  }
  core->lst = std::make_shared<listener>(opts.io->context(), self->address());
  if (auto err = core->lst->open(opts.endpoint)) {
    SKYWIRE_LOG(error, component, "cannot open the CLI socket", log::kv("error", err));
    self->quit(err);
    return {};
  }
  core->lst->start();
  SKYWIRE_LOG(debug, component, "listening", log::kv("addr", opts.endpoint.to_string()));

  auto send = [self](uint64_t id, std::string line) {
    auto& clients = self->state.core->clients;
    if (auto i = clients.find(id); i != clients.end())
      i->second.conn->write(io::byte_buffer(line.begin(), line.end()));
  };

  auto handle_line = [self, visor, send, opts](uint64_t id, std::string_view line) {
    if (line.empty())
      return;
    auto parsed = cli::parse_request(line);
    if (auto* e = std::get_if<cli::request_error>(&parsed)) {
      send(id, cli::error_line(e->rid, e->code, e->message));
      return;
    }
    const auto& req = std::get<cli::request>(parsed);
    std::string_view method = req.method;
    SKYWIRE_LOG(trace, component, "request", log::kv("method", method), log::kv("conn", id));
    cli::method_call call{self,
                          visor,
                          [send, id](std::string out) { send(id, std::move(out)); },
                          opts.request_timeout,
                          opts.fault_injection,
                          req.rid,
                          method,
                          req.params_ptr()};
    if (!cli::visor_methods(call) && !cli::app_methods(call))
      send(id, cli::error_line(req.rid, cli::method_not_found,
                               "unknown method \"" + std::string{method.substr(0, 64)} + "\""));
  };

  return caf::message_handler{
      [self, opts](accepted_atom, io::stream_connection_ptr conn) {
        auto& clients = self->state.core->clients;
        if (clients.size() >= opts.max_connections) {
          SKYWIRE_LOG(warn, component, "too many CLI connections; refusing one",
                      log::kv("limit", opts.max_connections));
          conn->close();
          return;
        }
        auto id = self->state.next_id++;
        auto addr = self->address();
        clients.insert_or_assign(id, client{conn, cli::line_framer{opts.max_line}, false});
        conn->set_max_queued(4 * 1024 * 1024);
        conn->start(io::stream_connection::callbacks{
                        [addr, id](io::byte_buffer&& bytes) {
                          if (auto h = caf::actor_cast<caf::actor>(addr))
                            caf::anon_send(h, data_atom::value, id, std::move(bytes));
                        },
                        {},
                        [addr, id](const boost::system::error_code&) {
                          if (auto h = caf::actor_cast<caf::actor>(addr))
                            caf::anon_send(h, closed_atom::value, id);
                        },
                        {}},
                    opts.max_line + 1);
      },
      [self, send, handle_line, opts](data_atom, uint64_t id, const io::byte_buffer& bytes) {
        auto& clients = self->state.core->clients;
        auto i = clients.find(id);
        if (i == clients.end() || i->second.dropping)
          return;
        auto& framer = i->second.framer;
        framer.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        while (auto line = framer.next()) {
          handle_line(id, *line);
          if (clients.find(id) == clients.end())
            return;
        }
        if (framer.overflowed()) {
          send(id, cli::error_line("null", cli::invalid_request,
                                   "request line longer than " + std::to_string(opts.max_line)
                                       + " bytes; closing"));
          i->second.dropping = true;
          framer.clear();
          // let the error line leave before closing
          self->delayed_send(self, std::chrono::milliseconds(100), drop_atom::value, id);
        }
      },
      [self](drop_atom, uint64_t id) {
        auto& clients = self->state.core->clients;
        if (auto i = clients.find(id); i != clients.end()) {
          i->second.conn->close();
          clients.erase(i);
        }
      },
      [self](closed_atom, uint64_t id) { self->state.core->clients.erase(id); },
  }
      .or_else(system::fault_injection_handler());
}

} // namespace

caf::actor spawn_cli_gateway(caf::actor_system& sys, const api::visor_actor& visor,
                             cli_gateway_options opts) {
  return sys.spawn(cli_gateway, visor, std::move(opts));
}

} // namespace skywire::visor
