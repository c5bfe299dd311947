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
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/apps/launcher.hpp"
#include "actors/apps/launcher_state.hpp"
#include "actors/transport/summary_json.hpp"
#include "actors/visor/atoms.hpp"
#include "messages/wire/routing/rule.hpp"
#include "messages/error.hpp"
#include "runtime/config/duration.hpp"
#include "runtime/io/stream_connection.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/supervision.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::io::stream_connection_ptr)

namespace skywire::visor {

namespace {

namespace asio = boost::asio;
namespace json = boost::json;

using accepted_atom = caf::atom_constant<caf::atom("gw_accept")>;
using data_atom = caf::atom_constant<caf::atom("gw_data")>;
using closed_atom = caf::atom_constant<caf::atom("gw_closed")>;
using drop_atom = caf::atom_constant<caf::atom("gw_drop")>;

constexpr const char* component = "cli_gateway";

// JSON-RPC error codes
constexpr int parse_error = -32700;
constexpr int invalid_request = -32600;
constexpr int method_not_found = -32601;
constexpr int invalid_params = -32602;
constexpr int server_error = -32000;
constexpr int timeout_error = -32001;

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

  template <class Socket>
  void hand_over(Socket&& sock) {
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
  std::string pending; // bytes after the last complete line
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

std::string error_line(const std::string& id_json, int code, std::string_view message) {
  std::string out = "{\"id\":" + id_json + ",\"error\":{\"code\":" + std::to_string(code)
                    + ",\"message\":";
  out += json::serialize(json::value(message));
  out += "}}\n";
  return out;
}

std::string result_line(const std::string& id_json, const std::string& result_json) {
  return "{\"id\":" + id_json + ",\"result\":" + result_json + "}\n";
}

/// A typed answer and how it becomes JSON.
template <class T>
struct convert {
  using answer = T;
  std::function<json::value(T&)> fn;
  json::value operator()(T& x) const { return fn(x); }
};

std::string error_text(const caf::error& err) {
  if (err == caf::sec::request_timeout)
    return "the visor did not answer in time";
  const auto& ctx = err.context();
  if (!ctx.empty() && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return describe(err);
}

// ---- transport methods (the reference's names, service "app-visor") ----------------------

/// A parameter problem: the text of an invalid_params answer.
struct bad_params {
  std::string text;
};

const json::value* param(const json::value* params, std::string_view key) {
  if (!params)
    return nullptr;
  return params->get_object().if_contains(key);
}

std::variant<transport_id, bad_params> id_param(const json::value* params) {
  const auto* v = param(params, "id");
  if (!v || !v->is_string())
    return bad_params{"params.id must be a transport ID (UUID text)"};
  auto id = transport_id::from_string(v->get_string());
  if (!id)
    return bad_params{"params.id: not a transport ID: " + describe(id.error())};
  return *id;
}

std::variant<public_key, bad_params> pk_param(const json::value* params, std::string_view key) {
  const auto* v = param(params, key);
  if (!v || !v->is_string())
    return bad_params{"params." + std::string{key} + " must be a public key (66 hex digits)"};
  auto pk = public_key::from_hex(v->get_string());
  if (!pk || pk->is_null())
    return bad_params{"params." + std::string{key} + ": not a public key"};
  return *pk;
}

/// An optional integer field of params in [lo, hi] into `out`; false when
/// present and not such a number (absent: `out` unchanged).
template <class T>
bool uint_field(const json::object& o, const char* key, int64_t lo, uint64_t hi, T& out) {
  auto* v = o.if_contains(key);
  if (!v)
    return true;
  if (!v->is_int64() || v->get_int64() < lo || static_cast<uint64_t>(v->get_int64()) > hi)
    return false;
  out = static_cast<T>(v->get_int64());
  return true;
}

/// A route ID: params.id, a number in [1, 2^32-1].
std::variant<uint32_t, bad_params> route_id_param(const json::value* params) {
  const auto* v = param(params, "id");
  if (!v || !(v->is_int64() || v->is_uint64()))
    return bad_params{"params.id must be a route ID (a number)"};
  auto n = v->is_int64() ? static_cast<int64_t>(v->get_int64()) : -1;
  if (v->is_uint64() && v->get_uint64() <= 0xffffffffu)
    n = static_cast<int64_t>(v->get_uint64());
  if (n <= 0 || n > 0xffffffffll)
    return bad_params{"params.id must be a route ID in 1..4294967295"};
  return static_cast<uint32_t>(n);
}

/// A rule to save: params.rule, a RuleSummary object (§4.2), as its bytes.
std::variant<std::vector<uint8_t>, bad_params> rule_param(const json::value* params) {
  const auto* v = param(params, "rule");
  if (!v || !v->is_object())
    return bad_params{"params.rule must be a RuleSummary object"};
  auto text = json::serialize(*v);
  if (text.size() > wire::routing::max_rule_summary_json)
    return bad_params{"params.rule is too long"};
  auto r = wire::routing::decode_summary_json(text);
  if (!r)
    return bad_params{"params.rule: " + describe(r.error())};
  return r->encode();
}

/// An app name: params.<key>, a non-empty string of at most 64 bytes.
std::variant<std::string, bad_params> app_name_param(const json::value* params, const char* key) {
  const auto* v = param(params, key);
  if (!v || !v->is_string() || v->get_string().empty() || v->get_string().size() > 64)
    return bad_params{"params." + std::string{key} + " must name an app"};
  return std::string{v->get_string()};
}

/// Transports' filter: {"FilterTypes":[..],"FilterPubKeys":[..],"ShowLogs":bool}.
std::variant<api::transport_filter, bad_params> filter_param(const json::value* params) {
  api::transport_filter f;
  if (const auto* t = param(params, "FilterTypes"); t && !t->is_null()) {
    if (!t->is_array())
      return bad_params{"params.FilterTypes must be an array of type names"};
    for (const auto& x : t->get_array()) {
      if (!x.is_string() || x.get_string().size() > 32)
        return bad_params{"params.FilterTypes must be an array of type names"};
      f.types.emplace_back(x.get_string());
    }
  }
  if (const auto* p = param(params, "FilterPubKeys"); p && !p->is_null()) {
    if (!p->is_array())
      return bad_params{"params.FilterPubKeys must be an array of public keys"};
    for (const auto& x : p->get_array()) {
      auto pk = x.is_string() ? public_key::from_hex(x.get_string())
                              : expected<public_key>{caf::make_error(caf::sec::invalid_argument)};
      if (!pk)
        return bad_params{"params.FilterPubKeys: not a public key"};
      f.pks.push_back(*pk);
    }
  }
  return f;
}

/// AddTransport: {"RemotePK":pk,"TpType":type,"Timeout":ns or "10s"}.
std::variant<api::transport_request, bad_params> add_param(const json::value* params) {
  auto pk = pk_param(params, "RemotePK");
  if (auto* b = std::get_if<bad_params>(&pk))
    return *b;
  api::transport_request r;
  r.remote = std::get<public_key>(pk);
  const auto* t = param(params, "TpType");
  if (!t || !t->is_string() || t->get_string().empty() || t->get_string().size() > 32)
    return bad_params{"params.TpType must name a transport type"};
  r.type = std::string{t->get_string()};
  if (const auto* to = param(params, "Timeout"); to && !to->is_null()) {
    std::optional<std::chrono::nanoseconds> d;
    if (to->is_int64() && to->get_int64() >= 0)
      d = std::chrono::nanoseconds{to->get_int64()};
    else if (to->is_uint64())
      d = std::chrono::nanoseconds{
        static_cast<int64_t>(std::min<uint64_t>(to->get_uint64(), uint64_t{3'600'000'000'000}))};
    else if (to->is_string())
      d = config::parse_go_duration(to->get_string());
    if (!d || d->count() < 0)
      return bad_params{"params.Timeout must be nanoseconds or a duration (\"30s\")"};
    r.timeout_ms = static_cast<uint64_t>(std::min<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(*d).count(), 300'000));
  }
  return r;
}

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

  // Forwards one request to the visor and writes the answer back (every
  // visor.* request answers a JSON text: checked against api::visor_actor).
  auto forward_within = [self, visor, send](std::chrono::milliseconds timeout, uint64_t id,
                                            std::string rid, auto... request) {
    self->request(visor, timeout, std::move(request)...)
      .then([send, id, rid](std::string& result) { send(id, result_line(rid, result)); },
            [send, id, rid](caf::error& err) {
              int code = err == caf::sec::request_timeout ? timeout_error : server_error;
              send(id, error_line(rid, code, error_text(err)));
            });
  };
  auto forward = [forward_within, timeout = opts.request_timeout](uint64_t id, std::string rid,
                                                                  auto... request) {
    forward_within(timeout, id, std::move(rid), std::move(request)...);
  };

  // A typed request to the visor whose answer `convert` turns into JSON.
  auto forward_typed = [self, visor, send](uint64_t id, std::string rid,
                                           std::chrono::milliseconds timeout, auto convert,
                                           auto... request) {
    using answer = typename decltype(convert)::answer;
    self->request(visor, timeout, std::move(request)...)
      .then([send, id, rid,
             convert](answer& a) { send(id, result_line(rid, json::serialize(convert(a)))); },
            [send, id, rid](caf::error& err) {
              int code = err == caf::sec::request_timeout ? timeout_error : server_error;
              send(id, error_line(rid, code, error_text(err)));
            });
  };

  // The transport methods; false when `method` is none of them.
  auto handle_transport = [send, forward_typed, opts](uint64_t id, const std::string& rid,
                                                      std::string_view method,
                                                      const json::value* params) -> bool {
    auto t = opts.request_timeout;
    auto refuse = [&](const bad_params& b) { send(id, error_line(rid, invalid_params, b.text)); };
    if (method == "app-visor.TransportTypes") {
      forward_typed(id, rid, t, convert<std::vector<std::string>>{[](auto& v) {
                      json::array a;
                      for (auto& x : v)
                        a.emplace_back(json::value(x));
                      return json::value(std::move(a));
                    }},
                    api::tp_types_atom::value);
    } else if (method == "app-visor.Transports") {
      auto f = filter_param(params);
      if (auto* b = std::get_if<bad_params>(&f))
        return refuse(*b), true;
      forward_typed(id, rid, t, convert<std::vector<api::transport_summary>>{[](auto& v) {
                      return json::value(transport::to_json(v));
                    }},
                    api::tp_list_atom::value, std::get<api::transport_filter>(f));
    } else if (method == "app-visor.Transport") {
      auto tid = id_param(params);
      if (auto* b = std::get_if<bad_params>(&tid))
        return refuse(*b), true;
      forward_typed(id, rid, t, convert<api::transport_summary>{[](auto& s) {
                      return json::value(transport::to_json(s));
                    }},
                    api::tp_get_atom::value, std::get<transport_id>(tid));
    } else if (method == "app-visor.AddTransport") {
      auto r = add_param(params);
      if (auto* b = std::get_if<bad_params>(&r))
        return refuse(*b), true;
      auto req = std::get<api::transport_request>(r);
      // the dial has its own deadline: wait for it, and a little more
      auto wait = std::chrono::milliseconds{req.timeout_ms > 0 ? req.timeout_ms : 20'000}
                  + std::chrono::seconds{5};
      forward_typed(id, rid, std::max(t, wait), convert<api::transport_summary>{[](auto& s) {
                      return json::value(transport::to_json(s));
                    }},
                    api::tp_add_atom::value, std::move(req));
    } else if (method == "app-visor.RemoveTransport") {
      auto tid = id_param(params);
      if (auto* b = std::get_if<bad_params>(&tid))
        return refuse(*b), true;
      forward_typed(id, rid, t, convert<api::tp_ok_atom>{[](auto&) { return json::value("ok"); }},
                    api::tp_remove_atom::value, std::get<transport_id>(tid));
    } else if (method == "app-visor.RemoveAllTransports") {
      forward_typed(id, rid, t, convert<uint64_t>{[](auto& n) {
                      json::object o;
                      o["removed"] = n;
                      return json::value(std::move(o));
                    }},
                    api::tp_remove_all_atom::value);
    } else if (method == "app-visor.DiscoverTransportsByPK") {
      auto pk = pk_param(params, "pk");
      if (auto* b = std::get_if<bad_params>(&pk))
        return refuse(*b), true;
      forward_typed(id, rid, t, convert<std::vector<api::transport_entry>>{[](auto& v) {
                      return json::value(transport::to_json(v));
                    }},
                    api::tp_disc_pk_atom::value, std::get<public_key>(pk));
    } else if (method == "app-visor.DiscoverTransportByID") {
      auto tid = id_param(params);
      if (auto* b = std::get_if<bad_params>(&tid))
        return refuse(*b), true;
      forward_typed(id, rid, t, convert<std::vector<api::transport_entry>>{[](auto& v) {
                      return v.empty() ? json::value(nullptr)
                                       : json::value(transport::to_json(v.front()));
                    }},
                    api::tp_disc_id_atom::value, std::get<transport_id>(tid));
    } else if (method == "transport.ping") {
      auto tid = id_param(params);
      if (auto* b = std::get_if<bad_params>(&tid))
        return refuse(*b), true;
      forward_typed(id, rid, t, convert<uint64_t>{[](auto& us) {
                      json::object o;
                      o["rtt_us"] = us;
                      return json::value(std::move(o));
                    }},
                    api::tp_ping_atom::value, std::get<transport_id>(tid));
    } else {
      return false;
    }
    return true;
  };

  // The router's methods (the reference's visor RPC names); false when
  // `method` is none of them.
  auto handle_routing = [send, forward, forward_within](uint64_t id, const std::string& rid,
                                                        std::string_view method,
                                                        const json::value* params) -> bool {
    auto refuse = [&](const bad_params& b) { send(id, error_line(rid, invalid_params, b.text)); };
    if (method == "app-visor.RoutingRules") {
      forward(id, rid, api::rt_rules_atom::value);
    } else if (method == "app-visor.RoutingRule" || method == "app-visor.RemoveRoutingRule") {
      auto r = route_id_param(params);
      if (auto* b = std::get_if<bad_params>(&r))
        return refuse(*b), true;
      if (method == "app-visor.RoutingRule")
        forward(id, rid, api::rt_rule_atom::value, std::get<uint32_t>(r));
      else
        forward(id, rid, api::rt_remove_atom::value, std::get<uint32_t>(r));
    } else if (method == "visor.ping") {
      // ours: {"pk":…, "count":n, "size":n, "min_hops":n, "port":n (default 48)}
      api::route_ping req;
      auto pk = pk_param(params, "pk");
      if (auto* b = std::get_if<bad_params>(&pk))
        return refuse(*b), true;
      req.remote = std::get<public_key>(pk);
      if (params && params->is_object()) {
        const auto& o = params->get_object();
        if (!uint_field(o, "count", 0, 1000, req.count) || !uint_field(o, "size", 0, 65536, req.size)
            || !uint_field(o, "min_hops", 0, 255, req.min_hops)
            || !uint_field(o, "port", 1, 65535, req.port))
          return refuse(bad_params{"count 0..1000, size 0..65536, min_hops 0..255, port 1..65535"}),
                 true;
      }
      forward(id, rid, api::rt_ping_atom::value, std::move(req));
    } else if (method == "visor.speed") {
      // ours: {"pk":…, "mib":n, "min_hops":n}
      api::route_speed req;
      auto pk = pk_param(params, "pk");
      if (auto* b = std::get_if<bad_params>(&pk))
        return refuse(*b), true;
      req.remote = std::get<public_key>(pk);
      if (params && params->is_object()) {
        const auto& o = params->get_object();
        if (!uint_field(o, "mib", 1, api::max_speed_mib, req.mib)
            || !uint_field(o, "min_hops", 0, 255, req.min_hops))
          return refuse(bad_params{"mib 1.." + std::to_string(api::max_speed_mib)
                                   + ", min_hops 0..255"}),
                 true;
      }
      // the dial's deadline, then at least 10 MiB/s
      auto wait = api::speed_wait(req.mib);
      forward_within(wait, id, rid, api::rt_speed_atom::value, std::move(req));
    } else if (method == "visor.routes") {
      forward(id, rid, api::rt_routes_atom::value);
    } else if (method == "app-visor.SaveRoutingRule") {
      auto r = rule_param(params);
      if (auto* b = std::get_if<bad_params>(&r))
        return refuse(*b), true;
      forward(id, rid, api::rt_save_atom::value, std::move(std::get<std::vector<uint8_t>>(r)));
    } else {
      return false;
    }
    return true;
  };

  // SkyNet forwarding and the reward address (the reference's visor RPC
  // names; params as objects); false when `method` is none of them.
  auto handle_fwd = [send, forward](uint64_t id, const std::string& rid, std::string_view method,
                                     const json::value* params) -> bool {
    auto refuse = [&](const std::string& text) { send(id, error_line(rid, invalid_params, text)); };
    auto port = [&](const char* key) -> std::optional<uint16_t> {
      const json::value* v = params ? params->get_object().if_contains(key) : nullptr;
      if (!v || !v->is_int64() || v->get_int64() < 1 || v->get_int64() > 65535)
        return std::nullopt;
      return static_cast<uint16_t>(v->get_int64());
    };
    auto text = [&](const char* key, size_t max) -> std::optional<std::string> {
      const json::value* v = params ? params->get_object().if_contains(key) : nullptr;
      if (!v || !v->is_string() || v->get_string().size() > max)
        return std::nullopt;
      return std::string{v->get_string()};
    };
    if (method == "app-visor.RegisterHTTPPort" || method == "app-visor.DeregisterHTTPPort") {
      auto p = port("port");
      if (!p)
        return refuse("params.port must be 1..65535"), true;
      if (method == "app-visor.RegisterHTTPPort")
        forward(id, rid, api::fwd_register_atom::value, *p);
      else
        forward(id, rid, api::fwd_deregister_atom::value, *p);
    } else if (method == "app-visor.ListHTTPPorts") {
      forward(id, rid, api::fwd_list_atom::value);
    } else if (method == "app-visor.Connect") {
      auto pk = pk_param(params, "pk");
      if (auto* b = std::get_if<bad_params>(&pk))
        return refuse(b->text), true;
      auto r = port("remote_port");
      auto l = port("local_port");
      if (!r || !l)
        return refuse("params.remote_port and params.local_port must be 1..65535"), true;
      forward(id, rid, api::rev_connect_atom::value, std::get<public_key>(pk), *r, *l);
    } else if (method == "app-visor.Disconnect") {
      auto i = text("id", 64);
      if (!i)
        return refuse("params.id must be a connection id"), true;
      forward(id, rid, api::rev_disconnect_atom::value, *i);
    } else if (method == "app-visor.List") {
      forward(id, rid, api::rev_list_atom::value);
    } else if (method == "app-visor.GetRewardAddress") {
      forward(id, rid, api::reward_get_atom::value);
    } else if (method == "app-visor.SetRewardAddress") {
      auto a = text("address", 64);
      if (!a)
        return refuse("params.address must be a skycoin address"), true;
      forward(id, rid, api::reward_set_atom::value, *a);
    } else if (method == "app-visor.DeleteRewardAddress") {
      forward(id, rid, api::reward_delete_atom::value);
    } else {
      return false;
    }
    return true;
  };

  // The launcher's methods (the reference's names: Apps, StartApp, StopApp,
  // SetAutoStart, LogsSince); false when `method` is none of them.
  auto handle_apps = [send, forward_typed](uint64_t id, const std::string& rid,
                                           std::string_view method,
                                           const json::value* params) -> bool {
    auto refuse = [&](const bad_params& b) { send(id, error_line(rid, invalid_params, b.text)); };
    auto one = convert<api::app_summary>{[](auto& s) { return json::value(apps::to_json(s)); }};
    // a stop waits for the app to end (killed after its grace)
    const auto t = std::chrono::seconds{15};
    if (method == "app-visor.Apps") {
      forward_typed(id, rid, t, convert<std::vector<api::app_summary>>{[](auto& v) {
                      json::array a;
                      for (auto& x : v)
                        a.emplace_back(apps::to_json(x));
                      return json::value(std::move(a));
                    }},
                    api::app_ls_atom::value);
    } else if (method == "app-visor.StartApp" || method == "app-visor.StopApp") {
      auto n = app_name_param(params, "name");
      if (auto* b = std::get_if<bad_params>(&n))
        return refuse(*b), true;
      if (method == "app-visor.StartApp")
        forward_typed(id, rid, t, one, api::app_start_atom::value, std::get<std::string>(n));
      else
        forward_typed(id, rid, t, one, api::app_stop_atom::value, std::get<std::string>(n));
    } else if (method == "app-visor.StartSkysocksClient") {
      // {"pk":<server>,"name":"skysocks-client","addr":"host:port","http":"host:port"}
      // (the reference passes the key alone; the rest is `cli proxy start`'s)
      const auto* pk = param(params, "pk");
      if (!pk || !pk->is_string() || !public_key::from_hex(pk->get_string()))
        return refuse(bad_params{"params.pk must be the skysocks server's public key"}), true;
      std::string name = "skysocks-client";
      if (param(params, "name")) {
        auto n = app_name_param(params, "name");
        if (auto* b = std::get_if<bad_params>(&n))
          return refuse(*b), true;
        name = std::get<std::string>(n);
      }
      std::vector<std::string> flags{"srv", std::string{pk->get_string()}};
      for (const char* key : {"addr", "http"}) {
        const auto* v = param(params, key);
        if (!v || v->is_null())
          continue;
        if (!v->is_string() || v->get_string().size() > 256
            || v->get_string().find_first_of(std::string_view{"\0\n\r", 3}) != json::string::npos)
          return refuse(bad_params{"params." + std::string{key} + " must be host:port"}), true;
        flags.push_back(key);
        flags.emplace_back(v->get_string());
      }
      // a stop of the running client (up to its grace), the config, the start
      forward_typed(id, rid, std::chrono::seconds{30}, one, api::app_run_with_atom::value, std::move(name),
                    std::string{"skysocks-client"}, std::move(flags));
    } else if (method == "app-visor.SetAutoStart") {
      // {"AppName":name,"AutoStart":bool} (the reference's SetAutoStartIn)
      auto n = app_name_param(params, "AppName");
      if (auto* b = std::get_if<bad_params>(&n))
        return refuse(*b), true;
      const auto* on = param(params, "AutoStart");
      if (!on || !on->is_bool())
        return refuse(bad_params{"params.AutoStart must be true or false"}), true;
      forward_typed(id, rid, t, one, api::app_autostart_atom::value, std::get<std::string>(n),
                    on->get_bool());
    } else if (method == "app-visor.LogsSince") {
      // {"AppName":name,"TimeStamp":RFC 3339 | "beginning"}
      auto n = app_name_param(params, "AppName");
      if (auto* b = std::get_if<bad_params>(&n))
        return refuse(*b), true;
      int64_t since = 0;
      if (const auto* ts = param(params, "TimeStamp"); ts && !ts->is_null()) {
        auto parsed = ts->is_string() ? apps::parse_rfc3339_ns(ts->get_string())
                                      : std::optional<int64_t>{};
        if (!parsed)
          return refuse(bad_params{"params.TimeStamp must be an RFC 3339 time or \"beginning\""}),
                 true;
        since = *parsed;
      }
      forward_typed(id, rid, t, convert<std::vector<std::string>>{[](auto& v) {
                      json::array a;
                      for (auto& x : v)
                        a.emplace_back(json::string_view{x});
                      return json::value(std::move(a));
                    }},
                    api::app_logs_atom::value, std::get<std::string>(n), since);
    } else {
      return false;
    }
    return true;
  };

  auto handle_line = [send, forward, handle_transport, handle_routing, handle_apps, handle_fwd,
                     opts](uint64_t id,
                                                             std::string_view line) {
    if (line.empty())
      return;
    boost::system::error_code ec;
    json::value req = json::parse(line, ec);
    if (ec) {
      send(id, error_line("null", parse_error, "invalid JSON: " + ec.message()));
      return;
    }
    if (!req.is_object()) {
      send(id, error_line("null", invalid_request, "a request must be a JSON object"));
      return;
    }
    auto& obj = req.get_object();
    std::string rid = "null";
    if (auto it = obj.find("id"); it != obj.end()) {
      if (!it->value().is_number() && !it->value().is_string() && !it->value().is_null()) {
        send(id, error_line("null", invalid_request, "id must be a number, a string or null"));
        return;
      }
      rid = json::serialize(it->value());
    }
    auto m = obj.find("method");
    if (m == obj.end() || !m->value().is_string()) {
      send(id, error_line(rid, invalid_request, "method must be a string"));
      return;
    }
    const json::value* params = nullptr;
    if (auto p = obj.find("params"); p != obj.end() && !p->value().is_null()) {
      if (!p->value().is_object()) {
        send(id, error_line(rid, invalid_params, "params must be an object"));
        return;
      }
      params = &p->value();
    }
    std::string_view method = m->value().get_string();
    SKYWIRE_LOG(trace, component, "request", log::kv("method", method), log::kv("conn", id));
    if (method == "visor.pk")
      forward(id, rid, pk_atom::value);
    else if (method == "visor.info")
      forward(id, rid, info_atom::value);
    else if (method == "visor.actors")
      forward(id, rid, actors_atom::value);
    else if (method == "visor.halt")
      forward(id, rid, halt_atom::value);
    else if (method == "debug.crash") {
      if (!opts.fault_injection) {
        send(id, error_line(rid, method_not_found,
                            "debug.crash is disabled (the visor was not started with "
                            "--enable-fault-injection)"));
        return;
      }
      const json::value* actor = params ? params->get_object().if_contains("actor") : nullptr;
      if (!actor || !actor->is_string() || actor->get_string().empty()
          || actor->get_string().size() > 256) {
        send(id, error_line(rid, invalid_params, "params.actor must name a child actor"));
        return;
      }
      forward(id, rid, crash_atom::value, std::string{actor->get_string()});
    } else if (handle_transport(id, rid, method, params)) {
      // answered there
    } else if (handle_routing(id, rid, method, params)) {
      // answered there
    } else if (handle_apps(id, rid, method, params)) {
      // answered there
    } else if (handle_fwd(id, rid, method, params)) {
      // answered there
    } else {
      send(id, error_line(rid, method_not_found,
                          "unknown method \"" + std::string{method.substr(0, 64)} + "\""));
    }
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
      clients[id] = client{conn, {}, false};
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
      auto& pending = i->second.pending;
      pending.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      size_t start = 0;
      for (auto nl = pending.find('\n', start); nl != std::string::npos;
           nl = pending.find('\n', start)) {
        auto line = std::string_view{pending}.substr(start, nl - start);
        if (!line.empty() && line.back() == '\r')
          line.remove_suffix(1);
        if (line.size() > opts.max_line)
          break;
        handle_line(id, line);
        start = nl + 1;
        if (clients.find(id) == clients.end())
          return;
      }
      pending.erase(0, start);
      if (pending.size() > opts.max_line) {
        send(id, error_line("null", invalid_request,
                            "request line longer than " + std::to_string(opts.max_line)
                              + " bytes; closing"));
        i->second.dropping = true;
        i->second.pending.clear();
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
