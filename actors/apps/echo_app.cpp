#include "actors/apps/echo_app.hpp"

#include <chrono>

#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/routing/route_manager.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::apps {

namespace {

constexpr const char* component = "app echo";

struct echo_app_state {
  caf::actor listener; ///< held here: the route manager may not keep it
  static inline const char* name = "app echo";
};

caf::behavior echo_app(caf::stateful_actor<echo_app_state>* self, app_context ctx) {
  system::install_exception_handler(self, component);
  auto fail = [self, launcher = ctx.launcher](const std::string& why) {
    self->send(launcher, api::app_error_atom::value, why);
    self->quit(caf::make_error(caf::sec::runtime_error, why));
  };
  if (!ctx.routes) {
    fail("the visor runs no routes (its config has no dmsg section)");
    return {};
  }
  // the listener: every accepted route is echoed; it ends with the app
  auto echo = self->spawn<caf::linked>(routing::route_echo);
  self->state.listener = echo;
  self->send(ctx.launcher, api::app_status_atom::value, std::string{"Starting"});
  // the routes are the listen: when they end (a restart of the visor's
  // `routes`), so does the app, and the launcher's restart listens anew
  self->monitor(ctx.routes);
  self->set_down_handler([fail](caf::down_msg&) { fail("the visor's routes ended"); });
  auto port = ctx.routing_port.value;
  self->request(ctx.routes, std::chrono::seconds{10}, api::rt_listen_atom::value, port, echo)
    .then(
      [self, launcher = ctx.launcher, port](api::ok_atom) {
        SKYWIRE_LOG(debug, component, "listening", log::kv("port", port));
        self->send(launcher, api::app_status_atom::value, std::string{"Running"});
      },
      [fail, port](caf::error& err) {
        fail("cannot listen on routing port " + std::to_string(port) + ": " + describe(err));
      });
  return {
    [](api::app_status_atom, const std::string&) {},
  };
}

} // namespace

expected<caf::actor> spawn_echo_app(const app_context& ctx) {
  if (!ctx.args.empty())
    return caf::make_error(caf::sec::invalid_argument,
                           "echo takes no arguments (got \"" + ctx.args.front() + "\")");
  if (ctx.routing_port.value == 0)
    return caf::make_error(caf::sec::invalid_argument, "echo needs a routing port (port: 0)");
  return ctx.sys->spawn(echo_app, ctx);
}

} // namespace skywire::apps
