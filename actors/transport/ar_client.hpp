// The visor's client of the address resolver, HTTP side (reference §1.11,
// §3.5; Go: pkg/transport/network/addrresolver). The sudph control channel
// (KCP over UDP: bind message, heartbeat, hole-punch pushes, delBind) is not
// here.
//
//   bind_stcpr     POST   /bind/stcpr  {"port":"<p>","addresses":[…]}\n  httpauth
//   unbind_stcpr   DELETE /bind/stcpr  {}\n                              httpauth
//   resolve        GET    /resolve/{stcpr|sudph}/{pk}                     httpauth
//   transports     GET    /transports                                     public (unsigned)
//   health         GET    /health                                         public
//
// Async like tpd_client: callbacks run once, on an I/O thread (a call refused
// before anything is sent: at once, on the caller's). Answers are bounded:
// VisorData 8 KiB, /transports 32 MiB and 500,000 keys. The AR answers
// bind refusals with 400 {"error":"Cannot bind … Remote address not present
// …"}; that text is in the error (server_message()).
//
// stcpr_heartbeat re-posts the binding every 5 minutes (the interval the Go
// visor uses from v1.3.2x on; the v1.3.20 snapshot binds once), so an AR that
// restarted or expired the binding learns it again.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/transport/client_errors.hpp"
#include "actors/transport/httpauth_client.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/health.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::transport {

inline constexpr std::string_view ar_service_name = "address resolver";

class ar_client {
public:
  using done_callback = std::function<void(caf::error)>;
  using resolve_callback = std::function<void(expected<wire::transport::visor_data>)>;
  using transports_callback = std::function<void(expected<wire::transport::ar_transports>)>;
  using health_callback = std::function<void(expected<wire::health_response>)>;

  /// `base_url` as in the config's transport.address_resolver.
  static expected<ar_client> make(io::io_runtime& io, std::string_view base_url,
                                  const public_key& pk, const secret_key& sk,
                                  httpauth_client::options opts = {});

  /// Announces the stcpr listener: its TCP port and the host's addresses
  /// (local_interface_addresses(); the AR accepts the bind only when the
  /// request comes from a public IP that is among them). At most 64
  /// addresses, each an IP literal.
  void bind_stcpr(port tcp_port, std::vector<std::string> addresses, done_callback cb) const;

  /// Withdraws the binding (on shutdown).
  void unbind_stcpr(done_callback cb) const;

  /// Where `pk` can be reached over `type` ("stcpr" or "sudph").
  /// 404 -> client_errc::not_found (no binding). For sudph the AR also asks
  /// pk to punch a hole toward us (§3.6).
  void resolve(std::string_view type, const public_key& pk, resolve_callback cb) const;

  /// The keys bound per transport type.
  void transports(transports_callback cb) const;

  void health(health_callback cb) const;

  const httpauth_client& auth() const noexcept { return http_; }

private:
  explicit ar_client(httpauth_client c) : http_(std::move(c)) {}
  httpauth_client http_;
};

/// Where to dial a peer resolved for stcpr, in order: when is_local, each
/// of its addresses with its port, then remote_addr with its port. IPv6
/// literals in brackets ("[2001:db8::1]:7777").
std::vector<std::string> stcpr_dial_addresses(const wire::transport::visor_data& vd);

/// The same for sudph: each local address with the port when is_local, then
/// remote_addr as the AR saw it ("ip:port").
std::vector<std::string> sudph_dial_addresses(const wire::transport::visor_data& vd);

/// The host's interface addresses as the Go visor announces them
/// (netutil.LocalAddresses: global unicast and loopback IPs, in interface
/// order, without zone). Errors as values.
expected<std::vector<std::string>> local_interface_addresses();

/// Whether an IP literal counts as public, as the Go visor decides whether to
/// bind stcpr (netutil.IsPublicIP): IPv4 (or IPv4-mapped) and not loopback,
/// link-local, 10/8, 172.16/12 or 192.168/16; we also refuse 0/8, the shared
/// 100.64/10, multicast and 240/4. Documentation ranges (192.0.2/24, ...)
/// count as public, as in Go: loopback interop setups use them. IPv6: never
/// (the Go AR binds IPv4 only).
bool is_public_ip(std::string_view ip) noexcept;

/// Re-posts an stcpr binding periodically. Plain class, not thread-safe: its
/// owner (an actor) calls start/stop; the timer runs on the io runtime and
/// reports every attempt's result through `on_result` (on an I/O thread).
/// After a failure the next attempt comes sooner: retry_delay, doubling, up
/// to the interval. Destroying it stops the timer (no unbind).
class stcpr_heartbeat {
public:
  static constexpr std::chrono::milliseconds reference_interval = std::chrono::minutes{5};

  struct options {
    std::chrono::milliseconds interval = reference_interval;
    std::chrono::milliseconds retry_delay = std::chrono::seconds{5};
  };

  using result_callback = std::function<void(caf::error)>;
  /// Called before each bind for the addresses to announce (interfaces change).
  using address_source = std::function<std::vector<std::string>()>;

  stcpr_heartbeat(ar_client client, port tcp_port, address_source addresses,
                  result_callback on_result, options opts);
  stcpr_heartbeat(ar_client client, port tcp_port, address_source addresses,
                  result_callback on_result)
    : stcpr_heartbeat(std::move(client), tcp_port, std::move(addresses), std::move(on_result),
                      options{}) {}
  ~stcpr_heartbeat();

  stcpr_heartbeat(const stcpr_heartbeat&) = delete;
  stcpr_heartbeat& operator=(const stcpr_heartbeat&) = delete;

  /// Binds now, then every interval (once: a stopped heartbeat stays stopped).
  void start();

  /// Stops the timer; with `unbind`, then DELETEs the binding and calls
  /// `done` with the result (else `done`, if given, at once with none).
  void stop(bool unbind = false, ar_client::done_callback done = {});

  struct loop;

private:
  std::shared_ptr<loop> loop_;
};

} // namespace skywire::transport
