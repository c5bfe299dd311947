// Helpers shared by the address resolver tests: keys, httpauth-signed
// requests, a manual clock with timers, and the visor's end of a sudph
// control channel built from a KCP control block (kcp_visor), usable over
// the in-memory table or over a real UDP socket (udp_visor).
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "messages/wire/httpauth.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "messages/wire/transport/handshake.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/message.hpp"
#include "tests/support/httpauth_request.hpp"
#include "runtime/io/kcp/control_block.hpp"
#include "runtime/io/timer_service.hpp"

namespace ar_test {

namespace wt = skywire::wire::transport;
using skywire::public_key;

/// A fixed start time (unix ns) for service clocks the tests drive, and one second.
constexpr int64_t t0 = 1'800'000'000'000'000'000;
constexpr int64_t sec = 1'000'000'000;

inline skywire::crypto::keypair key(const std::string& seed) {
  return skywire::crypto::deterministic_keypair(
    {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

inline std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

/// A request signed with httpauth by kp at `nonce` (body as given).
inline skywire::http::request signed_request(skywire::http::verb method, std::string target,
                                             std::string body, const skywire::crypto::keypair& kp,
                                             uint64_t nonce,
                                             std::string remote = "198.51.100.7:40000") {
  return skywire::test::signed_request(method, std::move(target), std::move(body), kp, nonce,
                                       std::move(remote));
}

/// A millisecond clock the test moves, with timers (io::timer_service).
class manual_timers final : public skywire::io::timer_service {
public:
  int64_t now = 1'000;

  timer_id schedule(std::chrono::nanoseconds delay, std::function<void()> fn) override {
    auto due = now + std::chrono::duration_cast<std::chrono::milliseconds>(delay).count();
    auto id = next_++;
    timers_.emplace(std::pair{due, id}, std::move(fn));
    return id;
  }
  bool cancel(timer_id id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it)
      if (it->first.second == id) {
        timers_.erase(it);
        return true;
      }
    return false;
  }
  /// Moves the clock to `t`, running every timer due on the way, in order.
  void advance_to(int64_t t) {
    while (!timers_.empty() && timers_.begin()->first.first <= t) {
      auto it = timers_.begin();
      now = std::max(now, it->first.first);
      auto fn = std::move(it->second);
      timers_.erase(it);
      fn();
    }
    now = std::max(now, t);
  }
  void advance(int64_t ms) { advance_to(now + ms); }
  size_t pending() const { return timers_.size(); }

private:
  std::map<std::pair<int64_t, timer_id>, std::function<void()>> timers_;
  timer_id next_ = 1;
};

/// The visor's end of a control channel: a KCP control block with kcp-go's
/// settings (what a Go visor runs), the handshake as initiator, messages.
/// `out` carries its datagrams to the resolver; deliver() takes the
/// resolver's.
class kcp_visor {
public:
  using out_fn = std::function<void(std::span<const uint8_t>)>;

  kcp_visor(uint32_t conv, out_fn out)
    : cb_(conv, skywire::io::kcp::settings{}, [this](std::span<const uint8_t> d) {
        if (out_)
          out_(d);
      }),
      out_(std::move(out)) {}

  skywire::io::kcp::control_block& kcp() { return cb_; }

  void send(std::string_view msg, int64_t now_ms) {
    auto r = cb_.send(bytes_of(msg));
    REQUIRE(r.status == skywire::io::kcp::send_status::ok);
    cb_.update(static_cast<uint32_t>(now_ms));
  }
  void deliver(std::span<const uint8_t> d, int64_t now_ms) {
    (void)cb_.input(d, static_cast<uint32_t>(now_ms));
    while (auto n = cb_.peek_size()) {
      std::vector<uint8_t> buf(*n);
      cb_.recv_message(buf);
      inbox.emplace_back(buf.begin(), buf.end());
    }
  }
  void tick(int64_t now_ms) { cb_.update(static_cast<uint32_t>(now_ms)); }
  std::optional<std::string> take() {
    if (inbox.empty())
      return std::nullopt;
    auto m = std::move(inbox.front());
    inbox.pop_front();
    return m;
  }

  /// Frame2 for the nonce of `frame1_line`, signed by `kp` (or by `signer`).
  static std::string frame2_for(std::string_view frame1_line, const skywire::crypto::keypair& kp,
                                const skywire::crypto::keypair* signer = nullptr) {
    auto f1 = wt::decode_frame1(frame1_line);
    REQUIRE(f1);
    wt::frame2 f2;
    f2.src = {kp.pk, skywire::port{0}};
    f2.dst = {public_key{}, skywire::port{0}};
    f2.nonce = f1->nonce;
    f2.sig = skywire::crypto::sign(bytes_of(wt::frame2_signed_bytes(f2)), (signer ? signer : &kp)->sk);
    return wt::encode_frame2(f2);
  }

  std::deque<std::string> inbox;

private:
  skywire::io::kcp::control_block cb_;
  out_fn out_;
};

/// A visor's control channel over a real UDP socket on 127.0.0.1: the test
/// blocks on the socket (poll) until a message arrives or the deadline
/// passes, driving KCP at the deadlines it names.
class udp_visor {
public:
  using clock = std::chrono::steady_clock;

  udp_visor(uint16_t ar_port, uint32_t conv)
    : sock_(io_), ar_{boost::asio::ip::make_address("127.0.0.1"), ar_port},
      kcp_(conv, [this](std::span<const uint8_t> d) { raw(d); }) {
    sock_.open(boost::asio::ip::udp::v4());
    sock_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  }

  uint16_t local_port() const { return sock_.local_endpoint().port(); }
  int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start_).count();
  }
  /// One raw datagram to the resolver (garbage tests use it too).
  void raw(std::span<const uint8_t> d) { sock_.send_to(boost::asio::buffer(d.data(), d.size()), ar_); }
  void send(std::string_view msg) { kcp_.send(msg, now_ms()); }

  /// Pumps until a message arrives or `timeout` passes.
  std::optional<std::string> wait_message(std::chrono::milliseconds timeout) {
    auto deadline = clock::now() + timeout;
    for (;;) {
      if (auto m = kcp_.take())
        return m;
      if (!pump_once(deadline))
        return std::nullopt;
    }
  }
  /// Pumps until everything sent is acknowledged, or `timeout` passes.
  bool wait_acked(std::chrono::milliseconds timeout) {
    auto deadline = clock::now() + timeout;
    while (kcp_.kcp().waiting() > 0)
      if (!pump_once(deadline))
        return false;
    return true;
  }
  /// Handshake as initiator and the bind message; true when Frame3 said OK.
  bool bind(const skywire::crypto::keypair& kp, const wt::local_addresses& la,
            std::chrono::milliseconds timeout = std::chrono::seconds{3}) {
    send(wt::frame0_text);
    auto f1 = wait_message(timeout);
    if (!f1)
      return false;
    send(kcp_visor::frame2_for(*f1, kp));
    auto f3 = wait_message(timeout);
    if (!f3)
      return false;
    auto d3 = wt::decode_frame3(*f3);
    if (!d3 || !d3->ok)
      return false;
    send(wt::encode_local_addresses(la));
    return wait_acked(timeout);
  }

  kcp_visor& kcp() { return kcp_; }

private:
  /// One wait for a datagram (or KCP's next deadline); false past `deadline`.
  bool pump_once(clock::time_point deadline) {
    auto now = now_ms();
    kcp_.tick(now);
    auto next = static_cast<int32_t>(kcp_.kcp().check(static_cast<uint32_t>(now))
                                     - static_cast<uint32_t>(now));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0)
      return false;
    auto wait = std::min<int64_t>(std::max<int32_t>(next, 1), left.count());
    pollfd p{sock_.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait)) > 0) {
      std::array<uint8_t, 2048> buf{};
      boost::asio::ip::udp::endpoint from;
      auto n = sock_.receive_from(boost::asio::buffer(buf), from);
      kcp_.deliver({buf.data(), n}, now_ms());
    }
    return true;
  }

  boost::asio::io_context io_;
  boost::asio::ip::udp::socket sock_;
  boost::asio::ip::udp::endpoint ar_;
  clock::time_point start_ = clock::now();
  kcp_visor kcp_;
};

} // namespace ar_test
