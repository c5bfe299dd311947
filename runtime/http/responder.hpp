// The completion handle a route handler gets with each request. It may be
// called later and from any thread (e.g. by an actor); the first call wins,
// later calls are ignored. If every copy is destroyed without a call, the
// client gets 500, so a dropped request never hangs a connection.
#pragma once

#include <functional>
#include <memory>

#include "runtime/http/message.hpp"

namespace skywire::http {

class responder {
public:
  using deliver_fn = std::function<void(response)>;

  responder() = default;
  /// `deliver` runs at most once, on the thread that calls send() (or the
  /// thread that drops the last copy); it must be thread-safe (it posts).
  explicit responder(deliver_fn deliver);

  /// Sends the response; returns false if one was already sent.
  bool send(response r) const;
  bool operator()(response r) const { return send(std::move(r)); }

  /// Whether this responder is attached to a request and not yet answered.
  bool pending() const noexcept;

private:
  struct state;
  std::shared_ptr<state> st_;
};

} // namespace skywire::http
