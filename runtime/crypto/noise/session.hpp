// Skywire's Noise transport layer (dmsg/pkg/noise compatible):
//  * frames `u16 BE len | u64 BE nonce | ChaCha20-Poly1305(ct || tag)`,
//    len <= 4094 (4096 on the wire), so at most 4070 plaintext bytes per
//    frame; larger writes are split;
//  * an explicit counter per direction, incremented before use (first = 1),
//    also the AEAD nonce; associated data empty;
//  * streams (transports, routes, dmsg streams): the receiver accepts only
//    strictly increasing counters (gaps allowed);
//  * dmsg session objects (same layout, any order): the receiver keeps a
//    sliding window of used counters and rejects repeats (the reference
//    never fills its set, so it has no replay check; we do).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "messages/ids.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::crypto::noise {

inline constexpr size_t frame_prefix_len = 2;
inline constexpr size_t nonce_len = 8;
inline constexpr size_t tag_len = 16;
/// Largest frame on the wire, prefix included.
inline constexpr size_t max_frame_size = 4096;
/// Largest value of the u16 length prefix of a stream frame.
inline constexpr size_t max_frame_body = max_frame_size - frame_prefix_len;
/// Smallest valid body: nonce and tag around an empty plaintext.
inline constexpr size_t min_frame_body = nonce_len + tag_len;
/// Plaintext bytes per frame: 4096 - 2 - 8 - 16.
inline constexpr size_t max_frame_plaintext = max_frame_body - min_frame_body;
/// dmsg session objects are bounded only by the u16 prefix.
inline constexpr size_t max_object_body = 0xffff;
inline constexpr size_t max_object_plaintext = max_object_body - min_frame_body;
/// Counters of session objects older than this many below the highest seen
/// are refused (the replay window).
inline constexpr uint64_t object_replay_window = 4096;

/// Wire size of the frames encrypt_frames() produces for len plaintext bytes
/// (an empty write produces no frame).
constexpr size_t frames_size(size_t len) noexcept {
  size_t full = len / max_frame_plaintext;
  size_t rest = len % max_frame_plaintext;
  return full * max_frame_size + (rest ? rest + frame_prefix_len + min_frame_body : 0);
}

/// Wire size of the object frame encrypt_object() produces for len plaintext
/// bytes (len at most max_object_plaintext).
constexpr size_t object_size(size_t len) noexcept {
  return frame_prefix_len + min_frame_body + len;
}

/// An established Noise channel: one send key, one receive key, counters.
/// Keys are wiped on destruction; nothing here is ever printed.
class session {
public:
  session() = default;
  session(const std::array<uint8_t, 32>& send_key, const std::array<uint8_t, 32>& recv_key,
          const std::array<uint8_t, 32>& handshake_hash, const public_key& remote);
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  session(session&& other) noexcept;
  session& operator=(session&& other) noexcept;
  ~session();

  bool valid() const noexcept { return valid_; }

  // -- streams ------------------------------------------------------------------

  /// Appends one or more complete frames carrying plaintext to out (one
  /// resize of out, no other allocation). An empty plaintext writes nothing.
  /// Errors only when the 64-bit counter is exhausted.
  caf::error encrypt_frames(byte_span plaintext, std::vector<uint8_t>& out);
  /// The same frames written to dst, which has room for
  /// frames_size(plaintext.size()) bytes (no allocation at all).
  caf::error encrypt_frames_to(byte_span plaintext, uint8_t* dst);

  /// Decrypts one frame body (`u64 nonce | ct+tag`, prefix stripped) into out
  /// (room for body.size() - 24 bytes); returns the plaintext length. The
  /// counter must exceed the last accepted one.
  expected<size_t> decrypt_frame(byte_span body, uint8_t* out);

  // -- dmsg session objects -------------------------------------------------------

  /// Appends `u16 len | u64 nonce | ct+tag` (one frame, never split).
  caf::error encrypt_object(byte_span plaintext, std::vector<uint8_t>& out);
  /// The same frame written to dst, which has room for
  /// object_size(plaintext.size()) bytes (nothing allocated or cleared).
  caf::error encrypt_object_to(byte_span plaintext, uint8_t* dst);

  /// Decrypts a whole object frame (prefix included, which must match the
  /// size). Counters may arrive in any order, but never twice.
  expected<std::vector<uint8_t>> decrypt_object(byte_span frame);

  // -- inspection -----------------------------------------------------------------

  /// Counter of the last frame sent (0 before the first).
  uint64_t send_counter() const noexcept { return send_n_; }
  /// Highest counter accepted by decrypt_frame (0 before the first).
  uint64_t recv_counter() const noexcept { return recv_n_; }
  const std::array<uint8_t, 32>& handshake_hash() const noexcept { return hash_; }
  const public_key& remote() const noexcept { return remote_; }

  /// Test hook: the keys (vector comparison only; never log them).
  const std::array<uint8_t, 32>& send_key_for_tests() const noexcept { return send_k_; }
  const std::array<uint8_t, 32>& recv_key_for_tests() const noexcept { return recv_k_; }

private:
  void wipe() noexcept;
  void encrypt_one(const uint8_t* pt, size_t len, uint8_t* frame) noexcept;

  std::array<uint8_t, 32> send_k_{};
  std::array<uint8_t, 32> recv_k_{};
  std::array<uint8_t, 32> hash_{};
  public_key remote_;
  uint64_t send_n_ = 0;
  uint64_t recv_n_ = 0;
  // Object replay window: bit i of window_ = counter (obj_high_ - i) seen.
  uint64_t obj_high_ = 0;
  std::array<uint64_t, object_replay_window / 64> window_{};
  bool valid_ = false;
};

/// A complete length-prefixed frame at the start of a buffer.
struct frame_view {
  byte_span body;  ///< the bytes after the u16 prefix
  size_t consumed; ///< prefix + body
};

/// Finds the first `u16 BE len | body` frame in buffered bytes: nullopt if
/// more bytes are needed; an error if len > max_body (drop the connection).
/// Used for handshake frames and dmsg objects.
expected<std::optional<frame_view>> next_frame(byte_span buffered, size_t max_body);

/// Appends `u16 BE len | body` (body.size() <= 65535, else an error).
caf::error append_frame(byte_span body, std::vector<uint8_t>& out);

/// Reassembles stream frames from arbitrary socket chunks and decrypts them
/// with a session. Buffers at most one partial frame (4096 bytes); complete
/// frames inside a chunk are decrypted straight from it. An oversized or
/// undersized length, a bad tag or a counter that does not increase is an
/// error; after it the reader stays failed and the connection should be
/// dropped.
class frame_reader {
public:
  /// Calls sink(byte_span plaintext) for every non-empty plaintext, in order.
  /// The span is valid only during the call.
  template <class Sink>
  caf::error feed(session& s, byte_span chunk, Sink&& sink);

  /// As feed(), but each frame is decrypted straight into memory the caller
  /// provides (no copy of the plaintext): room(n) returns room for at least
  /// n bytes (the frame's largest plaintext), then commit(k) reports the k
  /// bytes written there (k > 0; empty frames are skipped as in feed()).
  template <class Room, class Commit>
  caf::error feed_into(session& s, byte_span chunk, Room&& room, Commit&& commit);

  /// Bytes of an incomplete frame held back.
  size_t buffered() const noexcept { return have_; }
  /// Frames that decrypted to an empty plaintext (skipped, as the reference's
  /// reader skips them; a peer's keep-alive).
  uint64_t empty_frames() const noexcept { return empty_; }
  bool failed() const noexcept { return static_cast<bool>(err_); }
  const caf::error& error() const noexcept { return err_; }

private:
  caf::error fail(caf::error err) {
    err_ = err;
    have_ = 0;
    return err;
  }
  /// Checks a length prefix.
  caf::error check_len(size_t len);
  /// The framing shared by feed() and feed_into(): on_body(body) for every
  /// complete frame body (prefix stripped), in order.
  template <class OnBody>
  caf::error frames(byte_span chunk, OnBody&& on_body);

  /// An incomplete frame; only its first have_ bytes are ever read (not
  /// zeroed: an idle reader's pages stay untouched).
  std::array<uint8_t, max_frame_size> partial_;
  size_t have_ = 0;
  uint64_t empty_ = 0;
  caf::error err_;
};

template <class Sink>
caf::error frame_reader::feed(session& s, byte_span chunk, Sink&& sink) {
  // the plaintext of one frame lives on the stack while the sink runs (a
  // sink may feed another reader on the same thread: a dmsg stream inside
  // its session), so a reader holds no plaintext buffer of its own
  std::array<uint8_t, max_frame_plaintext> plain;
  return frames(chunk, [&](byte_span body) -> caf::error {
    auto n = s.decrypt_frame(body, plain.data());
    if (!n)
      return fail(n.error());
    if (*n > 0)
      sink(byte_span{plain.data(), *n});
    else
      ++empty_;
    return {};
  });
}

template <class Room, class Commit>
caf::error frame_reader::feed_into(session& s, byte_span chunk, Room&& room, Commit&& commit) {
  return frames(chunk, [&](byte_span body) -> caf::error {
    size_t most = body.size() - min_frame_body; // check_len: body >= min_frame_body
    auto n = s.decrypt_frame(body, room(most));
    if (!n)
      return fail(n.error());
    if (*n > 0)
      commit(*n);
    else
      ++empty_;
    return {};
  });
}

template <class OnBody>
caf::error frame_reader::frames(byte_span chunk, OnBody&& decrypt) {
  if (err_)
    return err_;
  // 1. Complete a frame held back from earlier chunks.
  if (have_ > 0) {
    if (have_ < frame_prefix_len) {
      size_t take = std::min(frame_prefix_len - have_, chunk.size());
      std::copy_n(chunk.begin(), take, partial_.begin() + have_);
      have_ += take;
      chunk = chunk.subspan(take);
      if (have_ < frame_prefix_len)
        return {};
    }
    size_t len = size_t{partial_[0]} << 8 | partial_[1];
    if (auto err = check_len(len))
      return err;
    size_t need = frame_prefix_len + len - have_;
    size_t take = std::min(need, chunk.size());
    std::copy_n(chunk.begin(), take, partial_.begin() + have_);
    have_ += take;
    chunk = chunk.subspan(take);
    if (take < need)
      return {};
    have_ = 0;
    if (auto err = decrypt(byte_span{partial_.data() + frame_prefix_len, len}))
      return err;
  }
  // 2. Frames wholly inside the chunk: no copy.
  while (chunk.size() >= frame_prefix_len) {
    size_t len = size_t{chunk[0]} << 8 | chunk[1];
    if (auto err = check_len(len))
      return err;
    if (chunk.size() < frame_prefix_len + len)
      break;
    if (auto err = decrypt(chunk.subspan(frame_prefix_len, len)))
      return err;
    chunk = chunk.subspan(frame_prefix_len + len);
  }
  // 3. Keep the tail.
  std::copy(chunk.begin(), chunk.end(), partial_.begin());
  have_ = chunk.size();
  return {};
}

} // namespace skywire::crypto::noise
