// skysocks-client's shortcut for the SOCKS5 greeting (RFC 1928 §3): the
// client application's first message names the methods it offers, the
// server answers with the one it selects. A SOCKS connection through the
// client costs three round trips over the route before the first byte of
// payload (greeting, request, then the payload itself); the server's answer
// to a given greeting depends only on its passcode, fixed for the session,
// so once this session's server answered a greeting, the client answers the
// same greeting at once on later connections: one route round trip less per
// connection.
//
// The server still sees every byte the application sent (the greeting goes
// through as before) and answers it; the client drops that answer when it is
// the one it gave, and resets the connection when it is not (the server
// changed its mind: the entry is forgotten, the next connection goes the
// long way and learns again). Only exact, complete greetings in one read
// are answered (nothing after them: a client that pipelines its request
// goes the long way), and only answers that select an offered method.
//
// Plain state, no I/O: yamux_route calls it from its pipes (one
// greeting_tap per connection, one greeting_cache per session).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace skywire::apps {

class greeting_cache {
public:
  using reply = std::array<uint8_t, 2>;
  /// Greetings remembered (clients with and without credentials differ).
  static constexpr size_t max_entries = 4;

  /// `bytes` is exactly one whole SOCKS5 greeting: VER 5, NMETHODS >= 1,
  /// that many methods, nothing after them.
  static bool is_greeting(std::span<const uint8_t> bytes) noexcept;

  /// The server's answer to exactly this greeting, when it gave one before.
  std::optional<reply> lookup(std::span<const uint8_t> greeting) const;
  /// The server answered `greeting` with `r`: kept when r selects one of the
  /// offered methods (a refusal, 0xFF, is not).
  void learn(std::span<const uint8_t> greeting, reply r);
  /// The server answered `greeting` otherwise than remembered.
  void forget(std::span<const uint8_t> greeting);
  size_t size() const noexcept { return entries_.size(); }

private:
  struct entry {
    std::vector<uint8_t> greeting;
    reply answer;
  };
  std::vector<entry> entries_;
};

/// One connection's greeting, from the client's first bytes to the server's
/// answer.
class greeting_tap {
public:
  /// The application's first bytes: the answer to give it now (the cache
  /// knows this greeting), or none (the greeting goes the long way and the
  /// server's answer is learned).
  std::optional<greeting_cache::reply> first_from_client(std::span<const uint8_t> bytes,
                                                         const greeting_cache& cache);

  struct outcome {
    size_t drop = 0;       ///< leading bytes of this piece to drop (our answer's echo)
    size_t taken = 0;      ///< leading bytes of this piece that were the answer (dropped or not)
    bool mismatch = false; ///< the server answered otherwise: reset the connection
  };
  /// Bytes from the server, in order.
  outcome from_server(std::span<const uint8_t> bytes, greeting_cache& cache);

  bool answered_locally() const noexcept { return answered_; }
  /// The method the application was told (by us or by the server), once
  /// it was: what its next message is (0: none, the request comes next).
  std::optional<uint8_t> method() const noexcept;
  /// Nothing more of the server's answer is expected.
  bool done() const noexcept { return st_ == state::done; }

private:
  enum class state : uint8_t { first, watching, expecting, done };
  state st_ = state::first;
  bool answered_ = false;
  std::vector<uint8_t> greeting_;
  greeting_cache::reply seen_{};
  size_t have_ = 0; ///< bytes of the server's answer seen so far
};

} // namespace skywire::apps
