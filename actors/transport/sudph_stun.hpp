// Runs nat_probe (stun_probe.hpp) from the sudph socket against one STUN
// server: each request is sent from the shared socket (so the mapping
// tested is the one sudph uses) and resent after `timeout` up to `tries`
// times before it counts as unanswered; the answers come back through the
// socket's STUN route. The result says whether sudph may run (sudph_allowed).
//
// The socket's local address (or config `local`) must be the interface's
// (not 0.0.0.0) for the open-internet test to recognise a host without NAT.
// Threads: the socket's io shard; call every member there.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "actors/transport/stun_probe.hpp"
#include "actors/transport/sudph_socket.hpp"

namespace skywire::transport {

struct sudph_stun_config {
  std::chrono::milliseconds timeout{500};
  int tries = 3;
  /// The address the socket's datagrams leave from, when the socket is
  /// bound to every interface (0.0.0.0): the interface toward the server.
  std::optional<boost::asio::ip::udp::endpoint> local;
};

class sudph_stun : public std::enable_shared_from_this<sudph_stun> {
public:
  using endpoint = boost::asio::ip::udp::endpoint;
  /// Once: the NAT type and the public address Test I saw (if any).
  using done_fn = std::function<void(nat_type, std::optional<endpoint>)>;

  static std::shared_ptr<sudph_stun> make(sudph_socket_ptr sock, endpoint server,
                                          sudph_stun_config cfg, done_fn done);
  ~sudph_stun();
  /// Takes the socket's STUN route and sends the first request.
  void start();
  /// Stops; done is not called; the STUN route is given back.
  void cancel();
  size_t requests_sent() const noexcept { return sent_; }

private:
  sudph_stun(sudph_socket_ptr sock, endpoint server, sudph_stun_config cfg, done_fn done);
  void pump();
  void transmit();
  void on_timeout();
  void finish();

  sudph_socket_ptr sock_;
  sudph_stun_config cfg_;
  done_fn done_;
  nat_probe probe_;
  std::optional<nat_probe::request> current_;
  int tries_left_ = 0;
  io::timer_service::timer_id timer_ = 0;
  size_t sent_ = 0;
  bool finished_ = false;
};

} // namespace skywire::transport
