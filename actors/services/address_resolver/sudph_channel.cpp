#include "actors/services/address_resolver/sudph_channel.hpp"

#include <algorithm>

#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::services::address_resolver {

namespace wt = wire::transport;

namespace {

uint32_t kcp_ms(int64_t now_ms) noexcept {
  return static_cast<uint32_t>(static_cast<uint64_t>(now_ms));
}

wire::kcp::byte_span bytes_of(std::string_view text) noexcept {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

} // namespace

const char* to_string(channel_state s) noexcept {
  switch (s) {
  case channel_state::await_frame0: return "await_frame0";
  case channel_state::await_frame2: return "await_frame2";
  case channel_state::await_bind: return "await_bind";
  case channel_state::bound: return "bound";
  case channel_state::closed: return "closed";
  }
  return "unknown";
}

sudph_channel::sudph_channel(uint32_t conv, const channel_settings& s, output_fn out,
                             int64_t now_ms)
  : cfg_(&s), kcp_(conv, s.kcp, std::move(out)), created_ms_(now_ms), phase_ms_(now_ms),
    activity_ms_(now_ms) {
}

caf::error sudph_channel::input(wire::kcp::byte_span datagram, int64_t now_ms,
                                std::vector<channel_event>& events) {
  auto err = kcp_.input(datagram, kcp_ms(now_ms));
  if (err && err.category() != io::kcp::kcp_category())
    return err; // not applied at all
  activity_ms_ = now_ms;
  // One message at a time, as kcp-go's UDPSession.Read returns them.
  while (state_ != channel_state::closed) {
    auto size = kcp_.peek_size();
    if (!size)
      break;
    if (*size > cfg_->max_message) {
      fail("a message of " + std::to_string(*size) + " bytes (at most "
             + std::to_string(cfg_->max_message) + ")",
           events);
      break;
    }
    scratch_.resize(*size);
    auto n = kcp_.recv_message(scratch_);
    if (!n)
      break;
    on_message({reinterpret_cast<const char*>(scratch_.data()), *n}, now_ms, events);
  }
  service(now_ms);
  return err;
}

void sudph_channel::on_message(std::string_view msg, int64_t now_ms,
                               std::vector<channel_event>& events) {
  switch (state_) {
  case channel_state::await_frame0:
    if (auto err = wt::check_frame0(bytes_of(msg))) {
      fail("bad handshake message (expected get_nonce)", events);
      return;
    }
    crypto::random_bytes(nonce_);
    queue(wt::encode_frame1({nonce_}));
    state_ = channel_state::await_frame2;
    return;
  case channel_state::await_frame2: {
    // json.Decoder on the Go side reads across messages up to the newline
    if (frame2_.size() + msg.size() > wt::max_handshake_frame) {
      fail("Frame2 longer than " + std::to_string(wt::max_handshake_frame) + " bytes", events);
      return;
    }
    frame2_.append(msg);
    auto nl = frame2_.find('\n');
    if (nl == std::string::npos)
      return;
    if (nl + 1 != frame2_.size()) {
      fail("bytes after Frame2 before Frame3", events);
      return;
    }
    on_frame2(frame2_, now_ms, events);
    frame2_.clear();
    frame2_.shrink_to_fit();
    return;
  }
  case channel_state::await_bind: {
    auto la = wt::decode_local_addresses(msg);
    if (!la) {
      fail("bad bind message: " + describe(la.error()), events);
      return;
    }
    bind_ = std::move(*la);
    state_ = channel_state::bound;
    phase_ms_ = now_ms;
    events.push_back({channel_event::kind::bound, {}});
    return;
  }
  case channel_state::bound: {
    auto m = wt::decode_ar_channel_message(msg);
    if (!m) {
      events.push_back({channel_event::kind::ignored, describe(m.error())});
      return;
    }
    switch (m->k) {
    case wt::ar_channel_message::kind::heartbeat:
      events.push_back({channel_event::kind::heartbeat, {}});
      return;
    case wt::ar_channel_message::kind::unbind:
      state_ = channel_state::closed;
      events.push_back({channel_event::kind::unbind, {}});
      return;
    case wt::ar_channel_message::kind::bind:
      bind_ = std::move(m->bind);
      events.push_back({channel_event::kind::bound, {}});
      return;
    }
    return;
  }
  case channel_state::closed: return;
  }
}

void sudph_channel::on_frame2(std::string_view line, int64_t now_ms,
                              std::vector<channel_event>& events) {
  auto refuse = [&](std::string why) {
    // The reference closes without a word on a bad signature; a Frame3 with
    // the reason costs nothing and tells an honest peer what went wrong.
    queue(wt::encode_frame3({false, why}));
    fail("handshake refused: " + why, events);
  };
  auto f2 = wt::decode_frame2(line);
  if (!f2)
    return refuse("bad Frame2: " + describe(f2.error()));
  if (wt::check_frame2_nonce(*f2, nonce_))
    return refuse("unexpected nonce");
  if (f2->src.pk.is_null())
    return refuse("null SrcAddr public key");
  // The resolver accepts any DstAddr (the visor sends the null key and port
  // 0); it needs only the signed key.
  auto signed_bytes = wt::frame2_signed_bytes(*f2);
  if (crypto::verify(bytes_of(signed_bytes), f2->src.pk, f2->sig))
    return refuse("the signature does not verify for SrcAddr");
  pk_ = f2->src.pk;
  queue(wt::encode_frame3({true, {}}));
  state_ = channel_state::await_bind;
  phase_ms_ = now_ms;
  events.push_back({channel_event::kind::handshake, {}});
}

void sudph_channel::fail(std::string why, std::vector<channel_event>& events) {
  state_ = channel_state::closed;
  events.push_back({channel_event::kind::failed, std::move(why)});
}

void sudph_channel::queue(std::string_view text) {
  // The queue holds 16 messages and the handshake queues one at a time:
  // this cannot block (a dead link refuses; the channel is dropped then).
  (void)kcp_.send(bytes_of(text));
}

io::kcp::send_status sudph_channel::send(std::string_view message, int64_t now_ms) {
  if (state_ != channel_state::bound)
    return io::kcp::send_status::dead_link;
  // One message must go whole or not at all (the peer reads one per Read).
  auto segments = (message.size() + kcp_.mss() - 1) / kcp_.mss();
  auto free_segments = kcp_.config().send_queue > 0 ? kcp_.config().send_queue
                                                    : kcp_.config().snd_wnd;
  auto st = kcp_.state();
  if (st.snd_queue + segments > free_segments)
    return io::kcp::send_status::would_block;
  auto r = kcp_.send(bytes_of(message));
  service(now_ms);
  return r.status;
}

void sudph_channel::update(int64_t now_ms) {
  kcp_.update(kcp_ms(now_ms));
}

void sudph_channel::service(int64_t now_ms) {
  auto ms = kcp_ms(now_ms);
  if (static_cast<int32_t>(kcp_.check(ms) - ms) <= 0)
    kcp_.flush(ms);
  if (kcp_.waiting() == 0 && kcp_.readable() == 0)
    kcp_.trim();
}

std::optional<int64_t> sudph_channel::next_update(int64_t now_ms) const {
  if (kcp_.waiting() == 0)
    return std::nullopt;
  auto ms = kcp_ms(now_ms);
  auto due = static_cast<int32_t>(kcp_.check(ms) - ms);
  return now_ms + std::max<int32_t>(due, 0);
}

int64_t sudph_channel::deadline() const noexcept {
  switch (state_) {
  case channel_state::await_frame0:
  case channel_state::await_frame2: return created_ms_ + cfg_->handshake_timeout.count();
  case channel_state::await_bind: return phase_ms_ + cfg_->bind_timeout.count();
  case channel_state::bound: return activity_ms_ + cfg_->idle_timeout.count();
  case channel_state::closed: return 0;
  }
  return 0;
}

} // namespace skywire::services::address_resolver
