// skysocks-client's early CONNECT reply (RFC 1928 §4, §6), the next step
// after the greeting shortcut (socks_greeting.hpp). A new SOCKS connection
// through the client costs two route round trips before the application has
// its first answer byte: the CONNECT request and its reply, then the
// application's own request. Once this session's server connected a target
// and said so (reply 0), the client answers the same CONNECT request for
// that target at once for a while (connect_cache::max_age): the
// application's first bytes follow the request down the same stream
// without waiting, and a revisited target costs one route round trip.
//
// The server still sees the request and answers it; the client drops that
// answer when it is a success and resets the connection when it is not
// (the target stopped accepting since: the entry is forgotten, the next
// connection goes the long way and gets the server's own reply code), and
// so does a stream that ends before the server's reply. The price: an
// application connecting a target that went away within a minute of its
// last success sees its connection reset instead of reply 5. The bound
// address of our answer is the one the server gave last time (the server's
// own answer carries its new socket's; CONNECT clients do not use it).
//
// Only exact, complete CONNECT requests in one read are answered (nothing
// after them), only after a greeting that selected no authentication, only
// replies with code 0 are learned, and nothing else of the stream is looked
// at. Plain state, no I/O: yamux_route calls it from its pipes (one
// connect_tap per connection, one connect_cache per session).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace skywire::apps {

class connect_cache {
public:
  using clock = std::chrono::steady_clock;
  /// Targets remembered (the oldest goes first).
  static constexpr size_t max_entries = 64;
  /// How long a success stands for the next connection to the same target.
  static constexpr std::chrono::seconds max_age{60};

  /// `bytes` is exactly one whole CONNECT request (wire::socks5's decoder:
  /// VER 5, CMD 1, RSV 0, an IPv4, IPv6 or non-empty name address, a port),
  /// nothing after it.
  static bool is_connect(std::span<const uint8_t> bytes);
  /// `reply` is exactly one whole reply with code 0 (succeeded).
  static bool is_success(std::span<const uint8_t> reply);

  /// The server's success reply to exactly this request, when it gave one
  /// within max_age of `now`.
  std::optional<std::vector<uint8_t>> lookup(std::span<const uint8_t> request, clock::time_point now) const;
  /// The server answered `request` with the whole reply `r` at `now`:
  /// kept when it is a success, else forgotten.
  void learn(std::span<const uint8_t> request, std::span<const uint8_t> r, clock::time_point now);
  void forget(std::span<const uint8_t> request);
  size_t size() const noexcept { return entries_.size(); }

private:
  struct entry {
    std::vector<uint8_t> request;
    std::vector<uint8_t> reply;
    clock::time_point learned;
  };
  std::vector<entry> entries_;
};

/// One connection's CONNECT, from the application's request to the server's
/// reply (after the greeting's answer: feed it the server's bytes that
/// follow that answer).
class connect_tap {
public:
  /// The application's read after the greeting (`method`: the one selected
  /// for it, none when not known yet): the answer to give it now (the cache
  /// knows this request), or none (the request goes the long way and a
  /// success is learned). Only the first such read is looked at.
  std::optional<std::vector<uint8_t>> from_client(std::span<const uint8_t> bytes,
                                                  std::optional<uint8_t> method,
                                                  const connect_cache& cache,
                                                  connect_cache::clock::time_point now);

  struct outcome {
    size_t drop = 0;       ///< leading bytes of this piece to drop (the server's reply to our answer)
    bool mismatch = false; ///< the server failed what we said succeeded: reset the connection
  };
  /// Bytes from the server after the greeting's answer, in order.
  outcome from_server(std::span<const uint8_t> bytes, connect_cache& cache,
                      connect_cache::clock::time_point now);

  /// The stream ended (FIN or reset) with the server's reply not whole:
  /// true when we had answered the request (the application was told
  /// success: its connection is reset, not ended cleanly), and then the
  /// target is forgotten.
  bool stream_ended(connect_cache& cache);

  bool answered_locally() const noexcept { return answered_; }
  /// Still reading the application or the server's reply.
  bool active() const noexcept { return st_ != state::done; }

private:
  enum class state : uint8_t { first, watching, expecting, done };
  state st_ = state::first;
  bool answered_ = false;
  std::vector<uint8_t> request_;
  std::vector<uint8_t> reply_; ///< the server's reply so far
};

} // namespace skywire::apps
