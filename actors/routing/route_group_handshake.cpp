// route_group_core: the HandshakePacket exchange, the Noise KK handshake
// through the route, and their resends and timeouts (the class is declared
// in route_group_core.hpp; the data path is in route_group_core.cpp).
#include "actors/routing/route_group_core.hpp"

#include <array>

#include "actors/routing/route_group_errors.hpp"

namespace skywire::routing {

using wire::routing::inner_frame;
using wire::routing::inner_kind;
using wire::routing::packet_type;
using wire::routing::packet_view;
namespace noise = crypto::noise;

void route_group_core::send_handshake_packet() {
  uint8_t b = wire::routing::encode_handshake_byte(
    cfg_.side == role::initiator ? cfg_.offer : agreed_);
  send_control(packet_type::handshake, byte_span{&b, 1});
}

void route_group_core::start() {
  if (started_)
    return;
  started_ = true;
  if (cfg_.side == role::initiator) {
    send_handshake_packet();
    resend_timer_ = after(cfg_.t.handshake_resend, &route_group_core::on_resend);
  }
  hs_timer_ = after(cfg_.t.handshake_wait, &route_group_core::on_handshake_timeout);
}

void route_group_core::on_resend() {
  // Lost handshake packets are sent again within the waits. The reference
  // ignores a repeated HandshakePacket (sync.Once), so this is safe with a Go
  // peer; a KK message is repeated only between two of ours (extensions
  // agreed), since a Go responder would read a repeat as data.
  resend_timer_ = 0;
  if (phase_ == phase::handshake && cfg_.side == role::initiator && !peer_hs_seen_) {
    send_handshake_packet();
  } else if (phase_ == phase::noise && cfg_.side == role::initiator && agreed_.any()
             && !sent_msg_.empty()) {
    send_control(packet_type::data, {sent_msg_.data(), sent_msg_.size()});
  } else if (phase_ == phase::established && cfg_.side == role::initiator && agreed_.any()
             && !heard_inner_ && now() < confirm_until_) {
    send_confirmation();
  } else if (phase_ == phase::closing && close_sent_ && agreed_.any()) {
    send_control(packet_type::close, std::array<uint8_t, 1>{0}); // until the peer's answers
  } else {
    return;
  }
  resend_timer_ = after(cfg_.t.handshake_resend, &route_group_core::on_resend);
}

void route_group_core::send_confirmation() {
  inner_frame f;
  f.kind = inner_kind::keep_alive;
  send_inner_control(f);
}

void route_group_core::on_handshake_timeout() {
  hs_timer_ = 0;
  if (phase_ != phase::handshake)
    return;
  fail(make_error(route_group_errc::handshake_timeout,
                  std::string{"no HandshakePacket from the "}
                    + (cfg_.side == role::initiator ? "responder" : "initiator") + " within "
                    + ms_text(cfg_.t.handshake_wait)));
}

void route_group_core::on_noise_timeout() {
  hs_timer_ = 0;
  if (phase_ != phase::noise)
    return;
  fail(make_error(route_group_errc::handshake_timeout,
                  "the Noise KK handshake through the route did not finish within "
                    + ms_text(cfg_.t.noise_wait)));
}

void route_group_core::on_handshake_packet(const packet_view& p) {
  if (phase_ != phase::handshake || peer_hs_seen_) {
    // a repeat: never acted on twice; a responder still waiting for the KK
    // message answers again (its answer may have been lost)
    ++stats_.ignored;
    if (cfg_.side == role::responder && phase_ == phase::noise)
      send_handshake_packet();
    return;
  }
  if (p.payload.size() != 1)
    return fail(make_error(route_group_errc::protocol, "HandshakePacket payload is not 1 byte"));
  peer_hs_seen_ = true;
  auto theirs = wire::routing::decode_handshake_byte(p.payload[0]);
  if (!theirs)
    return fail(make_error(route_group_errc::plaintext_refused,
                           "the peer's HandshakePacket says it does not support encryption"));
  if (cfg_.side == role::responder) {
    agreed_ = wire::routing::agree(cfg_.offer, *theirs);
    send_handshake_packet();
  } else {
    // the responder answers with what it accepted of our offer
    auto a = wire::routing::agree(cfg_.offer, *theirs);
    if (!(a == *theirs))
      return fail(make_error(route_group_errc::protocol,
                             "the responder accepted extensions we did not offer"));
    agreed_ = a;
  }
  cancel(hs_timer_);
  begin_noise();
}

void route_group_core::begin_noise() {
  phase_ = phase::noise;
  noise::handshake::config hc;
  hc.pattern = noise::pattern_kind::kk;
  hc.side = cfg_.side == role::initiator ? noise::role::initiator : noise::role::responder;
  hc.local = cfg_.local;
  hc.remote = cfg_.remote;
  hc.ephemeral = cfg_.ephemeral;
  auto hs = noise::handshake::make(std::move(hc));
  if (!hs)
    return fail(make_error(route_group_errc::invalid_argument, describe(hs.error())));
  hs_.emplace(std::move(*hs));
  hs_timer_ = after(cfg_.t.noise_wait, &route_group_core::on_noise_timeout);
  if (cfg_.side == role::initiator) {
    byte_buffer msg;
    if (auto err = hs_->write_frame(msg))
      return fail(make_error(route_group_errc::noise_failed, describe(err)));
    if (send_raw(packet_type::data, {msg.data(), msg.size()}) != send_status::ok)
      return fail(make_error(route_group_errc::path_failed,
                             "the router did not take the first Noise message"));
    sent_msg_ = std::move(msg);
    if (agreed_.any()) {
      cancel(resend_timer_);
      resend_timer_ = after(cfg_.t.handshake_resend, &route_group_core::on_resend);
    }
  }
}

void route_group_core::noise_message(byte_span payload) {
  auto fr = noise::next_frame(payload, noise::max_frame_body);
  if (!fr || !*fr || (*fr)->consumed != payload.size())
    return fail(make_error(route_group_errc::noise_failed,
                           "a Noise handshake DataPacket is not exactly one frame"));
  if (auto err = hs_->read_message((*fr)->body))
    return fail(make_error(route_group_errc::noise_failed, describe(err)));
  if (cfg_.side == role::responder) {
    byte_buffer msg;
    if (auto err = hs_->write_frame(msg))
      return fail(make_error(route_group_errc::noise_failed, describe(err)));
    if (send_raw(packet_type::data, {msg.data(), msg.size()}) != send_status::ok)
      return fail(make_error(route_group_errc::path_failed,
                             "the router did not take the second Noise message"));
    sent_msg_ = std::move(msg);
  }
  seen_msg_.assign(payload.begin(), payload.end());
  if (!hs_->finished())
    return fail(make_error(route_group_errc::noise_failed, "KK did not finish after 2 messages"));
  auto s = hs_->split();
  if (!s)
    return fail(make_error(route_group_errc::noise_failed, describe(s.error())));
  ns_ = std::move(*s);
  hs_.reset();
  established();
}

void route_group_core::established() {
  cancel(hs_timer_);
  cancel(resend_timer_);
  phase_ = phase::established;
  if (agreed_.reliable) {
    // the window both ends assume until the first ack: what a receiver of
    // our configuration offers when its consumer has taken everything
    auto initial = full_window();
    snd_edge_ = next_seq_ + initial;
    adv_edge_ = rcv_next_ + initial;
  }
  // between two of ours the responder sends nothing until the initiator is
  // heard (its KK answer may have been lost); the initiator says so at once
  confirmed_ = cfg_.side == role::initiator || !agreed_.any();
  if (cfg_.side == role::initiator && agreed_.any()) {
    confirm_until_ = now() + cfg_.t.noise_wait;
    send_confirmation();
    resend_timer_ = after(cfg_.t.handshake_resend, &route_group_core::on_resend);
  } else if (!agreed_.any()) {
    sent_msg_.clear();
    seen_msg_.clear();
  }
  last_ack_at_ = now();
  ka_timer_ = after(cfg_.t.keep_alive, &route_group_core::on_keep_alive_tick);
  ping_timer_ = after(cfg_.t.ping, &route_group_core::on_ping_tick);
  if (on_event_)
    on_event_(event::established, {});
}

} // namespace skywire::routing
