#include "actors/transport/handshake_io.hpp"

#include <algorithm>

#include "actors/transport/errors.hpp"
#include "runtime/crypto/hash.hpp"

namespace skywire::transport {

namespace wt = wire::transport;
namespace nz = crypto::noise;

namespace {

void append(byte_buffer& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

byte_span bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string out_of_turn(const char* after) {
  return std::string{"bytes out of turn after "} + after
         + " (the peer must wait for our answer)";
}

} // namespace

// ---- frame_exchange ----------------------------------------------------------------

frame_exchange::frame2_check frame_exchange::port_checker(uint16_t listening) {
  return [listening](const wt::frame2& f) -> std::string {
    if (f.dst.prt.value != listening)
      return "not listening on given port";
    return {};
  };
}

frame_exchange frame_exchange::initiator(initiator_config cfg) {
  frame_exchange x;
  x.initiator_ = true;
  x.st_ = state::wait_frame1;
  x.key_ = cfg.local;
  // as the reference's Frame2.Sign: SrcAddr.PK is always the signer's key
  x.local_ = address{cfg.local.pk, cfg.local_port};
  x.remote_ = cfg.remote;
  x.data_may_follow_ = cfg.data_may_follow;
  return x;
}

frame_exchange frame_exchange::responder(responder_config cfg) {
  frame_exchange x;
  x.initiator_ = false;
  x.st_ = state::wait_frame0;
  x.key_ = cfg.local;
  x.check_ = cfg.check ? std::move(cfg.check) : port_checker();
  x.require_own_key_ = cfg.require_own_key;
  if (cfg.nonce)
    x.nonce_ = *cfg.nonce;
  else
    crypto::random_bytes(x.nonce_);
  return x;
}

void frame_exchange::start(byte_buffer& out) {
  if (initiator_ && st_ == state::wait_frame1)
    append(out, wt::frame0_text);
}

const char* frame_exchange::waiting_for() const noexcept {
  switch (st_) {
    case state::wait_frame0: return "Frame0 (get_nonce)";
    case state::wait_frame1: return "Frame1 (the nonce)";
    case state::wait_frame2: return "Frame2 (the signed addresses)";
    case state::wait_frame3: return "Frame3 (the verdict)";
    case state::done: return "nothing";
    case state::failed: return "nothing (failed)";
  }
  return "?";
}

step frame_exchange::fail(caf::error err) {
  st_ = state::failed;
  err_ = std::move(err);
  line_.clear();
  return step::failed;
}

std::optional<std::string> frame_exchange::take_line(byte_span in, size_t limit,
                                                     const char* what, bool keep_rest) {
  auto nl = std::find(in.begin(), in.end(), uint8_t{'\n'});
  size_t upto = static_cast<size_t>(nl - in.begin()) + (nl == in.end() ? 0 : 1);
  if (line_.size() + upto > limit || (nl == in.end() && line_.size() + upto >= limit)) {
    fail(make_error(transport_errc::protocol,
                    std::string{what} + " exceeds " + std::to_string(limit)
                      + " bytes without ending (oversized or garbage)"));
    return std::nullopt;
  }
  line_.append(in.begin(), in.begin() + static_cast<ptrdiff_t>(upto));
  if (nl == in.end())
    return std::nullopt;
  if (upto < in.size()) {
    if (!keep_rest) {
      fail(make_error(transport_errc::protocol, out_of_turn(what)));
      return std::nullopt;
    }
    rest_.assign(in.begin() + static_cast<ptrdiff_t>(upto), in.end());
  }
  return std::exchange(line_, {});
}

step frame_exchange::feed(byte_span in, byte_buffer& out) {
  if (st_ == state::failed)
    return step::failed;
  if (st_ == state::done)
    return in.empty() ? step::done
                      : fail(make_error(transport_errc::protocol,
                                        out_of_turn("the transport handshake")));
  if (in.empty())
    return step::need_more;
  switch (st_) {
    case state::wait_frame0:
      return on_frame0(in, out);
    case state::wait_frame1:
      if (auto l = take_line(in, wt::max_handshake_frame, "Frame1"))
        return on_frame1(*l, out);
      break;
    case state::wait_frame2:
      if (auto l = take_line(in, wt::max_handshake_frame, "Frame2"))
        return on_frame2(*l, out);
      break;
    case state::wait_frame3:
      if (auto l = take_line(in, wt::max_frame3, "Frame3", data_may_follow_))
        return on_frame3(*l);
      break;
    case state::done:
    case state::failed:
      break;
  }
  return st_ == state::failed ? step::failed : step::need_more;
}

step frame_exchange::on_frame0(byte_span in, byte_buffer& out) {
  // checked byte by byte: a stranger speaking another protocol is dropped at
  // its first wrong byte
  const auto& want = wt::frame0_text;
  size_t have = line_.size();
  size_t take = std::min(in.size(), want.size() - have);
  for (size_t i = 0; i < take; ++i)
    if (in[i] != static_cast<uint8_t>(want[have + i]))
      return fail(make_error(transport_errc::protocol,
                             "Frame0: expected \"get_nonce\", got other bytes"));
  line_.append(in.begin(), in.begin() + static_cast<ptrdiff_t>(take));
  if (take < in.size())
    return fail(make_error(transport_errc::protocol, out_of_turn("Frame0")));
  if (line_.size() < want.size())
    return step::need_more;
  line_.clear();
  append(out, wt::encode_frame1(wt::frame1{nonce_}));
  st_ = state::wait_frame2;
  return step::need_more;
}

step frame_exchange::on_frame1(const std::string& line, byte_buffer& out) {
  auto f1 = wt::decode_frame1(line);
  if (!f1)
    return fail(make_error(transport_errc::protocol, describe(f1.error())));
  f2_ = wt::frame2{local_, remote_, f1->nonce, signature{}};
  f2_.sig = crypto::sign(bytes_of(wt::frame2_signed_bytes(f2_)), key_.sk);
  append(out, wt::encode_frame2(f2_));
  st_ = state::wait_frame3;
  return step::need_more;
}

step frame_exchange::on_frame2(const std::string& line, byte_buffer& out) {
  auto f2 = wt::decode_frame2(line);
  if (!f2)
    return fail(make_error(transport_errc::protocol, describe(f2.error())));
  // the reference's order: nonce, signature (no Frame3 for either), then the
  // checks whose text goes back in Frame3
  if (f2->nonce != nonce_)
    return fail(make_error(transport_errc::bad_signature,
                           "Frame2 carries another nonce than the one we sent"));
  auto signed_bytes = wt::frame2_signed_bytes(*f2);
  if (auto err = crypto::verify(bytes_of(signed_bytes), f2->src.pk, f2->sig))
    return fail(make_error(transport_errc::bad_signature,
                           "Frame2 signature by " + f2->src.pk.hex() + ": " + describe(err)));
  f2_ = *f2;
  std::string refusal;
  if (require_own_key_ && f2->dst.pk != key_.pk)
    refusal = "wrong destination public key: this visor is " + key_.pk.hex();
  else if (require_own_key_ && f2->src.pk == key_.pk)
    refusal = "a transport to oneself is refused";
  else
    refusal = check_(*f2);
  if (!refusal.empty()) {
    if (refusal.size() > wt::max_frame3_error)
      refusal.resize(wt::max_frame3_error);
    append(out, wt::encode_frame3(wt::frame3{false, refusal}));
    return fail(make_error(transport_errc::refused, "Frame3 OK=false sent: " + refusal));
  }
  append(out, wt::encode_frame3(wt::frame3{true, {}}));
  local_ = f2->dst;
  remote_ = f2->src;
  st_ = state::done;
  return step::done;
}

step frame_exchange::on_frame3(const std::string& line) {
  auto f3 = wt::decode_frame3(line);
  if (!f3)
    return fail(make_error(transport_errc::protocol, describe(f3.error())));
  if (!f3->ok)
    return fail(make_rejection(f3->err_msg));
  st_ = state::done;
  return step::done;
}

// ---- kk_exchange --------------------------------------------------------------------

expected<kk_exchange> kk_exchange::make(config cfg) {
  nz::handshake::config hc;
  hc.pattern = nz::pattern_kind::kk;
  hc.side = cfg.initiator ? nz::role::initiator : nz::role::responder;
  hc.local = cfg.local;
  hc.remote = cfg.remote;
  hc.ephemeral = cfg.ephemeral;
  auto hs = nz::handshake::make(std::move(hc));
  if (!hs)
    return make_error(transport_errc::invalid_argument, "Noise KK: " + describe(hs.error()));
  return kk_exchange{std::move(*hs), cfg.initiator};
}

step kk_exchange::fail(caf::error err) {
  err_ = std::move(err);
  buf_.clear();
  return step::failed;
}

void kk_exchange::start(byte_buffer& out) {
  if (!initiator_ || started_ || err_)
    return;
  started_ = true;
  if (auto err = hs_.write_frame(out))
    fail(make_error(transport_errc::noise_failed, "KK message 1: " + describe(err)));
}

const char* kk_exchange::waiting_for() const noexcept {
  if (done_)
    return "nothing";
  return initiator_ ? "Noise KK message 2" : "Noise KK message 1";
}

step kk_exchange::feed(byte_span in, byte_buffer& out) {
  if (err_)
    return step::failed;
  if (done_)
    return in.empty() ? step::done
                      : fail(make_error(transport_errc::protocol,
                                        out_of_turn("the Noise handshake")));
  const char* what = initiator_ ? "KK message 2" : "KK message 1";
  constexpr size_t frame_len = nz::frame_prefix_len + nz::kk_message_size;
  size_t take = std::min(in.size(), frame_len - buf_.size());
  buf_.insert(buf_.end(), in.begin(), in.begin() + static_cast<ptrdiff_t>(take));
  if (buf_.size() >= nz::frame_prefix_len) {
    size_t len = size_t{buf_[0]} << 8 | buf_[1];
    if (len != nz::kk_message_size)
      return fail(make_error(transport_errc::noise_failed,
                             std::string{what} + " frame of " + std::to_string(len)
                               + " bytes, expected 49"));
  }
  if (take < in.size())
    return fail(make_error(transport_errc::protocol, out_of_turn(what)));
  if (buf_.size() < frame_len)
    return step::need_more;
  if (auto err = hs_.read_message(byte_span{buf_}.subspan(nz::frame_prefix_len)))
    return fail(make_error(transport_errc::noise_failed, std::string{what} + ": "
                                                           + describe(err)));
  buf_.clear();
  if (!initiator_) {
    if (auto err = hs_.write_frame(out))
      return fail(make_error(transport_errc::noise_failed, "KK message 2: " + describe(err)));
  }
  if (!hs_.finished())
    return fail(make_error(transport_errc::noise_failed, "KK did not finish after two messages"));
  done_ = true;
  return step::done;
}

expected<crypto::noise::session> kk_exchange::take_session() {
  if (!done_)
    return make_error(transport_errc::noise_failed, "KK not finished");
  auto s = hs_.split();
  if (!s)
    return make_error(transport_errc::noise_failed, describe(s.error()));
  return std::move(*s);
}

} // namespace skywire::transport
