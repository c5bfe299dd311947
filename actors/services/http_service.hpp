// What every HTTP control-plane service shares (dmsg discovery, transport
// discovery; later address resolver, service discovery, ...):
//  * one actor that owns the service's API object and answers, one at a
//    time, the requests the HTTP server routes to it, and calls the API's
//    sweep() every sweep interval;
//  * the start function that puts an HTTP server (runtime/http: admission
//    control, per-source connection caps, deadlines) in front of it;
//  * the paging of long lists (?offset=N&limit=M, X-Total-Count,
//    X-Next-Offset).
// The API is a plain class, tested without the actor:
//   http::response handle(Op, const http::request&);
//   size_t sweep();
//   void set_metrics_source(std::function<std::string()>);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "messages/error.hpp"
#include "runtime/http/responder.hpp"
#include "runtime/http/router.hpp"
#include "runtime/http/server.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services {

/// One HTTP request routed to a service actor (local only, never BASP: each
/// instantiation is declared with CAF_ALLOW_UNSAFE_MESSAGE_TYPE).
template <class Op>
struct http_call {
  Op op;
  http::request req;
  http::responder res;
};

using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

/// A running service: the actor, the bound port, the HTTP server.
struct http_service_handle {
  const char* name = "http_service";
  caf::actor actor;
  uint16_t port = 0;
  std::shared_ptr<http::server> server;

  /// Stops the HTTP server and the actor (idempotent).
  void stop();
};

/// The server settings every service starts from: its listen address and
/// connection budget, the default deadlines (10 s read, write, handler), and
/// 4 KiB bodies on paths no route matches (so they get 404, not 413).
http::server_config service_server_config(std::string host, uint16_t port, size_t max_connections);

/// A route handler that forwards the request to `actor` as op.
template <class Op>
http::handler forward_to(caf::actor actor, Op op) {
  return [actor, op](http::request req, http::responder res) {
    caf::anon_send(actor, http_call<Op>{op, std::move(req), std::move(res)});
  };
}

/// The /health answer every service gives (messages/wire/health.hpp):
/// build_info with `version`, started_at, and dmsg_address ("<pk>:<port>")
/// when the service serves its API over dmsg too ("" leaves it out).
http::response health_answer(const std::string& version, int64_t started_at_unix_ns,
                             const std::string& dmsg_address);

struct http_service_options {
  const char* name = "http_service"; ///< the actor's name, the log component
  http::server_config server;        ///< host, port, limits, timeouts, error replies
  std::chrono::nanoseconds sweep_interval = std::chrono::seconds{10};
  std::string metrics_prefix; ///< of the HTTP server's own metrics, e.g. "tpd_"
};

/// The options of a service named `name` ("tpd": the actor's name, the log
/// component, and the metrics prefix "tpd_") that listens as `cfg` says (its
/// host, port and max_connections), sweeps every `sweep_interval` and, when
/// `error_response` is set, answers the server's own refusals (404, 405,
/// 413, ...) in the service's shape (else http::json_error).
template <class Config>
http_service_options
service_options(const char* name, const Config& cfg, std::chrono::nanoseconds sweep_interval,
                http::response (*error_response)(unsigned, std::string_view) = nullptr) {
  http_service_options o;
  o.name = name;
  o.server = service_server_config(cfg.host, cfg.port, cfg.max_connections);
  if (error_response)
    o.server.error_response = error_response;
  o.sweep_interval = sweep_interval;
  o.metrics_prefix = std::string{name} + "_";
  return o;
}

namespace detail {

/// Logs that the actor outlived stop() (kept out of the template).
void log_still_running(const char* name);
void log_handler_failure(const char* name, const std::string& path, const char* what);

template <class Api, class Op>
struct http_service_state {
  std::shared_ptr<Api> api;
  std::function<http::response(unsigned, std::string_view)> error_reply;
  const char* name = "http_service"; ///< the actor's name (stateful_actor::name)
};

template <class Api, class Op>
class http_service_actor : public caf::stateful_actor<http_service_state<Api, Op>> {
public:
  using super = caf::stateful_actor<http_service_state<Api, Op>>;

  http_service_actor(caf::actor_config& cfg, std::shared_ptr<Api> api,
                     std::function<http::response(unsigned, std::string_view)> error_reply,
                     const char* name, std::chrono::milliseconds interval)
    : super(cfg), interval_(interval.count() > 0 ? interval : std::chrono::milliseconds{10'000}) {
    this->state.api = std::move(api);
    this->state.error_reply = std::move(error_reply);
    this->state.name = name;
  }

  caf::behavior make_behavior() override {
    this->delayed_send(this, interval_, sweep_atom::value);
    caf::message_handler base{
      [this](http_call<Op>& call) {
        http::response r;
        try {
          r = this->state.api->handle(call.op, call.req);
        } catch (const std::exception& e) {
          log_handler_failure(this->state.name, call.req.path, e.what());
          r = this->state.error_reply(500, "something unexpected happened");
        }
        call.res.send(std::move(r));
      },
      [this](sweep_atom) {
        this->state.api->sweep();
        this->delayed_send(this, interval_, sweep_atom::value);
      },
    };
    return base.or_else(extra_handlers());
  }

protected:
  /// The handlers of a service's own messages (a derived actor adds them).
  virtual caf::message_handler extra_handlers() { return {}; }

private:
  std::chrono::milliseconds interval_;
};

} // namespace detail

/// Spawns the actor owning `api` (a detail::http_service_actor, or a class
/// derived from it that adds handlers) and starts the HTTP server with the
/// routes `make_routes(actor)` builds; the server's metrics are appended to
/// the API's /metrics. On a bind failure the actor is stopped again.
template <class Op, class Api, class Actor = detail::http_service_actor<Api, Op>>
expected<http_service_handle>
start_http_service(caf::actor_system& sys, io::io_runtime& io, std::shared_ptr<Api> api,
                   http_service_options opts,
                   const std::function<http::router(caf::actor)>& make_routes) {
  if (!opts.server.error_response)
    opts.server.error_response = [](unsigned st, std::string_view why) {
      return http::json_error(st, why);
    };
  http_service_handle h;
  h.name = opts.name;
  h.actor = sys.spawn<Actor>(
    api, opts.server.error_response, opts.name,
    std::chrono::duration_cast<std::chrono::milliseconds>(opts.sweep_interval));
  h.server = std::make_shared<http::server>(io, opts.server, make_routes(h.actor));
  std::weak_ptr<http::server> weak = h.server;
  // Set before the first request can arrive; the actor reads it afterwards.
  api->set_metrics_source([weak, prefix = opts.metrics_prefix] {
    auto s = weak.lock();
    return s ? s->metrics_text(prefix) : std::string{};
  });
  auto port = h.server->start();
  if (!port) {
    caf::anon_send_exit(h.actor, caf::exit_reason::user_shutdown);
    return port.error();
  }
  h.port = *port;
  return h;
}

/// ?offset=N&limit=M of a list request; limit is capped at `max_limit`
/// (absent: max_limit). Nullopt when either is not a decimal number.
struct page_request {
  size_t offset = 0;
  size_t limit = 0;
};
std::optional<page_request> page_of(const http::request& req, size_t max_limit);

/// X-Total-Count: total, and X-Next-Offset when `next` < total.
void add_page_headers(http::response& r, size_t total, size_t next);

/// {"error":"<text>"} + "\n" with the status: the error reply of the
/// reference's services that json.NewEncoder an Error{Error string}.
http::response error_object_reply(unsigned status, std::string_view text);

/// One Prometheus sample with its TYPE line: "# TYPE <prefix><name> <type>\n<prefix><name> <v>\n".
void append_metric(std::string& out, std::string_view prefix, std::string_view name,
                   std::string_view type, uint64_t v);

} // namespace skywire::services
