#include "actors/services/address_resolver/sudph_listener.hpp"

#include <chrono>
#include <future>

#include <boost/asio/post.hpp>

#include "runtime/io/shard_timers.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::services::address_resolver {

namespace asio = boost::asio;

struct sudph_listener::events final : sudph_table::listener {
  sink out;
  void on_bound(const public_key& pk, const wire::transport::visor_data& data,
                const boost::asio::ip::address& observed, uint64_t channel) override {
    SKYWIRE_LOG(debug, "ar", "sudph bound", log::kv("pk", pk.hex()),
                log::kv("remote", data.remote_addr), log::kv("channel", channel));
    if (out.bound)
      out.bound(pk, data, observed, channel);
  }
  void on_unbound(const public_key& pk, uint64_t channel, std::string_view why) override {
    SKYWIRE_LOG(info, "ar", "sudph channel ended", log::kv("pk", pk.hex()),
                log::kv("channel", channel), log::kv("why", why));
    if (out.unbound)
      out.unbound(pk, channel, std::string{why});
  }
};

sudph_listener::sudph_listener(asio::io_context& ctx)
  : ctx_(ctx), events_(std::make_unique<events>()) {
}

sudph_listener::~sudph_listener() = default;

expected<std::shared_ptr<sudph_listener>>
sudph_listener::open(asio::io_context& ctx,
                     const std::vector<std::pair<std::string, uint16_t>>& addrs,
                     sudph_table_config cfg, io::udp_socket::options socket_options) {
  std::shared_ptr<sudph_listener> l(new sudph_listener(ctx));
  for (const auto& [host, port] : addrs) {
    auto s = io::udp_socket::open(ctx, host, port, socket_options);
    if (!s)
      return std::move(s.error());
    l->ports_.push_back((*s)->local_port());
    l->sockets_.push_back(std::move(*s));
  }
  auto* raw = l.get();
  auto start = std::chrono::steady_clock::now();
  l->table_ = std::make_unique<sudph_table>(
    std::move(cfg), io::shard_timers::of(ctx),
    [start] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - start)
        .count();
    },
    [raw](uint8_t socket, const io::udp_socket::endpoint& to, wire::kcp::byte_span bytes) {
      if (socket < raw->sockets_.size())
        raw->sockets_[socket]->send_to(to, bytes);
    },
    *l->events_);
  return l;
}

void sudph_listener::start(sink s) {
  asio::post(ctx_, [self = shared_from_this(), s = std::move(s)]() mutable {
    if (self->stopped_)
      return;
    self->events_->out = std::move(s);
    std::weak_ptr<sudph_listener> weak = self;
    for (size_t i = 0; i < self->sockets_.size(); ++i) {
      auto idx = static_cast<uint8_t>(i);
      self->sockets_[i]->start([weak, idx](std::span<const io::udp_socket::datagram> batch) {
        auto l = weak.lock();
        if (!l || l->stopped_)
          return;
        for (const auto& d : batch)
          l->table_->on_datagram(idx, d.from, d.bytes, d.truncated);
      });
    }
  });
}

void sudph_listener::close_on_shard() {
  if (stopped_)
    return;
  stopped_ = true;
  for (auto& s : sockets_)
    s->close();
  table_->clear();
  events_->out = {};
}

void sudph_listener::stop() {
  if (stop_requested_.exchange(true))
    return;
  if (ctx_.stopped() || ctx_.get_executor().running_in_this_thread()) {
    close_on_shard();
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  asio::post(ctx_, [self = shared_from_this(), done] {
    self->close_on_shard();
    done->set_value();
  });
  if (f.wait_for(std::chrono::seconds{5}) != std::future_status::ready)
    SKYWIRE_LOG(info, "ar", "UDP side still closing 5 s after stop");
}

void sudph_listener::push(const public_key& pk, uint64_t channel, std::string message) {
  asio::post(ctx_, [self = shared_from_this(), pk, channel, message = std::move(message)] {
    if (self->stopped_)
      return;
    auto r = self->table_->push(pk, channel, message);
    if (r != sudph_table::push_result::queued)
      SKYWIRE_LOG(debug, "ar", "push not sent", log::kv("pk", pk.hex()),
                  log::kv("result", static_cast<int>(r)));
  });
}

void sudph_listener::drop(const public_key& pk, uint64_t channel) {
  asio::post(ctx_, [self = shared_from_this(), pk, channel] {
    if (!self->stopped_)
      self->table_->drop(pk, channel);
  });
}

std::string sudph_listener::metrics_text(const std::string& prefix) const {
  std::string out;
  auto line = [&](std::string_view name, std::string_view type, uint64_t v) {
    out += "# TYPE " + prefix;
    out += name;
    out += ' ';
    out += type;
    out += '\n' + prefix;
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  const auto& n = table_->stats();
  line("sudph_channels", "gauge", ld(n.channels));
  line("sudph_handshaking", "gauge", ld(n.handshaking));
  line("sudph_bound_channels", "gauge", ld(n.bound));
  line("sudph_datagrams_total", "counter", ld(n.datagrams));
  line("sudph_oversized_total", "counter", ld(n.oversized));
  line("sudph_garbage_total", "counter", ld(n.garbage));
  line("sudph_stray_total", "counter", ld(n.stray));
  line("sudph_refused_datagrams_total", "counter", ld(n.refused_datagrams));
  line("sudph_refused_channels_total", "counter", ld(n.refused_channels));
  line("sudph_evicted_handshakes_total", "counter", ld(n.evicted_handshakes));
  line("sudph_handshakes_total", "counter", ld(n.handshakes));
  line("sudph_failed_total", "counter", ld(n.failed));
  line("sudph_bind_messages_total", "counter", ld(n.binds));
  line("sudph_heartbeats_total", "counter", ld(n.heartbeats));
  line("sudph_delbinds_total", "counter", ld(n.unbinds));
  line("sudph_ignored_messages_total", "counter", ld(n.ignored_messages));
  line("sudph_replaced_total", "counter", ld(n.replaced));
  line("sudph_timed_out_total", "counter", ld(n.timed_out));
  line("sudph_dead_total", "counter", ld(n.dead));
  line("sudph_dropped_total", "counter", ld(n.dropped));
  line("sudph_pushes_total", "counter", ld(n.pushes));
  line("sudph_pushes_failed_total", "counter", ld(n.pushes_failed));
  uint64_t in = 0, out_n = 0, send_dropped = 0, truncated = 0;
  for (const auto& s : sockets_) {
    in += ld(s->stats().datagrams_in);
    out_n += ld(s->stats().datagrams_out);
    send_dropped += ld(s->stats().send_dropped);
    truncated += ld(s->stats().truncated_in);
  }
  line("udp_datagrams_in_total", "counter", in);
  line("udp_datagrams_out_total", "counter", out_n);
  line("udp_send_dropped_total", "counter", send_dropped);
  line("udp_truncated_total", "counter", truncated);
  return out;
}

} // namespace skywire::services::address_resolver
