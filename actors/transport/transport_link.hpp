// One connection of a transport, as a plain class on its io shard: a
// transport_core (handshakes, Noise, settlement, keep-alives) plus the
// routing-packet layer above it (reference §4.9: every byte on a transport is
// a routing packet). It owns no actor; it reports its few events to one
// target actor (the manager while the peer is unknown, then the transport's
// actor) with anon_send, from the link's thread:
//
//   (lk_reg_atom, link)        responder: the peer's entry verified; the link
//                              waits for complete_settlement() (registration)
//   (lk_up_atom, link)         settled; packets flow
//   (lk_down_atom, link, err)  ended (exactly once, last); err is the cause
//                              (transport_errc of errors.hpp)
//   (lk_pong_atom, link, n)    a Pong on route 0 answered our ping n
//
// Close: close() sends a Close packet on route 0 before the connection
// ends, and a Close on route 0 from the peer ends the link as peer_closed.
// Ours, like the route-0 Ping: a KCP session (sudph) has no end of stream,
// so without it the peer of a closed sudph transport would learn it only
// from its keep-alive bound; a Go peer drops route-0 packets.
//
// Data path (no mailbox): each read is split into routing packets on the
// link's thread; a packet sink (the router, through link_directory.hpp)
// takes those of route IDs != 0 there. Route 0 is the transport's own,
// never a sink's: a Ping on route 0 is answered with a Pong at once (our
// transport round-trip probe; a Go peer drops route 0 packets, having no
// rule for it). Other packets without a sink are counted as dropped. A malformed packet ends the
// transport (protocol error), as the reference's packet reader does.
//
// Counters: routing payload bytes in and out (what the transport logs and
// the CLI's recv/sent count, §3.8), packets dropped for want of a sink.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/transport/transport_core.hpp"
#include "messages/api/transport.hpp"
#include "messages/wire/routing/packet.hpp"
#include "messages/wire/transport/entry.hpp"

namespace skywire::transport {

class transport_link;
using transport_link_ptr = std::shared_ptr<transport_link>;

// The link's events (see the top).
using lk_reg_atom = caf::atom_constant<caf::atom("lk_reg")>;
using lk_up_atom = caf::atom_constant<caf::atom("lk_up")>;
using lk_down_atom = caf::atom_constant<caf::atom("lk_down")>;
using lk_pong_atom = caf::atom_constant<caf::atom("lk_pong")>;

class transport_link : public std::enable_shared_from_this<transport_link> {
public:
  /// Called with each routing packet, on the link's thread (the view is
  /// valid during the call only).
  using packet_sink = std::function<void(const wire::routing::packet_view&)>;

  /// `p` as for transport_core::make; its callbacks are the link's own (any
  /// set by the caller are replaced). `target` receives the events.
  static expected<transport_link_ptr> make(transport_core::params p, caf::actor target);

  ~transport_link();
  transport_link(const transport_link&) = delete;
  transport_link& operator=(const transport_link&) = delete;

  /// Runs the handshakes over `conn` (connected, not started). Once. [any]
  void start(io::byte_link_ptr conn);

  /// A number unique in the process, for tables and logs.
  uint64_t id() const noexcept { return id_; }

  /// Who receives the events from now on. [any]
  void set_target(caf::actor target);
  caf::actor target() const;

  /// Called (on the link's thread) when the link leaves the inbound set: at
  /// lk_reg or lk_down, whichever comes first. For the listener that holds
  /// accepted links until their peer is known.
  void set_on_detach(std::function<void()> fn);

  /// Accepted links: no lk_down for a link that ends before lk_reg (a
  /// stranger that never authenticated: the listener counts it, nobody else
  /// needs a message per dropped connection). Call before start(). [any]
  void set_quiet_until_registered();

  /// The consumer of routing packets of route IDs != 0 (the router); it may
  /// be set or replaced at any time (read once per read batch). [any]
  void set_packet_sink(packet_sink sink);

  /// Sends one routing packet. [any]
  transport_core::write_result send_packet(wire::routing::packet_type type, route_id rid,
                                           byte_span payload);
  /// A Ping on route 0 carrying `nonce` (in the timestamp field). [any]
  transport_core::write_result ping(uint64_t nonce);

  /// Responder, after lk_reg: answer the settlement. [any]
  void complete_settlement(bool accept) { core_->complete_settlement(accept); }
  /// Graceful close. `why` (optional) replaces the cause lk_down reports. [any]
  void close(caf::error why = {});
  /// Immediate close, same `why`. [any]
  void abort(caf::error why = {});

  // -- what is known, [any] ------------------------------------------------------------
  link_phase phase() const noexcept { return core_->phase(); }
  bool is_up() const noexcept { return phase() == link_phase::up; }
  transport_role role() const noexcept { return core_->role(); }
  const std::string& type() const noexcept { return core_->type(); }
  const link_counters& core_counters() const noexcept { return core_->counters(); }
  /// The peer: known from the start for an initiator, from Frame2 on for a
  /// responder (null before).
  public_key remote() const;
  /// The settled entry (responder: both signatures) once lk_reg or lk_up came.
  std::optional<wire::transport::signed_entry> entry() const;
  /// The connection under the link (null before start()): its post() and
  /// timers() are the link's thread's, where data-path peers (a route
  /// group's core) run beside it.
  io::byte_link_ptr connection() const;
  /// "ip:port" of the connection ("" before start()).
  std::string remote_endpoint() const;
  /// When it came up (nullopt before).
  std::optional<std::chrono::steady_clock::time_point> up_since() const;
  uint64_t payload_in() const noexcept { return payload_in_.load(std::memory_order_relaxed); }
  uint64_t payload_out() const noexcept { return payload_out_.load(std::memory_order_relaxed); }
  uint64_t packets_dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

  /// Fills the connection's part of a summary (role, address, counters,
  /// seconds up).
  void fill(api::transport_summary& s) const;

private:
  explicit transport_link(caf::actor target);

  // [link]
  void on_register(const wire::transport::signed_entry& e);
  void on_up(const established& e);
  void on_data(byte_span in);
  void on_down(const caf::error& err);
  void detach();
  void default_packet(const wire::routing::packet_view& p);

  const uint64_t id_;
  public_key local_;
  transport_core_ptr core_;
  wire::routing::packet_splitter splitter_; // [link]
  std::atomic<uint64_t> payload_in_{0};
  std::atomic<uint64_t> payload_out_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<bool> close_sent_{false}; ///< the route-0 Close went out (or came in)

  mutable std::mutex mtx_; // guards everything below
  caf::actor target_;
  std::function<void()> on_detach_;
  packet_sink sink_;
  public_key remote_;
  std::optional<wire::transport::signed_entry> entry_;
  std::string endpoint_;
  io::byte_link_ptr conn_;
  std::optional<std::chrono::steady_clock::time_point> up_since_;
  caf::error why_; ///< our reason for a close, reported instead of "closed"
  bool quiet_ = false;
  bool registered_ = false;
};

} // namespace skywire::transport

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::transport::transport_link_ptr)
