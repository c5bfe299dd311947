// The address resolver's UDP side on one io shard: its UDP sockets (the
// HTTP port and 30178 by default) and the sudph channel table behind them,
// driven by the shard's timer wheel. Everything it owns lives on the
// shard's thread; the service reaches it through push()/drop() (posted) and
// hears from it through the sink (called on the shard's thread: it must
// only post or send, e.g. caf::anon_send to the service actor).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "actors/services/address_resolver/api.hpp"
#include "actors/services/address_resolver/sudph_table.hpp"
#include "messages/error.hpp"
#include "runtime/io/udp_socket.hpp"

namespace skywire::services::address_resolver {

class sudph_listener final : public sudph_control,
                             public std::enable_shared_from_this<sudph_listener> {
public:
  struct sink {
    std::function<void(const public_key&, const wire::transport::visor_data&,
                       const boost::asio::ip::address&, uint64_t channel)>
      bound;
    std::function<void(const public_key&, uint64_t channel, std::string why)> unbound;
  };

  /// Binds every address (host, port; port 0 = ephemeral) on `ctx`;
  /// nothing is read before start().
  static expected<std::shared_ptr<sudph_listener>>
  open(boost::asio::io_context& ctx, const std::vector<std::pair<std::string, uint16_t>>& addrs,
       sudph_table_config cfg, io::udp_socket::options socket_options = {});

  ~sudph_listener() override;

  /// The bound UDP ports, in the order of the addresses.
  const std::vector<uint16_t>& ports() const noexcept { return ports_; }

  /// Starts reading; events go to `s` (thread-safe).
  void start(sink s);
  /// Closes the sockets and drops every channel; returns when done (at most
  /// a few seconds when called from another thread). Idempotent.
  void stop();

  // sudph_control (thread-safe: posted to the shard)
  void push(const public_key& pk, uint64_t channel, std::string message) override;
  void drop(const public_key& pk, uint64_t channel) override;

  /// Prometheus text of the UDP side (thread-safe), names prefixed `prefix`.
  std::string metrics_text(const std::string& prefix) const;

private:
  struct events;
  explicit sudph_listener(boost::asio::io_context& ctx);
  void close_on_shard();

  boost::asio::io_context& ctx_;
  std::vector<io::udp_socket_ptr> sockets_;
  std::vector<uint16_t> ports_;
  std::unique_ptr<events> events_;
  std::unique_ptr<sudph_table> table_;
  bool stopped_ = false; ///< shard thread only
  std::atomic<bool> stop_requested_{false};
};

} // namespace skywire::services::address_resolver
