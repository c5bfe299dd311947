// The client side of a dmsgpty host's CLI socket (what `skywire dmsg pty cli`
// and the whitelist commands use): connect, send the request URI, then Go
// net/rpc calls over the connection. Plain blocking-with-timeout socket code
// for a one-shot command (no actors): every wait is bounded by poll().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/gob/types.hpp"
#include "messages/wire/gob/value.hpp"
#include "messages/wire/rpc/net_rpc.hpp"

namespace skywire::cli {

class dmsgpty_connection {
public:
  dmsgpty_connection() = default;
  ~dmsgpty_connection();
  dmsgpty_connection(const dmsgpty_connection&) = delete;
  dmsgpty_connection& operator=(const dmsgpty_connection&) = delete;

  /// Connects to the unix socket `path` and sends `uri`; errors when the host
  /// refuses it or does not answer within `timeout`.
  caf::error open(const std::string& path, const std::string& uri,
                  std::chrono::milliseconds timeout);

  /// Sends one call; returns its Seq.
  expected<uint64_t> call(const std::string& method, const wire::gob::schema_ptr& s,
                          const wire::gob::value& arg);

  /// The next response, waiting up to `timeout` (nullopt on timeout); an
  /// error when the connection ended or sent garbage.
  expected<std::optional<wire::rpc::inbound_response>> next(std::chrono::milliseconds timeout);

  /// A call and its answer (other answers are dropped); the error text of a
  /// failed call becomes an error.
  expected<wire::rpc::inbound_response> call_and_wait(const std::string& method,
                                                      const wire::gob::schema_ptr& s,
                                                      const wire::gob::value& arg,
                                                      std::chrono::milliseconds timeout);

  int fd() const noexcept { return fd_; }
  const wire::gob::decoder& decoder() const { return codec_.decoder(); }

  /// Reads what the socket has (non-blocking) into the codec; false on EOF/error.
  bool pump();

private:
  int fd_ = -1;
  wire::rpc::client_codec codec_;
  uint64_t seq_ = 0;
};

struct pty_cli_options {
  std::string cli_path;
  std::optional<address> remote; ///< proxy to pk:port; none = a local pty
  std::string cmd = "/bin/bash";
  std::vector<std::string> args;
  std::optional<std::pair<uint16_t, uint16_t>> size; ///< rows, cols (else the tty's)
  std::chrono::milliseconds connect_timeout{40'000};
};

/// Runs a command on the host's pty (or a remote one through the host),
/// pumping stdin/stdout until the command's output ends. Returns the exit code.
int run_pty_cli(const std::string& argv0, const pty_cli_options& opts);

} // namespace skywire::cli
