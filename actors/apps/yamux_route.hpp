// The data plane of skysocks and skysocks-client (reference §5.5): a yamux
// session (runtime/yamux/session.hpp) carried by one route group's core, on
// the core's io shard, whose streams are piped to TCP sockets on the same
// shard — no actor hop per chunk, no thread hand-over.
//  - client: every adopted local connection opens one stream; bytes are
//    copied both ways, SOCKS is not parsed (the user's application talks
//    SOCKS5 to the server end to end), except that a greeting this
//    session's server already answered is answered here at once
//    (socks_greeting.hpp: one route round trip less per connection), and
//    so is a CONNECT to a target the server connected within the last
//    minute (socks_connect.hpp: one more);
//  - client, HTTP proxy (adopt_http): the connection's request head is read
//    first (actors/apps/http_proxy_exchange), then a stream is opened and
//    the SOCKS5 handshake with the server is ours; once it succeeded the
//    bytes are piped as above (without the greeting shortcut), on failure
//    the client gets an HTTP error;
//  - socks server: every stream the peer opens is a SOCKS5 handshake
//    (wire/socks5/server.hpp, with the passcode if one is set), then a TCP
//    connection to the target (names resolved off the shard by asio's
//    resolver thread, the connection opened on this shard), answered with
//    the reply code of the outcome (refused = 5, …), then a pipe.
//
// Pipes follow the rules of actors/dmsg_tools/pipe_core.hpp:
//  - back-pressure both ways: socket -> stream stops reading the socket
//    while the stream's unsent bytes are above its high water mark; stream
//    -> socket credits the yamux window only for bytes the socket has sent,
//    so the remote sender follows the local reader's pace;
//  - the stream's FIN closes the socket (FIN) once its queue is drained; a
//    stream reset (RST, or the session's end) closes it with a TCP RST, so
//    a cut transfer never looks complete; a socket's clean end sends FIN
//    after the queued bytes, a socket error resets the stream;
//  - a socket whose queue overflows (a reader that stopped while the peer
//    kept to the window cannot, so only a broken peer) resets both sides.
//
// The route's core keeps the group actor's sink until install(): bytes it
// delivered before are handed over with prefix() (the owner collected them
// from its mailbox), so nothing is lost or reordered; until prefix() is
// called, direct bytes wait here (bounded by the core's receive bound: they
// are not yet consumed()).
//
// Threading: every method on the core's shard (post there). end_fn runs on
// the shard, once, when the session ended.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "actors/apps/http_proxy_exchange.hpp"
#include "actors/apps/socks_connect.hpp"
#include "actors/apps/socks_greeting.hpp"
#include "actors/routing/route_group_core.hpp"
#include "runtime/io/stream_connection.hpp"
#include "runtime/yamux/session.hpp"

namespace skywire::apps {

class yamux_route : public std::enable_shared_from_this<yamux_route> {
public:
  enum class mode : uint8_t { client, socks_server };

  /// The receive window of our streams: 1 MiB. hashicorp's 256 KiB lets a
  /// stream move 256 KiB per round trip (the credit comes back once the
  /// socket took the bytes), which bounds one connection to about 250 MB/s
  /// at a 1 ms round trip and to 25 MB/s at 10 ms — the route itself keeps
  /// 256 packets (about 1 MiB) in flight. The SYN and its ACK announce the
  /// extra window, which hashicorp peers honour.
  static constexpr uint32_t stream_window = 1024 * 1024;

  /// All streams' unsent bytes before every socket pauses (1 MiB): 32
  /// connections at the 256 KiB mark of a stream would hold 8 MiB.
  static constexpr size_t session_unsent = 1024 * 1024;

  static yamux::session::limits default_limits() {
    yamux::session::limits l;
    l.recv_window = stream_window;
    l.session_high_water = session_unsent;
    return l;
  }

  struct config {
    mode m = mode::client;
    std::string passcode; ///< socks_server: username/password required when set
    yamux::session::limits lim = default_limits();
    size_t max_pipes = 1024;
  };

  struct counters {
    uint64_t pipes_opened = 0;
    uint64_t pipes_refused = 0; ///< SOCKS refusals and failed connects
    uint64_t to_route = 0;      ///< socket bytes written to streams
    uint64_t to_sockets = 0;    ///< stream bytes written to sockets
    uint64_t sockets_reset = 0; ///< sockets ended with an RST
    uint64_t http_heads = 0;    ///< HTTP proxy request heads parsed
    uint64_t http_refused = 0;  ///< HTTP proxy connections answered with an error
    uint64_t greetings_answered = 0; ///< client: SOCKS5 greetings answered here (socks_greeting.hpp)
    uint64_t connects_answered = 0;  ///< client: CONNECTs answered early here (socks_connect.hpp)
  };

  using end_fn = std::function<void(const caf::error&)>;

  static std::shared_ptr<yamux_route> make(routing::route_group_core_ptr core,
                                           boost::asio::io_context& shard, config cfg,
                                           end_fn on_end);
  ~yamux_route();

  /// Takes the core's sink and drain callbacks; direct bytes wait for prefix().
  void install();
  /// The bytes the core delivered to the group's owner before install().
  void prefix(const std::vector<uint8_t>& bytes);
  /// Client: a local connection (on this shard) becomes one stream.
  void adopt(io::stream_connection_ptr conn);
  /// Client: a local connection to the HTTP proxy (on this shard): its
  /// request head decides the stream's target.
  void adopt_http(io::stream_connection_ptr conn);
  /// The route ended (err: why); every stream is reset.
  void carrier_closed(const caf::error& err);
  /// Ends the session (GoAway), resets every socket, gives the core back.
  void stop();

  bool ended() const noexcept { return session_.ended(); }
  /// The shard this object and its sockets run on.
  boost::asio::io_context& shard() const noexcept { return shard_; }
  /// The route's core (its post() reaches this object's shard).
  const routing::route_group_core_ptr& core() const noexcept { return core_; }
  size_t pipes() const noexcept { return pipes_.size() + heads_.size(); }
  const counters& stats() const noexcept { return stats_; }
  const yamux::session::counters& session_stats() const noexcept { return session_.stats(); }

private:
  struct pipe;
  using pipe_ptr = std::shared_ptr<pipe>;

  yamux_route(routing::route_group_core_ptr core, boost::asio::io_context& shard, config cfg,
              end_fn on_end);

  yamux::session::hooks session_hooks();
  /// A local connection beyond the bound or after the end: reset, true.
  bool refused(const io::stream_connection_ptr& conn);
  yamux::session::stream_handler handler_for(const pipe_ptr& p);
  void feed(std::vector<uint8_t>&& bytes);
  void on_accept(uint32_t id);

  // pipe events
  void start_socket(const pipe_ptr& p);
  void from_socket(const pipe_ptr& p, std::vector<uint8_t>&& bytes);
  /// What one socket read may take, from the number of pipes.
  size_t socket_read_size() const noexcept;
  /// The session is saturated: every piped socket stops reading.
  void pause_all_sockets();
  void socket_sent(const pipe_ptr& p, size_t n);
  void socket_closed(const pipe_ptr& p, const boost::system::error_code& ec);
  void stream_data(const pipe_ptr& p, yamux::byte_span bytes);
  /// stream_data while the greeting's answer or the CONNECT's reply may be in it.
  void tapped_stream_data(const pipe_ptr& p, yamux::byte_span bytes);
  /// reset: the socket gets an RST; gone: the session forgot the stream.
  void stream_ended(const pipe_ptr& p, bool reset, bool gone);
  /// Our side of the stream ends: FIN when clean, else RST.
  void end_local(const pipe_ptr& p, bool clean);
  /// Sent straight from `bytes` when the socket takes them (what it does not
  /// take is copied into its queue).
  void to_socket(const pipe_ptr& p, yamux::byte_span bytes);
  void maybe_close_socket(const pipe_ptr& p);
  void maybe_forget(const pipe_ptr& p);

  // HTTP proxy (client)
  void http_from_socket(const pipe_ptr& p, std::vector<uint8_t>&& bytes);
  void http_from_stream(const pipe_ptr& p, yamux::byte_span bytes);
  void http_apply(pipe_ptr p, http_proxy_exchange::actions&& a);
  void http_deadline(const pipe_ptr& p, std::chrono::seconds after, unsigned status,
                     std::string why);
  void http_linger_close(const pipe_ptr& p);
  /// The exchange ends unpiped: its deadline off, its stream (if any) reset.
  void http_abandon(const pipe_ptr& p);

  // socks server
  void socks_data(const pipe_ptr& p, yamux::byte_span bytes);
  void connect_target(const pipe_ptr& p);
  void connected(const pipe_ptr& p, boost::asio::ip::tcp::socket&& sock);
  void connect_failed(const pipe_ptr& p, const boost::system::error_code& ec);

  routing::route_group_core_ptr core_;
  boost::asio::io_context& shard_;
  config cfg_;
  end_fn on_end_;
  yamux::session session_;
  std::unordered_map<uint32_t, pipe_ptr> pipes_;
  std::unordered_map<pipe*, pipe_ptr> heads_;  ///< HTTP proxy connections without a stream yet
  greeting_cache greetings_;                   ///< client: the server's answers to greetings
  connect_cache connects_;                     ///< client: the server's successes, by request
  bool holding_ = true;                        ///< direct bytes wait for prefix()
  std::vector<std::vector<uint8_t>> held_;     ///< those bytes
  bool stopped_ = false;
  counters stats_;
};

using yamux_route_ptr = std::shared_ptr<yamux_route>;

using yamux_ready_atom = caf::atom_constant<caf::atom("ymx_ready")>;
using yamux_end_atom = caf::atom_constant<caf::atom("ymx_end")>;

/// From an actor holding a route group's core (score_atom): makes the
/// yamux_route on the core's shard and installs it there, then sends
/// (yamux_ready_atom, tag, yamux_route_ptr) to `owner`; the session's end
/// comes as (yamux_end_atom, tag, caf::error). The owner then hands over the
/// bytes the group sent it before (prefix(), on the shard).
void attach_yamux_route(routing::route_group_core_ptr core, yamux_route::config cfg,
                        caf::actor owner, uint64_t tag);

} // namespace skywire::apps

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::apps::yamux_route_ptr)
