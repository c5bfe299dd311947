#include "runtime/crypto/noise/handshake.hpp"

namespace skywire::crypto::noise {

namespace {

caf::error to_error(handshake_status st) {
  switch (st) {
    case handshake_status::ok: return {};
    case handshake_status::not_my_turn:
      return make_error(crypto_errc::handshake_failed, "handshake message out of turn");
    case handshake_status::missing_key:
      return make_error(crypto_errc::handshake_failed, "handshake key missing");
    case handshake_status::bad_message:
      return make_error(crypto_errc::frame_truncated, "malformed handshake message");
    case handshake_status::bad_key:
      return make_error(crypto_errc::invalid_public_key, "invalid handshake public key");
    case handshake_status::decrypt_failed:
      return make_error(crypto_errc::decrypt_failed, "handshake authentication failed");
    case handshake_status::failed:
      return make_error(crypto_errc::handshake_failed, "handshake already failed");
  }
  return make_error(crypto_errc::handshake_failed);
}

} // namespace

expected<handshake> handshake::make(config cfg) {
  if (!is_valid(cfg.local.sk))
    return make_error(crypto_errc::invalid_secret_key, "noise: invalid static secret key");
  bool initiator = cfg.side == role::initiator;
  bool needs_remote = cfg.pattern == pattern_kind::kk || initiator;
  if (needs_remote && !is_valid(cfg.remote))
    return make_error(crypto_errc::invalid_public_key, "noise: invalid remote static key");
  if (cfg.ephemeral && !is_valid(cfg.ephemeral->sk))
    return make_error(crypto_errc::invalid_secret_key, "noise: invalid ephemeral secret key");
  handshake hs;
  hs.kind_ = cfg.pattern;
  hs.side_ = cfg.side;
  skywire_state::config sc;
  sc.pattern = cfg.pattern == pattern_kind::kk ? &patterns::KK : &patterns::XK;
  sc.initiator = initiator;
  sc.s = std::move(cfg.local);
  sc.e = std::move(cfg.ephemeral);
  if (needs_remote)
    sc.rs = cfg.remote;
  if (auto st = hs.st_.initialize(std::move(sc)); st != handshake_status::ok)
    return to_error(st);
  return hs;
}

size_t handshake::expected_size() const noexcept {
  return kind_ == pattern_kind::kk ? kk_message_size : xk_message_sizes[st_.message_index() % 3];
}

expected<std::vector<uint8_t>> handshake::write_message() {
  std::vector<uint8_t> out;
  out.reserve(80);
  if (auto st = st_.write_message({}, out); st != handshake_status::ok)
    return to_error(st);
  return out;
}

caf::error handshake::write_frame(std::vector<uint8_t>& out) {
  size_t off = out.size();
  out.resize(off + frame_prefix_len);
  if (auto st = st_.write_message({}, out); st != handshake_status::ok) {
    out.resize(off);
    return to_error(st);
  }
  size_t len = out.size() - off - frame_prefix_len;
  out[off] = static_cast<uint8_t>(len >> 8);
  out[off + 1] = static_cast<uint8_t>(len);
  return {};
}

caf::error handshake::read_message(byte_span msg) {
  if (st_.failed())
    return to_error(handshake_status::failed);
  if (!st_.finished() && !st_.my_turn() && msg.size() != expected_size()) {
    // Hostile or foreign input: the exact sizes are fixed by the suite.
    std::vector<uint8_t> none;
    (void) st_.read_message({}, none); // poisons the state consistently
    return make_error(crypto_errc::frame_truncated,
                      "handshake message of " + std::to_string(msg.size()) + " bytes, expected "
                        + std::to_string(expected_size()));
  }
  std::vector<uint8_t> payload;
  if (auto st = st_.read_message(msg, payload); st != handshake_status::ok)
    return to_error(st);
  return {};
}

public_key handshake::remote_static() const noexcept {
  return st_.remote_static() ? *st_.remote_static() : public_key{};
}

std::pair<std::array<uint8_t, 32>, std::array<uint8_t, 32>>
handshake::split_keys_for_tests() const {
  auto [c1, c2] = st_.split();
  return {c1.key(), c2.key()};
}

expected<session> handshake::split() const {
  if (!st_.finished() || st_.failed())
    return make_error(crypto_errc::handshake_failed, "split before the handshake finished");
  auto [c1, c2] = st_.split();
  size_t last = (kind_ == pattern_kind::kk ? 2 : 3) - 1;
  bool wrote_last = handshake_pattern::written_by_initiator(last) == st_.is_initiator();
  // dmsg/pkg/noise: the writer of the final message takes (dec=cs1, enc=cs2).
  const auto& send = wrote_last ? c2.key() : c1.key();
  const auto& recv = wrote_last ? c1.key() : c2.key();
  return session{send, recv, st_.h(), remote_static()};
}

} // namespace skywire::crypto::noise
