// The TCP transport types (reference §3.5):
//   stcp   dials the address of the peer in the config's pk_table; listens
//          on skywire-tcp.listening_address.
//   stcpr  dials what the address resolver says the peer bound; listens on
//          transport.stcpr_port (0 = random; when the port is taken, the
//          next one, up to port_attempts ports, as the reference increments
//          and retries).
// Both accept through io::tcp_listener (connections spread over the io
// shards) and io::admission: a connection that has not authenticated holds
// a pending slot (bounded per address, per /24 or /64, in all; the oldest
// idle one is evicted for a newcomer) and gets the handshake deadline the
// pressure allows. What it then has to prove is transport_core's business:
// a truncated handshake, garbage or a slowloris is dropped at its phase
// deadline or at its first wrong byte, without touching established
// transports.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "actors/transport/errors.hpp"
#include "actors/transport/network.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/tcp_listener.hpp"

namespace skywire::transport {

struct tcp_network_config {
  std::string type;        ///< "stcp" or "stcpr"
  bool listen = true;      ///< whether listen() opens a listener
  std::string listen_host; ///< "" = every interface
  uint16_t listen_port = 0;
  unsigned port_attempts = 1; ///< on a failed bind: the next port, this many ports in all
  io::admission_config admission;
  std::chrono::milliseconds connect_timeout{5000};
  /// Where a peer listens.
  address_resolver resolve;
  /// Called once the listener is up, with its port (stcpr: bind at the
  /// address resolver and keep re-binding); returns what stop() calls.
  std::function<std::function<void()>(uint16_t port)> on_listening;
};

class tcp_network final : public transport_network,
                          public std::enable_shared_from_this<tcp_network> {
public:
  static std::shared_ptr<tcp_network> make(io::io_runtime& io, tcp_network_config cfg);

  const std::string& type() const noexcept override { return cfg_.type; }
  caf::error listen(accept_fn on_accept) override;
  void dial(const public_key& remote, unsigned attempt, dial_fn cb) override;
  void stop() override;
  boost::json::object info() const override;

  /// The bound port (0 before listen() or when it failed).
  uint16_t port() const noexcept { return port_.load(std::memory_order_acquire); }
  const io::admission_ptr& admission() const noexcept { return adm_; }

private:
  tcp_network(io::io_runtime& io, tcp_network_config cfg);

  io::io_runtime& io_;
  tcp_network_config cfg_;
  io::admission_ptr adm_;
  std::atomic<uint16_t> port_{0};
  mutable std::mutex mtx_;
  io::tcp_listener_ptr listener_;
  std::function<void()> stop_background_;
  std::string listen_error_;
  bool stopped_ = false;
};

/// The increment-on-failure rule of the stcpr and sudph listeners (as the
/// reference): open(port), else open(port + 1), ..., `attempts` ports in
/// all (port 0: one try, the system picks); the first that opened, or the
/// last error.
template <class Open>
auto open_with_increments(uint16_t port, unsigned attempts, Open open) -> decltype(open(port)) {
  unsigned n = port == 0 ? 1u : std::max(1u, attempts);
  decltype(open(port)) last = make_error(transport_errc::invalid_argument, "no port to try");
  for (unsigned i = 0; i < n && uint32_t{port} + i <= 65535; ++i) {
    last = open(static_cast<uint16_t>(port + i));
    if (last)
      break;
  }
  return last;
}

/// Splits "host:port" / "[v6]:port" / ":port" (host "" = every interface).
expected<std::pair<std::string, uint16_t>> split_host_port(std::string_view text);

/// Runs an accepted connection from `from` (`remote`: its "ip:port", for
/// the log) through admission control: its ticket, or null (refused, logged
/// rate-limited; the caller drops the connection). `on_evict` runs if it is
/// pushed out later (it must only post).
io::admission_ticket_ptr admit_connection(io::admission& adm, const std::string& type,
                                          const boost::asio::ip::address& from,
                                          const std::string& remote,
                                          std::function<void()> on_evict);

/// Connects to the first of `addresses` that answers (each "host:port",
/// names resolved), each try bounded by `timeout`; cb runs once on an io
/// thread with the started-able connection or the last error.
void tcp_connect(io::io_runtime& io, std::vector<std::string> addresses,
                 std::chrono::milliseconds timeout, transport_network::dial_fn cb);

} // namespace skywire::transport
