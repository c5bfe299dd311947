// Test support for the HTTP services: an actor system with an io runtime to
// start a service on, and one blocking request to it on 127.0.0.1 (a
// failure to get any answer fails the test). Include from a doctest file.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "runtime/http/client.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::test {

struct service_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  io::io_runtime io{2};
};

/// Runs `stop` when the scope ends, a failed REQUIRE included (a service
/// left running would keep the actor system from shutting down).
struct stop_at_exit {
  std::function<void()> stop;
  ~stop_at_exit() {
    if (stop)
      stop();
  }
};

inline http::response http_call(uint16_t port, http::verb m, std::string target,
                                std::string body = {}, http::header_list headers = {}) {
  http::client_request r;
  r.method = m;
  r.port = port;
  r.target = std::move(target);
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.timeout = std::chrono::seconds{4};
  auto res = http::request_sync(r);
  REQUIRE_MESSAGE(res, describe(res.error()));
  return *res;
}

} // namespace skywire::test
