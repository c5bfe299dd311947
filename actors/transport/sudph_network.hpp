// The sudph transport type (reference §3.6) as the transport manager sees it
// (network.hpp): the adapter between the manager and the sudph classes
// (sudph_socket, sudph_ar_channel, sudph_stun, kcp_link), all on one io
// shard.
//
//  listen(accept)  opens the one UDP socket of the visor on listen_port (0 =
//                  random; a taken port: the next one, up to port_attempts
//                  ports, as stcpr), then on the shard: when stun_servers are
//                  configured, the NAT type first (sudph_stun from this
//                  socket, one server after the other until one answers);
//                  behind a symmetric NAT (sudph_allowed() false) sudph is
//                  not offered (unavailable() says why, logged at info) and
//                  the socket is closed; otherwise the control channel to
//                  the address resolver (bind, heartbeat, pushes) and the
//                  listener: each new incoming KCP session passes
//                  io::admission (its ticket goes to the manager's inbound
//                  set with it) on top of the socket's own pending bounds.
//  dial(pk, n)     resolves pk for sudph at the address resolver (which
//                  makes the peer punch toward us), takes candidate n modulo
//                  their number (sudph_dial_candidates: the peer's local
//                  addresses first when is_local, then its NAT mapping) and
//                  opens a KCP session to it (a `holepunch` first). The
//                  manager runs the handshakes; a session that fails before
//                  it is up is dialed again with the next attempt
//                  (redial_delay(), within the dial deadline): that is the
//                  reference's 30 s loop over the candidates.
//  authenticated   the manager's inbound set verified a session's
//                  settlement entry: sudph_socket::confirm(), so it no
//                  longer counts as pending.
//  stop()          delBind on the channel, then (once the resolver
//                  acknowledged it, at most stop_linger) the socket closes;
//                  dials waiting for the NAT check fail. Called off the
//                  shard (the manager stopping), it waits for that close
//                  (at most stop_linger and a margin), as stcpr waits for
//                  its unbind: the io runtime may stop right after, and a
//                  delBind never sent leaves the binding at the resolver.
//  info()          {"type","listening","listen_error","offered",
//                  "unavailable","nat":{...},"address_resolver":{...},
//                  "socket":{...},"pending_handshakes","admitted","refused"}
//
// Threads: the public members may be called from any thread; the state they
// share with the shard is under a mutex, the sudph objects live on the shard.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "actors/transport/network.hpp"
#include "actors/transport/stun_probe.hpp"
#include "actors/transport/sudph_ar_channel.hpp"
#include "actors/transport/sudph_socket.hpp"
#include "actors/transport/sudph_stun.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::transport {

/// The address resolver's sudph endpoint from its URL (reference §3.6): the
/// URL's host with its explicit port, or port 30178 when it names none.
/// "host:port" ("[v6]:port"); an error for a URL that is not http(s).
expected<std::string> sudph_ar_address(std::string_view ar_url);

struct sudph_network_config {
  std::string listen_host;     ///< "" = every interface
  uint16_t listen_port = 0;    ///< transport.sudph_port (0 = random)
  unsigned port_attempts = 64; ///< on a failed bind: the next port, this many in all
  /// The address resolver's UDP endpoint, "host:port" (a name is resolved
  /// at start); "" = no control channel (nobody can dial us).
  std::string ar_address;
  /// The resolver's answer for a key (ar_client::resolve("sudph", ...)).
  std::function<void(const public_key&, std::function<void(expected<wire::transport::visor_data>)>)>
    resolve;
  /// The local IPs announced in the bind message (called at start).
  std::function<std::vector<std::string>()> local_addresses;
  /// STUN servers, "host:port"; empty: the NAT type is not checked.
  std::vector<std::string> stun_servers;
  io::admission_config admission;
  sudph_socket_config socket;
  ar_channel_config ar_channel;
  sudph_stun_config stun;
  /// Between a failed dial attempt and the next (network.hpp).
  std::chrono::milliseconds redial_delay{500};
  /// How long stop() waits for the resolver to acknowledge delBind before
  /// the socket closes.
  std::chrono::milliseconds stop_linger{1'500};
  /// Dials that arrive while the NAT type is being checked wait, at most this many.
  size_t max_waiting_dials = 256;
};

class sudph_network final : public transport_network,
                            public std::enable_shared_from_this<sudph_network> {
public:
  static std::shared_ptr<sudph_network> make(io::io_runtime& io, crypto::keypair local,
                                             sudph_network_config cfg);
  ~sudph_network() override;

  const std::string& type() const noexcept override;
  caf::error listen(accept_fn on_accept) override;
  void dial(const public_key& remote, unsigned attempt, dial_fn cb) override;
  void stop() override;
  boost::json::object info() const override;
  std::string unavailable() const override;
  std::optional<std::chrono::milliseconds> redial_delay() const noexcept override {
    return cfg_.redial_delay;
  }
  void authenticated(const io::byte_link_ptr& conn) override;

  /// The bound UDP port (0 before listen(), when it failed, once stopped
  /// or not offered).
  uint16_t port() const;
  /// The NAT type (unknown until checked; stays unknown without STUN servers).
  nat_type nat() const;
  /// The public IP STUN saw (Test I's mapped address), if checked.
  std::optional<std::string> public_ip() const;
  /// Whether the control channel to the address resolver is bound.
  bool ar_bound() const;
  /// Whether the NAT check is over (at once without STUN servers).
  bool ready() const;
  const io::admission_ptr& admission() const noexcept { return adm_; }

private:
  sudph_network(io::io_runtime& io, crypto::keypair local, sudph_network_config cfg);

  // [shard]
  void start_on_shard();
  void check_nat(size_t server);
  void nat_checked(nat_type t, std::optional<boost::asio::ip::udp::endpoint> mapped,
                   const std::string& server);
  void go_live();
  void on_incoming(const kcp_link_ptr& link);
  void dial_on_shard(const public_key& remote, unsigned attempt,
                     expected<wire::transport::visor_data> vd, dial_fn cb);
  void stop_on_shard();
  void close_socket();
  void refresh_stats();

  struct waiting_dial {
    public_key remote;
    unsigned attempt = 0;
    dial_fn cb;
  };

  boost::asio::io_context& ctx_;
  crypto::keypair local_;
  sudph_network_config cfg_;
  io::admission_ptr adm_;
  accept_fn on_accept_;

  // the shard's
  sudph_socket_ptr sock_;
  sudph_ar_channel_ptr channel_;
  std::shared_ptr<sudph_stun> stun_;
  io::timer_service::timer_id stats_timer_ = 0;
  io::timer_service::timer_id linger_timer_ = 0;

  // shared, under mtx_
  mutable std::mutex mtx_;
  uint16_t port_ = 0;
  std::string listen_error_;
  std::string unavailable_;
  bool stopped_ = false;
  bool socket_closed_ = false; ///< close_socket() ran (stop()'s wait)
  std::condition_variable closed_cv_;
  bool listened_ = false;
  bool ready_ = false; ///< the NAT check is over
  nat_type nat_ = nat_type::unknown;
  std::string nat_note_; ///< "not checked (no stun_servers)", the server, ...
  std::string public_addr_;
  std::optional<std::string> public_ip_; ///< public_addr_'s IP
  std::string ar_state_ = "off";
  std::string ar_endpoint_text_;
  uint64_t ar_connects_ = 0, ar_heartbeats_ = 0, ar_pushes_ = 0;
  sudph_socket_counters sock_stats_;
  size_t sock_pending_ = 0, sock_incoming_ = 0;
  std::vector<waiting_dial> waiting_;
};

using sudph_network_ptr = std::shared_ptr<sudph_network>;

} // namespace skywire::transport
