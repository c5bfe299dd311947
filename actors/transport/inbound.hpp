// Accepted connections of one transport type until their peer is known:
// each runs the responder's handshakes (transport_link, responder role) on
// its io shard, without an actor. A connection that authenticates (its
// settlement entry verified: lk_reg) leaves the set and goes to the target
// (the manager), which gives it to the transport's actor; one that fails
// (garbage, a truncated handshake, a slowloris cut at its phase deadline, an
// eviction by admission control) is counted here and costs no message.
//
// The first phase's deadline is the admission ticket's (it shrinks while
// many connections are pending), at most the reference's 10 s.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/json/object.hpp>
#include <caf/actor.hpp>

#include "actors/transport/transport_link.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/admission.hpp"

namespace skywire::transport {

class inbound : public std::enable_shared_from_this<inbound> {
public:
  struct params {
    crypto::keypair local;
    std::string type;
    transport_mode mode = transport_mode::noise_kk;
    transport_core::timeouts limits;
    caf::actor target;         ///< receives (lk_reg_atom, link)
    size_t max_pending = 1024; ///< beyond admission's own bounds: a hard cap
    /// Told of each connection that authenticated (leaves the set with its
    /// settlement entry verified), on its thread; optional.
    std::function<void(const io::byte_link_ptr&)> on_authenticated;
    /// What the type adds to a responder's parameters (network.hpp:
    /// responder_params); optional.
    std::function<void(const io::byte_link&, transport_core::params&)> prepare;
  };

  static std::shared_ptr<inbound> make(params p);

  /// Takes an admitted connection (any thread).
  void accept(io::byte_link_ptr conn, io::admission_ticket_ptr ticket);

  /// Aborts every pending connection; later ones are refused.
  void close_all();

  size_t pending() const;
  /// {"pending","accepted","authenticated","dropped"}
  boost::json::object info() const;

private:
  explicit inbound(params p) : p_(std::move(p)) {}
  void detach(uint64_t id);

  struct slot {
    transport_link_ptr link;
    io::admission_ticket_ptr ticket;
    io::byte_link_ptr conn;
  };

  params p_;
  mutable std::mutex mtx_;
  std::unordered_map<uint64_t, slot> pending_;
  bool closed_ = false;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> authenticated_{0};
  std::atomic<uint64_t> dropped_{0};
};

using inbound_ptr = std::shared_ptr<inbound>;

} // namespace skywire::transport
