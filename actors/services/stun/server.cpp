#include "actors/services/stun/server.hpp"

#include <chrono>

#include "actors/transport/stun_probe.hpp"

namespace skywire::services::stun {

namespace tstun = transport::stun;

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// Forget refilled buckets this often (answers), so a full table heals.
constexpr uint64_t sweep_every = 4096;

} // namespace

stun_server::stun_server(boost::asio::io_context& ctx, const stun_server_config& cfg)
  : ctx_(ctx), cfg_(cfg), budget_(cfg.budget) {}

stun_server::~stun_server() { close(); }

expected<std::unique_ptr<stun_server>> stun_server::open(boost::asio::io_context& ctx,
                                                        const stun_server_config& cfg) {
  boost::system::error_code ec;
  auto primary = boost::asio::ip::make_address(cfg.host, ec);
  if (ec || primary.is_unspecified())
    return make_error(wire_errc::bad_value,
                      "stun server: not an IP address of this host (a wildcard cannot say which "
                      "address answers): "
                        + cfg.host);
  std::unique_ptr<stun_server> s{new stun_server(ctx, cfg)};
  io::udp_socket::options opts;
  opts.buffer_size = tstun::max_message + 1; // a longer datagram arrives truncated: refused
  if (!cfg.other_host) {
    auto sock = io::udp_socket::open(ctx, cfg.host, cfg.port, opts);
    if (!sock)
      return sock.error();
    s->socks_.push_back(*sock);
    return s;
  }
  auto other = boost::asio::ip::make_address(*cfg.other_host, ec);
  if (ec || other.is_unspecified() || other == primary || other.is_v4() != primary.is_v4())
    return make_error(wire_errc::bad_value,
                      "stun server: the alternate IP must be another address of the same family: "
                        + *cfg.other_host);
  if (cfg.port != 0 && cfg.port == cfg.other_port)
    return make_error(wire_errc::bad_value, "stun server: the alternate port must differ");
  s->socks_.resize(4);
  // the primary IP first: an ephemeral port picked there is then asked for
  // on the alternate IP
  uint16_t ports[2] = {cfg.port, cfg.other_port};
  for (int port = 0; port < 2; ++port)
    for (int ip = 0; ip < 2; ++ip) {
      auto sock = io::udp_socket::open(ctx, ip == 0 ? cfg.host : *cfg.other_host, ports[port], opts);
      if (!sock)
        return sock.error();
      ports[port] = (*sock)->local_port();
      s->sock(ip, port) = *sock;
    }
  if (ports[0] == ports[1])
    return make_error(wire_errc::bad_value, "stun server: the alternate port must differ");
  return s;
}

void stun_server::start() {
  for (size_t i = 0; i < socks_.size(); ++i) {
    int ip = static_cast<int>(i / 2), port = static_cast<int>(i % 2);
    socks_[i]->start([this, ip, port](std::span<const io::udp_socket::datagram> batch) {
      for (auto& d : batch) {
        if (d.truncated) {
          ++stats_.malformed;
          continue;
        }
        if (auto r = answer(ip, port, d.from, d.bytes))
          sock(r->ip, r->port)->send_to(d.from, r->bytes);
      }
    });
  }
}

void stun_server::close() {
  for (auto& s : socks_)
    if (s)
      s->close();
}

stun_server::endpoint stun_server::primary() const { return socks_.front()->local_endpoint(); }

std::optional<stun_server::endpoint> stun_server::other() const {
  if (socks_.size() < 4)
    return std::nullopt;
  return socks_[3]->local_endpoint(); // ip 1, port 1
}

std::optional<stun_server::reply> stun_server::answer(int ip, int port, const endpoint& from,
                                                      std::span<const uint8_t> bytes) {
  auto req = tstun::decode_request(bytes);
  if (!req) {
    ++stats_.malformed;
    return std::nullopt;
  }
  ++stats_.requests;
  bool change = req->change_ip || req->change_port;
  if (change && socks_.size() < 4) {
    ++stats_.unanswerable; // answering from the same address would mislead the client
    return std::nullopt;
  }
  auto now = now_ns();
  if (++since_sweep_ >= sweep_every) {
    since_sweep_ = 0;
    budget_.sweep(now);
  }
  auto ip_text = from.address().to_string();
  auto source = source_of(from.address().is_v6() ? "[" + ip_text + "]:0" : ip_text + ":0");
  if (!budget_.take(source, 1, now)) {
    ++stats_.over_budget;
    return std::nullopt;
  }
  reply r;
  r.ip = req->change_ip ? 1 - ip : ip;
  r.port = req->change_port ? 1 - port : port;
  tstun::response res;
  res.id = req->id;
  res.mapped = from;
  if (socks_.size() == 4)
    res.other = socks_[static_cast<size_t>((1 - ip) * 2 + (1 - port))]->local_endpoint();
  r.bytes = tstun::encode_response(res);
  ++stats_.answered;
  if (change)
    ++stats_.changed;
  return r;
}

} // namespace skywire::services::stun
