#include "actors/transport/transport_link.hpp"

#include <array>

#include <caf/send.hpp>

#include "actors/transport/errors.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/log/rate_limit.hpp"

namespace skywire::transport {

namespace wr = wire::routing;

namespace {

std::atomic<uint64_t> next_link_id{1};

} // namespace

transport_link::transport_link(caf::actor target)
  : id_(next_link_id.fetch_add(1, std::memory_order_relaxed)), target_(std::move(target)) {}

transport_link::~transport_link() = default;

expected<transport_link_ptr> transport_link::make(transport_core::params p, caf::actor target) {
  transport_link_ptr self{new transport_link(std::move(target))};
  std::weak_ptr<transport_link> w = self;
  self->local_ = p.local.pk;
  if (p.role == transport_role::initiator)
    self->remote_ = p.remote;
  p.on_up = [w](const established& e) {
    if (auto s = w.lock())
      s->on_up(e);
  };
  p.on_data = [w](byte_span in) {
    if (auto s = w.lock())
      s->on_data(in);
  };
  p.on_down = [w](const caf::error& err) {
    if (auto s = w.lock())
      s->on_down(err);
  };
  p.on_writable = {};
  if (p.role == transport_role::responder && p.mode != transport_mode::handshake_only)
    p.on_register = [w](const wire::transport::signed_entry& e) {
      if (auto s = w.lock())
        s->on_register(e);
    };
  else
    p.on_register = {};
  auto core = transport_core::make(std::move(p));
  if (!core)
    return core.error();
  self->core_ = std::move(*core);
  return self;
}

void transport_link::start(io::byte_link_ptr conn) {
  if (!conn)
    return;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    endpoint_ = conn->remote_endpoint();
    conn_ = conn;
  }
  core_->start(std::move(conn));
}

io::byte_link_ptr transport_link::connection() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return conn_;
}

void transport_link::set_target(caf::actor target) {
  std::lock_guard<std::mutex> guard{mtx_};
  target_ = std::move(target);
}

caf::actor transport_link::target() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return target_;
}

void transport_link::set_on_detach(std::function<void()> fn) {
  std::lock_guard<std::mutex> guard{mtx_};
  on_detach_ = std::move(fn);
}

void transport_link::set_quiet_until_registered() {
  std::lock_guard<std::mutex> guard{mtx_};
  quiet_ = true;
}

void transport_link::set_packet_sink(packet_sink sink) {
  std::lock_guard<std::mutex> guard{mtx_};
  sink_ = std::move(sink);
}

transport_core::write_result transport_link::send_packet(wr::packet_type type, route_id rid,
                                                         byte_span payload) {
  if (payload.size() > wr::max_packet_payload)
    return transport_core::write_result::too_large;
  // one write per packet, header and payload as they are: the core frames
  // them (at most 4070 bytes a frame; on the link's thread it gathers the
  // packets of one handler into full frames and one socket write)
  auto header = wr::encode_header(type, rid, payload.size());
  const std::array<byte_span, 2> parts{byte_span{header.data(), header.size()}, payload};
  auto r = core_->write_parts(payload.empty() ? std::span<const byte_span>{parts.data(), 1}
                                              : std::span<const byte_span>{parts});
  if (r == transport_core::write_result::ok)
    payload_out_.fetch_add(payload.size(), std::memory_order_relaxed);
  return r;
}

transport_core::write_result transport_link::ping(uint64_t nonce) {
  auto p = wr::make_ping_packet(route_id{0}, nonce, 0);
  return send_packet(p.type, p.rid, {p.payload.data(), p.payload.size()});
}

void transport_link::close(caf::error why) {
  if (why) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!why_)
      why_ = std::move(why);
  }
  // tell the peer first (a KCP session has no end of stream); once only
  if (is_up() && !close_sent_.exchange(true)) {
    auto c = wr::make_close_packet(route_id{0}, wr::close_code::requested);
    send_packet(c.type, c.rid, {c.payload.data(), c.payload.size()});
  }
  core_->close();
}

void transport_link::abort(caf::error why) {
  if (why) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!why_)
      why_ = std::move(why);
  }
  core_->abort();
}

public_key transport_link::remote() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return remote_;
}

std::optional<wire::transport::signed_entry> transport_link::entry() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entry_;
}

std::string transport_link::remote_endpoint() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return endpoint_;
}

std::optional<std::chrono::steady_clock::time_point> transport_link::up_since() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return up_since_;
}

void transport_link::fill(api::transport_summary& s) const {
  s.role = role() == transport_role::initiator ? "initiator" : "responder";
  s.remote_addr = remote_endpoint();
  s.recv = payload_in();
  s.sent = payload_out();
  const auto& c = core_counters();
  s.wire_in = c.wire_in.load(std::memory_order_relaxed);
  s.wire_out = c.wire_out.load(std::memory_order_relaxed);
  if (auto t = up_since())
    s.up_seconds = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - *t)
        .count());
}

// ---- [link] ------------------------------------------------------------------------------

void transport_link::detach() {
  std::function<void()> fn;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    fn = std::move(on_detach_);
    on_detach_ = nullptr;
  }
  if (fn)
    fn();
}

void transport_link::on_register(const wire::transport::signed_entry& e) {
  caf::actor t;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    entry_ = e;
    registered_ = true;
    if (e.entry.edge_index(local_))
      remote_ = e.entry.remote_edge(local_);
    t = target_;
  }
  detach();
  if (t)
    caf::anon_send(t, lk_reg_atom::value, shared_from_this());
}

void transport_link::on_up(const established& e) {
  caf::actor t;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    remote_ = e.remote.pk;
    if (e.entry)
      entry_ = e.entry;
    up_since_ = std::chrono::steady_clock::now();
    t = target_;
  }
  if (t)
    caf::anon_send(t, lk_up_atom::value, shared_from_this());
}

void transport_link::on_data(byte_span in) {
  packet_sink sink;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    sink = sink_;
  }
  auto err = splitter_.feed_each(in, [&](const wr::packet_view& p) {
    payload_in_.fetch_add(p.payload.size(), std::memory_order_relaxed);
    if (p.rid.value == 0 && p.type == wr::packet_type::close) {
      // the peer closes the transport (ours; a Go peer closes the
      // connection only): close without answering
      close_sent_.store(true);
      close(make_error(transport_errc::peer_closed, "the peer closed the transport"));
      return false;
    }
    // route 0 is the transport's own (its ping, its close): never a sink's
    if (sink && p.rid.value != 0)
      sink(p);
    else
      default_packet(p);
    return true;
  });
  if (err)
    abort(make_error(transport_errc::protocol, "bad routing packet: " + describe(err)));
}

void transport_link::default_packet(const wr::packet_view& p) {
  if (p.rid.value == 0 && p.type == wr::packet_type::ping) {
    auto ping = wr::read_ping(p);
    if (ping) {
      auto pong = wr::make_pong_packet(route_id{0}, ping->timestamp_ms);
      send_packet(pong.type, pong.rid, {pong.payload.data(), pong.payload.size()});
      return;
    }
  } else if (p.rid.value == 0 && p.type == wr::packet_type::pong) {
    auto pong = wr::read_ping(p);
    if (auto t = target(); pong && t) {
      caf::anon_send(t, lk_pong_atom::value, shared_from_this(), pong->timestamp_ms);
      return;
    }
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
}

void transport_link::on_down(const caf::error& err) {
  detach();
  caf::actor t;
  caf::error cause;
  bool unregistered = false;
  std::string endpoint;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    unregistered = quiet_ && !registered_;
    t = unregistered ? caf::actor{} : target_;
    // our own reason for a close we asked for (a duplicate, a bad packet)
    cause = why_ && is(err, transport_errc::closed) ? why_ : err;
    endpoint = endpoint_;
  }
  if (t) {
    caf::anon_send(t, lk_down_atom::value, shared_from_this(), std::move(cause));
    return;
  }
  if (unregistered) {
    // an accepted connection that ended before its peer was known: nobody
    // gets a message, but the cause is written once at info (at most 20
    // such lines a second: a flood of strangers is counted, not logged)
    static log::rate_limit limit{20};
    uint64_t suppressed = 0;
    if (limit.allow(suppressed))
      SKYWIRE_LOG(info, "transport", "incoming transport failed before it was registered",
                  log::kv("type", type()), log::kv("remote", endpoint),
                  log::kv("error", describe(cause)),
                  log::kv("similar_lines_suppressed", suppressed));
  }
}

} // namespace skywire::transport
