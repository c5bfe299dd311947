#include "actors/transport/sudph_ar_channel.hpp"

#include <algorithm>

#include "runtime/io/shard_timers.hpp"

namespace skywire::transport {

namespace wt = wire::transport;

std::shared_ptr<sudph_ar_channel> sudph_ar_channel::make(sudph_socket_ptr sock, endpoint ar,
                                                         crypto::keypair local,
                                                         ar_channel_config cfg,
                                                         ar_channel_events ev) {
  return std::shared_ptr<sudph_ar_channel>(
    new sudph_ar_channel(std::move(sock), ar, std::move(local), std::move(cfg), std::move(ev)));
}

sudph_ar_channel::sudph_ar_channel(sudph_socket_ptr sock, endpoint ar, crypto::keypair local,
                                   ar_channel_config cfg, ar_channel_events ev)
  : sock_(std::move(sock)), ar_(ar), local_(std::move(local)), cfg_(std::move(cfg)),
    ev_(std::move(ev)), backoff_(cfg_.backoff_min) {}

sudph_ar_channel::~sudph_ar_channel() {
  if (core_)
    core_->abort();
}

io::timer_service& sudph_ar_channel::timers() {
  return io::shard_timers::of(sock_->context());
}

void sudph_ar_channel::start() {
  if (started_ || stopped_)
    return;
  started_ = true;
  connect();
}

void sudph_ar_channel::connect() {
  reconnect_timer_ = 0;
  if (stopped_)
    return;
  auto link = sock_->connect_ar(ar_);
  if (!link)
    return; // the socket is closed
  ++connects_;
  transport_core::params p;
  p.mode = transport_mode::handshake_only;
  p.role = transport_role::initiator;
  p.local = local_;
  p.remote = public_key{};
  p.local_port = port{0};
  p.remote_port = port{0};
  p.max_send_queue = 64 * 1024;
  p.max_read = 4096;
  p.limits.frames = cfg_.handshake;
  auto w = weak_from_this();
  p.on_up = [w](const established&) {
    if (auto self = w.lock())
      self->on_up();
  };
  p.on_data = [w](byte_span b) {
    if (auto self = w.lock())
      self->on_message(b);
  };
  p.on_down = [w](const caf::error& err) {
    if (auto self = w.lock())
      self->on_down(err);
  };
  auto core = transport_core::make(std::move(p));
  if (!core) { // the parameters are ours: only a bug gets here
    on_down(core.error());
    return;
  }
  core_ = *core;
  core_->start(link);
}

bool sudph_ar_channel::send_text(std::string_view text) {
  if (!core_)
    return false;
  return core_->write({reinterpret_cast<const uint8_t*>(text.data()), text.size()})
         == transport_core::write_result::ok;
}

void sudph_ar_channel::on_up() {
  wt::local_addresses la{port{sock_->local_port()}, cfg_.addresses};
  if (!send_text(wt::encode_local_addresses(la))) {
    core_->abort();
    return;
  }
  bound_ = true;
  backoff_ = cfg_.backoff_min;
  heartbeat_timer_ = timers().schedule(cfg_.heartbeat, [w = weak_from_this()] {
    if (auto self = w.lock())
      self->heartbeat();
  });
  if (ev_.on_bound)
    ev_.on_bound();
}

void sudph_ar_channel::heartbeat() {
  heartbeat_timer_ = 0;
  if (!bound_ || stopped_)
    return;
  if (send_text(wt::ar_heartbeat)) {
    ++heartbeats_;
    if (ev_.on_heartbeat)
      ev_.on_heartbeat();
  }
  heartbeat_timer_ = timers().schedule(cfg_.heartbeat, [w = weak_from_this()] {
    if (auto self = w.lock())
      self->heartbeat();
  });
}

void sudph_ar_channel::on_message(byte_span msg) {
  std::string_view text{reinterpret_cast<const char*>(msg.data()), msg.size()};
  auto push = wt::decode_ar_push(text);
  if (!push) {
    ++bad_messages_; // the reference logs and goes on
    return;
  }
  ++pushes_;
  bool punched = false;
  if (auto ep = parse_udp_endpoint(push->addr)) {
    sock_->send_holepunch(*ep);
    punched = true;
  }
  if (ev_.on_push)
    ev_.on_push(*push, punched);
}

void sudph_ar_channel::on_down(const caf::error& err) {
  bound_ = false;
  core_.reset();
  if (heartbeat_timer_ != 0) {
    timers().cancel(heartbeat_timer_);
    heartbeat_timer_ = 0;
  }
  if (ev_.on_down)
    ev_.on_down(err);
  if (stopped_ || reconnect_timer_ != 0)
    return;
  auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, cfg_.backoff_max);
  reconnect_timer_ = timers().schedule(delay, [w = weak_from_this()] {
    if (auto self = w.lock())
      self->connect();
  });
}

void sudph_ar_channel::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  if (reconnect_timer_ != 0) {
    timers().cancel(reconnect_timer_);
    reconnect_timer_ = 0;
  }
  if (heartbeat_timer_ != 0) {
    timers().cancel(heartbeat_timer_);
    heartbeat_timer_ = 0;
  }
  if (!core_)
    return;
  if (bound_)
    send_text(wt::ar_unbind);
  core_->close(); // the queued delBind goes out first
}

} // namespace skywire::transport
