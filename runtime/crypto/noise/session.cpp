#include "runtime/crypto/noise/session.hpp"

#include <cstring>

#include <sodium.h>

#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/noise/primitives.hpp"

namespace skywire::crypto::noise {

namespace {

void put_u16(uint8_t* p, size_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void put_u64(uint8_t* p, uint64_t v) noexcept {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

uint64_t get_u64(const uint8_t* p) noexcept {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = v << 8 | p[i];
  return v;
}

} // namespace

session::session(const std::array<uint8_t, 32>& send_key, const std::array<uint8_t, 32>& recv_key,
                 const std::array<uint8_t, 32>& handshake_hash, const public_key& remote)
  : send_k_(send_key), recv_k_(recv_key), hash_(handshake_hash), remote_(remote), valid_(true) {
  ensure_sodium(); // selects libsodium's fastest ChaCha20 implementation
}

session::session(session&& other) noexcept
  : send_k_(other.send_k_),
    recv_k_(other.recv_k_),
    hash_(other.hash_),
    remote_(other.remote_),
    send_n_(other.send_n_),
    recv_n_(other.recv_n_),
    obj_high_(other.obj_high_),
    window_(other.window_),
    valid_(other.valid_) {
  other.wipe();
}

session& session::operator=(session&& other) noexcept {
  if (this != &other) {
    send_k_ = other.send_k_;
    recv_k_ = other.recv_k_;
    hash_ = other.hash_;
    remote_ = other.remote_;
    send_n_ = other.send_n_;
    recv_n_ = other.recv_n_;
    obj_high_ = other.obj_high_;
    window_ = other.window_;
    valid_ = other.valid_;
    other.wipe();
  }
  return *this;
}

session::~session() {
  wipe();
}

void session::wipe() noexcept {
  sodium_memzero(send_k_.data(), send_k_.size());
  sodium_memzero(recv_k_.data(), recv_k_.size());
  valid_ = false;
}

void session::encrypt_one(const uint8_t* pt, size_t len, uint8_t* frame) noexcept {
  ++send_n_;
  put_u16(frame, nonce_len + len + tag_len);
  put_u64(frame + frame_prefix_len, send_n_);
  chachapoly_cipher::encrypt(send_k_.data(), send_n_, {}, pt, len,
                             frame + frame_prefix_len + nonce_len);
}

namespace {

/// Grows out by wire bytes and seals into them; on an error out is as it was.
template <class Seal>
caf::error append_sealed(std::vector<uint8_t>& out, size_t wire, Seal&& seal) {
  size_t off = out.size();
  out.resize(off + wire);
  if (auto err = seal(out.data() + off)) {
    out.resize(off);
    return err;
  }
  return {};
}

} // namespace

caf::error session::encrypt_frames(byte_span plaintext, std::vector<uint8_t>& out) {
  return append_sealed(out, frames_size(plaintext.size()),
                       [&](uint8_t* dst) { return encrypt_frames_to(plaintext, dst); });
}

caf::error session::encrypt_frames_to(byte_span plaintext, uint8_t* dst) {
  if (!valid_)
    return make_error(crypto_errc::handshake_failed, "session has no keys");
  size_t frames = (plaintext.size() + max_frame_plaintext - 1) / max_frame_plaintext;
  if (UINT64_MAX - send_n_ <= frames)
    return make_error(crypto_errc::nonce_reuse, "send counter exhausted");
  while (!plaintext.empty()) {
    size_t len = std::min(plaintext.size(), max_frame_plaintext);
    encrypt_one(plaintext.data(), len, dst);
    dst += frame_prefix_len + min_frame_body + len;
    plaintext = plaintext.subspan(len);
  }
  return {};
}

expected<size_t> session::decrypt_frame(byte_span body, uint8_t* out) {
  if (!valid_)
    return make_error(crypto_errc::handshake_failed, "session has no keys");
  if (body.size() < min_frame_body)
    return make_error(crypto_errc::frame_truncated, "frame shorter than nonce and tag");
  if (body.size() > max_frame_body)
    return make_error(crypto_errc::frame_too_large, "frame exceeds 4094 bytes");
  uint64_t n = get_u64(body.data());
  if (n <= recv_n_)
    return make_error(crypto_errc::nonce_reuse, "frame counter did not increase");
  size_t ct_len = body.size() - nonce_len;
  if (!chachapoly_cipher::decrypt(recv_k_.data(), n, {}, body.data() + nonce_len, ct_len, out))
    return make_error(crypto_errc::decrypt_failed, "frame authentication failed");
  recv_n_ = n;
  return ct_len - tag_len;
}

caf::error session::encrypt_object(byte_span plaintext, std::vector<uint8_t>& out) {
  // an object too large is refused by encrypt_object_to before it writes
  size_t wire = plaintext.size() <= max_object_plaintext ? object_size(plaintext.size()) : 0;
  return append_sealed(out, wire,
                       [&](uint8_t* dst) { return encrypt_object_to(plaintext, dst); });
}

caf::error session::encrypt_object_to(byte_span plaintext, uint8_t* dst) {
  if (!valid_)
    return make_error(crypto_errc::handshake_failed, "session has no keys");
  if (plaintext.size() > max_object_plaintext)
    return make_error(crypto_errc::frame_too_large, "object exceeds 65511 bytes");
  if (send_n_ == UINT64_MAX - 1)
    return make_error(crypto_errc::nonce_reuse, "send counter exhausted");
  encrypt_one(plaintext.data(), plaintext.size(), dst);
  return {};
}

expected<std::vector<uint8_t>> session::decrypt_object(byte_span frame) {
  if (!valid_)
    return make_error(crypto_errc::handshake_failed, "session has no keys");
  if (frame.size() < frame_prefix_len + min_frame_body)
    return make_error(crypto_errc::frame_truncated, "object shorter than prefix, nonce and tag");
  size_t len = size_t{frame[0]} << 8 | frame[1];
  if (len != frame.size() - frame_prefix_len)
    return make_error(crypto_errc::frame_truncated, "object length prefix does not match");
  auto body = frame.subspan(frame_prefix_len);
  uint64_t n = get_u64(body.data());
  // The sender's first counter is 1; 0 is never valid.
  if (n == 0)
    return make_error(crypto_errc::nonce_reuse, "object counter 0");
  bool newer = n > obj_high_;
  uint64_t age = newer ? 0 : obj_high_ - n;
  if (!newer) {
    if (age >= object_replay_window)
      return make_error(crypto_errc::nonce_reuse, "object counter outside the replay window");
    if (window_[age / 64] >> (age % 64) & 1)
      return make_error(crypto_errc::nonce_reuse, "object counter replayed");
  }
  std::vector<uint8_t> out(body.size() - min_frame_body);
  if (!chachapoly_cipher::decrypt(recv_k_.data(), n, {}, body.data() + nonce_len,
                                  body.size() - nonce_len, out.data()))
    return make_error(crypto_errc::decrypt_failed, "object authentication failed");
  if (newer) {
    uint64_t shift = n - obj_high_;
    constexpr size_t words = object_replay_window / 64;
    if (shift >= object_replay_window) {
      window_.fill(0);
    } else {
      size_t ws = shift / 64;
      unsigned bs = shift % 64;
      for (size_t i = words; i-- > 0;) {
        uint64_t v = 0;
        if (i >= ws) {
          v = window_[i - ws] << bs;
          if (bs && i >= ws + 1)
            v |= window_[i - ws - 1] >> (64 - bs);
        }
        window_[i] = v;
      }
    }
    obj_high_ = n;
    age = 0;
  }
  window_[age / 64] |= uint64_t{1} << (age % 64);
  return out;
}

expected<std::optional<frame_view>> next_frame(byte_span buffered, size_t max_body) {
  if (buffered.size() < frame_prefix_len)
    return std::optional<frame_view>{};
  size_t len = size_t{buffered[0]} << 8 | buffered[1];
  if (len > max_body)
    return make_error(crypto_errc::frame_too_large,
                      "frame length " + std::to_string(len) + " exceeds "
                        + std::to_string(max_body));
  if (buffered.size() < frame_prefix_len + len)
    return std::optional<frame_view>{};
  return std::optional<frame_view>{
    frame_view{buffered.subspan(frame_prefix_len, len), frame_prefix_len + len}};
}

caf::error append_frame(byte_span body, std::vector<uint8_t>& out) {
  if (body.size() > 0xffff)
    return make_error(crypto_errc::frame_too_large, "frame body exceeds 65535 bytes");
  size_t off = out.size();
  out.resize(off + frame_prefix_len + body.size());
  put_u16(out.data() + off, body.size());
  if (!body.empty())
    std::memcpy(out.data() + off + frame_prefix_len, body.data(), body.size());
  return {};
}

caf::error frame_reader::check_len(size_t len) {
  if (len > max_frame_body)
    return fail(make_error(crypto_errc::frame_too_large,
                           "frame length " + std::to_string(len) + " exceeds 4094"));
  if (len < min_frame_body)
    return fail(make_error(crypto_errc::frame_truncated,
                           "frame length " + std::to_string(len) + " below 24"));
  return {};
}

} // namespace skywire::crypto::noise
