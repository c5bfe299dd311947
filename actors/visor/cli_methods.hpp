// cli_methods: how the CLI gateway (cli_gateway.cpp) hands a parsed request
// to the method tables — the visor's methods (cli_methods_visor.cpp: visor.*,
// debug.crash, the transports, the router, forwarding and the reward
// address) and the launcher's (cli_methods_apps.cpp: app-visor.Apps, …).
// A table answers the request (with the visor's answer or an error line) and
// returns true, or returns false when the method is none of its own.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include <caf/event_based_actor.hpp>

#include "actors/visor/cli_rpc.hpp"
#include "messages/api/visor.hpp"

namespace skywire::visor::cli {

/// One request on its way to the visor.
struct method_call {
  caf::event_based_actor* self; // the gateway
  api::visor_actor visor;
  std::function<void(std::string)> send; // a line to the requesting client
  std::chrono::milliseconds timeout;     // a request's default deadline
  bool fault_injection;                  // debug.crash is allowed
  std::string rid;                       // the request's id as JSON text
  std::string_view method;
  const json::value* params; // an object, or nullptr

  /// Answers an invalid_params error.
  void refuse(std::string_view text) const { send(error_line(rid, invalid_params, text)); }

  /// Asks the visor within `within` and answers its JSON text (every such
  /// request answers a string: checked against api::visor_actor).
  template <class... Ts>
  void forward_within(std::chrono::milliseconds within, Ts... request) const {
    self->request(visor, within, std::move(request)...)
        .then([send = send, rid = rid](std::string& result) { send(result_line(rid, result)); },
              [send = send, rid = rid](caf::error& err) {
                send(error_line(rid, error_code(err), error_text(err)));
              });
  }

  template <class... Ts> void forward(Ts... request) const {
    forward_within(timeout, std::move(request)...);
  }

  /// A typed request to the visor whose answer `conv` turns into JSON.
  template <class Convert, class... Ts>
  void forward_typed(std::chrono::milliseconds within, Convert conv, Ts... request) const {
    using answer = typename Convert::answer;
    self->request(visor, within, std::move(request)...)
        .then([send = send, rid = rid,
               conv](answer& a) { send(result_line(rid, json::serialize(conv(a)))); },
              [send = send, rid = rid](caf::error& err) {
                send(error_line(rid, error_code(err), error_text(err)));
              });
  }
};

/// A list answer: a JSON array of `elem` of each element.
template <class T, class F> convert<std::vector<T>> each(F elem) {
  return {[elem](std::vector<T>& v) {
    json::array a;
    for (auto& x : v)
      a.emplace_back(elem(x));
    return json::value(std::move(a));
  }};
}

/// visor.pk, visor.info, visor.actors, visor.halt, debug.crash, the
/// transport methods, the router's, forwarding's and the reward address's.
bool visor_methods(const method_call& call);

/// The launcher's methods (app-visor.Apps, StartApp, StopApp,
/// StartSkysocksClient, SetAutoStart, LogsSince).
bool app_methods(const method_call& call);

} // namespace skywire::visor::cli
