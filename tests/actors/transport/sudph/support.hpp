// Helpers of the sudph tests: keys, running a function on the io shard, a
// condition the shard changes while the test thread waits for it, one end
// of a sudph transport, and a resolve at the address resolver. Include from
// a doctest file (the sudph tests here and the NAT-namespace tests).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "actors/transport/transport_core.hpp"
#include "messages/wire/httpauth.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/client.hpp"

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

} // namespace sudph_test
