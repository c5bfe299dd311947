// Helpers of the sudph tests: keys, running a function on the io shard, a
// condition the shard changes while the test thread waits for it, a STUN
// server on the loopback, a plain UDP socket and KCP datagrams for hostile
// input, one end of a sudph transport, a resolve at the address resolver,
// a scope guard. Include from a doctest file (the sudph tests here and the
// NAT-namespace tests).
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include "actors/transport/stun_probe.hpp"
#include "actors/transport/transport_core.hpp"
#include "messages/wire/httpauth.hpp"
#include "messages/wire/kcp/segment.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/client.hpp"
#include "runtime/io/udp_socket.hpp"

namespace sudph_test {

using namespace std::chrono_literals;

inline skywire::crypto::keypair key(std::string_view seed) {
  return skywire::crypto::deterministic_keypair(
    {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

/// Runs fn on the shard and waits for it.
template <class F>
inline auto on_shard(boost::asio::io_context& ctx, F fn) {
  std::packaged_task<decltype(fn())()> task{std::move(fn)};
  auto fut = task.get_future();
  boost::asio::post(ctx, [&task] { task(); });
  return fut.get();
}

/// A condition the shard changes and the test thread waits for.
struct events {
  std::mutex mtx;
  std::condition_variable cv;

  template <class F>
  void change(F fn) {
    {
      std::lock_guard<std::mutex> g{mtx};
      fn();
    }
    cv.notify_all();
  }
  template <class P>
  bool wait(P pred, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock<std::mutex> g{mtx};
    return cv.wait_for(g, timeout, pred);
  }
};

/// Runs fn when the scope ends (also when a check throws), unless now()
/// ran it already: e.g. closing every socket on the shard before the
/// objects its callbacks use go away.
struct at_scope_exit {
  std::function<void()> fn;
  ~at_scope_exit() { now(); }
  void now() {
    if (auto f = std::exchange(fn, nullptr))
      f();
  }
};

/// One end of a transport: its core and what it reported (under events::mtx).
struct transport_end {
  std::shared_ptr<skywire::transport::transport_core> core;
  bool up = false;
  int downs = 0;
  std::vector<uint8_t> data;
};

/// A sudph transport's parameters (Noise KK) reporting to `st`.
inline skywire::transport::transport_core::params
transport_params(events& ev, transport_end& st, skywire::transport::transport_role role,
                 const skywire::crypto::keypair& local, const skywire::public_key& remote) {
  namespace tp = skywire::transport;
  tp::transport_core::params p;
  p.mode = tp::transport_mode::noise_kk;
  p.role = role;
  p.type = "sudph";
  p.local = local;
  if (role == tp::transport_role::initiator) {
    p.remote = remote;
    p.local_port = skywire::port{49200};
  }
  p.on_up = [&ev, &st](const tp::established&) { ev.change([&] { st.up = true; }); };
  p.on_data = [&ev, &st](skywire::byte_span b) {
    ev.change([&] { st.data.insert(st.data.end(), b.begin(), b.end()); });
  };
  p.on_down = [&ev, &st](const caf::error&) { ev.change([&] { ++st.downs; }); };
  return p;
}

/// `GET /resolve/{type}/{pk}` at the address resolver on host:port as the
/// Go client does it (its nonce fetched, body||nonce signed); nothing when
/// no answer came.
inline skywire::expected<skywire::http::response>
ar_resolve(const std::string& host, uint16_t port, const skywire::crypto::keypair& kp,
           std::string_view type, const skywire::public_key& pk) {
  namespace http = skywire::http;
  http::client_request nr;
  nr.host = host;
  nr.port = port;
  nr.target = "/security/nonces/" + kp.pk.hex();
  nr.timeout = std::chrono::seconds{4};
  auto nonce_reply = http::request_sync(nr);
  if (!nonce_reply)
    return nonce_reply.error();
  auto n = skywire::wire::decode_nonce_response(nonce_reply->body);
  if (!n)
    return n.error();
  auto payload = skywire::wire::httpauth_payload(std::string{}, n->next_nonce);
  auto sig = skywire::crypto::sign(payload, kp.sk);
  http::client_request r = nr;
  r.target = "/resolve/" + std::string{type} + "/" + pk.hex();
  r.headers = skywire::wire::httpauth_header_list({kp.pk, n->next_nonce, sig, std::nullopt});
  return http::request_sync(r);
}

/// A STUN server with two addresses and two ports each, on the shard.
struct fake_stun {
  bool honour_change = true; ///< false: changed answers never leave (a firewall eats them)
  std::map<std::pair<int, int>, skywire::io::udp_socket_ptr> socks; ///< (ip, port) -> socket

  explicit fake_stun(boost::asio::io_context& ctx) {
    for (int ip : {0, 1})
      for (int port : {0, 1}) {
        auto s = skywire::io::udp_socket::open(ctx, ip == 0 ? "127.0.0.1" : "127.0.0.2", 0);
        REQUIRE(s);
        socks[{ip, port}] = *s;
      }
  }
  boost::asio::ip::udp::endpoint address(int ip, int port) const {
    return socks.at({ip, port})->local_endpoint();
  }

  void start() {
    for (auto& [key, sock] : socks) {
      auto k = key;
      sock->start([this, k](std::span<const skywire::io::udp_socket::datagram> batch) {
        for (auto& d : batch)
          answer(k, d.from, d.bytes);
      });
    }
  }
  void close() {
    for (auto& [key, sock] : socks)
      sock->close();
  }

  void answer(std::pair<int, int> at, const boost::asio::ip::udp::endpoint& from,
              std::span<const uint8_t> req) {
    if (req.size() < 20 || req[0] != 0x00 || req[1] != 0x01)
      return;
    bool cip = req.size() == 28 && (req[27] & 0x04) != 0;
    bool cport = req.size() == 28 && (req[27] & 0x02) != 0;
    if ((cip || cport) && !honour_change)
      return;
    skywire::transport::stun::response r;
    std::copy(req.begin() + 8, req.begin() + 20, r.id.begin());
    r.mapped = from;
    r.other = address(1 - at.first, 0);
    std::pair<int, int> out{cip ? 1 - at.first : at.first, cport ? 1 - at.second : at.second};
    socks.at(out)->send_to(from, skywire::transport::stun::encode_response(r));
  }
};

/// A plain UDP socket of the test thread.
struct raw_socket {
  boost::asio::io_context ctx;
  boost::asio::ip::udp::socket sock{
    ctx, boost::asio::ip::udp::endpoint{boost::asio::ip::make_address("127.0.0.1"), 0}};
  void send(const boost::asio::ip::udp::endpoint& to, std::span<const uint8_t> b) {
    sock.send_to(boost::asio::buffer(b.data(), b.size()), to);
  }
};

/// A KCP datagram of one PUSH segment.
inline std::vector<uint8_t> kcp_push(uint32_t conv, uint32_t sn, std::string_view data) {
  std::vector<uint8_t> out;
  skywire::wire::kcp::header h;
  h.conv = conv;
  h.cmd = skywire::wire::kcp::command::push;
  h.sn = sn;
  h.wnd = 32;
  skywire::wire::kcp::append_segment(out, h,
                                     {reinterpret_cast<const uint8_t*>(data.data()), data.size()});
  return out;
}

} // namespace sudph_test
