// Skywire's Noise handshakes: Noise_KK / Noise_XK _Secp256k1_ChaChaPoly_SHA256,
// empty prologue, empty payloads, and the dmsg/pkg/noise cipher-state
// assignment on split (the party that writes the final message sends with
// cs2 and receives with cs1; the other side the reverse). KK: dmsg streams,
// stcp/stcpr/sudph transports, routes. XK: dmsg client -> server sessions.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "messages/ids.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/primitives.hpp"
#include "runtime/crypto/noise/session.hpp"
#include "runtime/crypto/noise/state.hpp"

namespace skywire::crypto::noise {

using skywire_state = handshake_state<secp256k1_dh, chachapoly_cipher, sha256_hash>;

enum class pattern_kind : uint8_t { kk, xk };
enum class role : uint8_t { initiator, responder };

/// Exact sizes of Skywire's handshake messages (33-byte keys, empty payloads).
inline constexpr size_t kk_message_size = 49;
inline constexpr size_t xk_message_sizes[3] = {49, 49, 65};

class handshake {
public:
  struct config {
    pattern_kind pattern = pattern_kind::kk;
    role side = role::initiator;
    keypair local;            ///< our static key pair
    public_key remote;        ///< peer's static key (unused by the XK responder)
    /// Fixed ephemeral key: vector tests only; normally generated.
    std::optional<keypair> ephemeral;
  };

  /// Errors if a needed key is missing or invalid.
  static expected<handshake> make(config cfg);

  handshake(handshake&&) noexcept = default;
  handshake& operator=(handshake&&) noexcept = default;

  bool finished() const noexcept { return st_.finished(); }
  bool failed() const noexcept { return st_.failed(); }
  /// Whether the next message is ours to write.
  bool my_turn() const noexcept { return st_.my_turn(); }
  pattern_kind pattern() const noexcept { return kind_; }
  role side() const noexcept { return side_; }

  /// The next raw Noise message (what dmsg carries in NoiseMsg fields).
  expected<std::vector<uint8_t>> write_message();
  /// Same, appended to out as a `u16 BE len | message` frame.
  caf::error write_frame(std::vector<uint8_t>& out);
  /// Processes the peer's next raw message; it must have the exact size and
  /// an empty payload.
  caf::error read_message(byte_span msg);

  /// The peer's static key (the XK responder learns it from message 3).
  public_key remote_static() const noexcept;

  /// Current h and ck (vector tests; ck is secret).
  const std::array<uint8_t, 32>& h() const noexcept { return st_.h(); }
  const std::array<uint8_t, 32>& ck() const noexcept { return st_.ck(); }

  /// The (spec-order) Split() keys k1, k2 (vector tests).
  std::pair<std::array<uint8_t, 32>, std::array<uint8_t, 32>> split_keys_for_tests() const;

  /// The established session with Skywire's cipher-state assignment.
  /// Errors unless finished.
  expected<session> split() const;

private:
  handshake() = default;
  size_t expected_size() const noexcept;

  skywire_state st_;
  pattern_kind kind_ = pattern_kind::kk;
  role side_ = role::initiator;
};

} // namespace skywire::crypto::noise
