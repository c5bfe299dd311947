// A transport type as the manager sees it (its "type table" entry): how to
// reach a peer and where connections are accepted. The manager knows
// nothing else about a type, so a new one (sudph, dmsg) plugs in by
// implementing this and adding itself to manager_config::networks
// (docs/architecture.md, "How a new transport type plugs in").
//
//  - dial(pk, cb): a connected, not yet started io::byte_link to the peer
//    (TCP connection, KCP session, dmsg stream), or an error value; cb runs
//    once, on any thread.
//  - listen(accept): from now on every accepted connection that passed the
//    listener's admission control (runtime/io/admission.hpp) is handed to
//    `accept` with its admission ticket, on an io thread; the manager's
//    inbound set (inbound.hpp) runs the responder's handshakes on it.
//  - mode(): what runs on the byte_link (transport_mode of transport_core:
//    noise_kk for stcp/stcpr/sudph, dmsg for dmsg).
//  - unavailable(): why the type cannot be used now ("" when it can); the
//    manager neither lists such a type (`tp type`) nor dials it, and a dial
//    request fails with that reason (sudph behind a symmetric NAT).
//  - redial_delay(): a type whose peer has several candidate addresses
//    (sudph) asks the transport actor to dial again, attempt + 1, when a
//    dialed connection ends before its handshakes completed, until the dial
//    deadline; the others dial once.
//  - authenticated(conn): an accepted connection passed its handshakes (it
//    left the inbound set): a type that keeps its own bounds on
//    unauthenticated sessions (sudph) releases it from them.
//  - responder_params(conn, p): what the responder's core must know of an
//    accepted connection before its first byte (dmsg: the stream's peer and
//    ports, which no frame carries); the default adds nothing.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "actors/transport/transport_core.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "runtime/io/admission.hpp"
#include "runtime/io/byte_link.hpp"

namespace skywire::transport {

class transport_network {
public:
  using dial_fn = std::function<void(expected<io::byte_link_ptr>)>;
  using accept_fn = std::function<void(io::byte_link_ptr, io::admission_ticket_ptr)>;

  virtual ~transport_network() = default;

  /// The type name ("stcp", "stcpr", ...).
  virtual const std::string& type() const noexcept = 0;
  virtual transport_mode mode() const noexcept { return transport_mode::noise_kk; }
  /// Fills in what a responder core needs to know of `conn` (a connection
  /// this network handed to its accept callback).
  virtual void responder_params(const io::byte_link& conn, transport_core::params& p) const {
    static_cast<void>(conn);
    static_cast<void>(p);
  }
  /// Starts accepting (a type without a listener returns none and accepts
  /// nothing). An error leaves the type usable for dialing.
  virtual caf::error listen(accept_fn on_accept) = 0;
  /// Connects to the peer; `attempt` counts the dials of one transport
  /// (0 first; more only with redial_delay()).
  virtual void dial(const public_key& remote, unsigned attempt, dial_fn cb) = 0;
  /// Why the type is not offered now ("" = it is). Any thread.
  virtual std::string unavailable() const { return {}; }
  /// After a dialed connection failed before it was up: dial again after
  /// this delay (doubling per attempt, at most 8 times it) while the dial
  /// deadline allows; nullopt: the transport fails.
  virtual std::optional<std::chrono::milliseconds> redial_delay() const noexcept {
    return std::nullopt;
  }
  /// An accepted connection authenticated (its settlement entry verified).
  /// Any thread.
  virtual void authenticated(const io::byte_link_ptr& conn) { static_cast<void>(conn); }
  /// Stops the listener and any background work; no accept follows.
  virtual void stop() = 0;
  /// For `visor info`: {"type","listening","error",...}.
  virtual boost::json::object info() const = 0;
};

using transport_network_ptr = std::shared_ptr<transport_network>;

/// The admission counters a listener shows in `visor info`:
/// "pending_handshakes", "admitted", "refused": {per_ip, per_prefix, budget, evicted}.
inline void add_admission_info(boost::json::object& o, const io::admission& adm) {
  o["pending_handshakes"] = adm.pending();
  o["admitted"] = adm.admitted();
  boost::json::object refused;
  for (auto r :
       {io::refusal::per_ip, io::refusal::per_prefix, io::refusal::budget, io::refusal::evicted})
    refused[io::to_string(r)] = adm.counter(r);
  o["refused"] = std::move(refused);
}

/// Where a peer listens: candidate "host:port" texts, best first, or an
/// error value; the callback runs once, on any thread.
using address_resolver =
  std::function<void(const public_key&, std::function<void(expected<std::vector<std::string>>)>)>;

} // namespace skywire::transport
