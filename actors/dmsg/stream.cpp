#include "actors/dmsg/stream.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/dmsg/discovery_client.hpp"
#include "actors/dmsg/errors.hpp"

namespace skywire::dmsg {

namespace yx = wire::yamux;
namespace nz = crypto::noise;
namespace wd = wire::dmsg;

namespace {

/// Largest yamux data frame we send (peers bound bodies by their window).
constexpr size_t max_data_frame = 64 * 1024;

void put_header(uint8_t* out, yx::frame_type t, uint16_t flags, uint32_t id, uint32_t len) {
  yx::header h;
  h.type = t;
  h.flags = flags;
  h.stream_id = id;
  h.length = len;
  auto b = yx::encode(h);
  std::copy(b.begin(), b.end(), out);
}

caf::error error_of_code(uint16_t code) {
  static constexpr uint16_t known[] = {100, 101, 102, 103, 200, 201, 202, 203, 300, 301, 302,
                                       303, 304, 305, 306, 307, 350, 351, 352, 370, 400, 401};
  for (auto k : known)
    if (k == code)
      return make_error(static_cast<dmsg_errc>(code), "rejected by the remote");
  return make_error(dmsg_errc::resp_not_accepted, "error code " + std::to_string(code));
}

} // namespace

stream_actor::stream_actor(caf::actor_config& cfg, stream_params params)
  : caf::event_based_actor(cfg), p_(std::move(params)) {
  // Owners answer nothing on the data path; drop stray replies quietly.
  set_default_handler(caf::drop);
  // Owners that die take their streams with them.
  set_down_handler([this](caf::down_msg& dm) {
    if (owner_ && dm.source == owner_.address()) {
      owner_ = nullptr;
      closed_notified_ = true;
      send_rst();
      finish(make_error(client_errc::closed, "owner terminated"));
    }
  });
}

caf::behavior stream_actor::make_behavior() {
  if (!p_.initiator) {
    // Accept the stream at once (yamux ACK), as the reference does.
    send_header(yx::frame_type::window_update, yx::flag::ack, 0);
  }
  delayed_send(this, p_.client->handshake_timeout, hstimeout_atom::value);
  return {
    [this](sdial_atom, skywire::address local, skywire::address remote) {
      owner_ = caf::actor_cast<caf::actor>(current_sender());
      if (owner_)
        monitor(owner_);
      dial_rp_ = make_response_promise();
      dial_pending_ = true;
      start_dial(local, remote);
    },
    [this](yframe_atom, uint16_t flags, byte_buffer& body) { on_data(flags, body); },
    [this](ywin_atom, uint16_t flags, uint32_t delta) { on_window(flags, delta); },
    [this](slost_atom, caf::error& err) {
      fin_sent_ = true; // nothing can be sent any more
      if (phase_ == phase::handshake && dial_pending_)
        fail_dial(err);
      finish(std::move(err));
    },
    [this](api::write_atom, byte_buffer& bytes) {
      auto sender = caf::actor_cast<caf::actor>(current_sender());
      if (phase_ != phase::established) {
        if (sender)
          send(sender, api::closed_atom::value,
                    make_error(client_errc::closed, "write on a stream that is not open"));
        return;
      }
      write_plain(bytes);
      if (!bytes.empty())
        acks_.push_back({cipher_queued_, bytes.size(), sender});
      flush();
    },
    [this](api::consumed_atom, uint32_t n) {
      fc_.consumed(n);
      maybe_update_window();
    },
    [this](api::close_atom) {
      if (phase_ == phase::handshake) {
        send_rst();
        if (dial_pending_)
          fail_dial(make_error(client_errc::closed, "closed during handshake"));
        finish(caf::error{});
        return;
      }
      begin_close();
    },
    [this](api::set_owner_atom, caf::actor& next) {
      if (owner_)
        demonitor(owner_);
      owner_ = std::move(next);
      awaiting_owner_ = false;
      if (owner_) {
        monitor(owner_);
        for (auto& b : held_)
          send(owner_, api::data_atom::value, std::move(b));
        held_.clear();
      }
    },
    [this](hstimeout_atom) {
      if (phase_ != phase::handshake)
        return;
      send_rst();
      auto err = make_error(client_errc::timeout, "stream handshake");
      if (dial_pending_)
        fail_dial(err);
      finish(std::move(err));
    },
    [this](tick_atom) {
      // Close deadline: the peer did not open its window in time.
      if (phase_ == phase::closing) {
        send_rst();
        finish(make_error(client_errc::timeout, "close: pending data not sent"));
      }
    },
  };
}

// -- handshake ---------------------------------------------------------------------------

void stream_actor::start_dial(skywire::address local, skywire::address remote) {
  local_ = local;
  remote_ = remote;
  ephemeral_ = local.prt.value >= first_ephemeral_port;
  nz::handshake::config hc;
  hc.pattern = nz::pattern_kind::kk;
  hc.side = nz::role::initiator;
  hc.local = crypto::keypair{p_.client->pk, p_.client->sk};
  hc.remote = remote.pk;
  auto hs = nz::handshake::make(std::move(hc));
  if (!hs) {
    fail_dial(make_error(client_errc::invalid_argument, describe(hs.error())));
    return finish(caf::error{});
  }
  hs_.emplace(std::move(*hs));
  auto msg1 = hs_->write_message();
  if (!msg1) {
    fail_dial(make_error(client_errc::protocol, describe(msg1.error())));
    return finish(caf::error{});
  }
  wd::stream_request req;
  req.timestamp = unix_now_ns();
  req.src = local;
  req.dst = remote;
  req.noise_msg = std::move(*msg1);
  auto sreq = make_stream_request(req, p_.client->sk);
  req_hash_ = sreq.hash;
  // SYN window update + the sealed request in one write.
  byte_buffer buf(yx::header_size * 2);
  put_header(buf.data(), yx::frame_type::window_update, yx::flag::syn, p_.id, 0);
  if (auto err = p_.link->seal(sreq.bytes, buf)) {
    fail_dial(err);
    return finish(caf::error{});
  }
  auto body_len = buf.size() - 2 * yx::header_size;
  fc_.take(body_len);
  put_header(buf.data() + yx::header_size, yx::frame_type::data, 0, p_.id,
             static_cast<uint32_t>(body_len));
  if (!p_.link->write(std::move(buf))) {
    fail_dial(make_error(dmsg_errc::session_closed, "write failed"));
    return finish(caf::error{});
  }
}

void stream_actor::on_handshake_bytes(byte_span body) {
  auto done = objr_.feed(body);
  if (!done) {
    send_rst();
    if (dial_pending_)
      fail_dial(done.error());
    return finish(done.error());
  }
  if (!*done)
    return;
  auto plain = p_.link->open(objr_);
  if (!plain) {
    send_rst();
    if (dial_pending_)
      fail_dial(plain.error());
    return finish(plain.error());
  }
  if (p_.initiator)
    on_response(std::move(*plain));
  else
    on_request(std::move(*plain));
}

void stream_actor::on_response(byte_buffer plain) {
  auto resp = verify_stream_response(plain, req_hash_, remote_.pk, false);
  if (!resp) {
    send_rst();
    fail_dial(resp.error());
    return finish(caf::error{});
  }
  if (!resp->resp.accepted) {
    send_fin();
    fail_dial(error_of_code(resp->resp.err_code));
    return finish(caf::error{});
  }
  if (auto err = hs_->read_message(resp->resp.noise_msg)) {
    send_rst();
    fail_dial(make_error(client_errc::protocol, "noise KK message 2: " + describe(err)));
    return finish(caf::error{});
  }
  auto s = hs_->split();
  if (!s) {
    send_rst();
    fail_dial(make_error(client_errc::protocol, describe(s.error())));
    return finish(caf::error{});
  }
  ns_ = std::move(*s);
  hs_.reset();
  dial_pending_ = false;
  dial_rp_.deliver(api::stream_opened{caf::actor_cast<caf::actor>(this), local_, remote_});
  established(std::move(objr_.leftover()));
}

void stream_actor::on_request(byte_buffer plain) {
  request_checks checks;
  checks.expect_dst = p_.client->pk;
  auto req = verify_stream_request(plain, checks);
  if (!req) {
    // The reference drops invalid requests by closing the stream.
    send_rst();
    return finish(req.error());
  }
  local_ = req->req.dst;
  remote_ = req->req.src;
  auto reply = [&](wd::stream_response resp) -> caf::error {
    auto sresp = make_stream_response(resp, p_.client->sk);
    byte_buffer buf(yx::header_size);
    if (auto err = p_.link->seal(sresp.bytes, buf))
      return err;
    auto body_len = buf.size() - yx::header_size;
    fc_.take(body_len);
    put_header(buf.data(), yx::frame_type::data, 0, p_.id, static_cast<uint32_t>(body_len));
    if (!p_.link->write(std::move(buf)))
      return make_error(dmsg_errc::session_closed, "write failed");
    return {};
  };
  auto listener = p_.client->ports.listener(local_.prt.value);
  if (!listener) {
    // Answer at once, so the dialer fails fast instead of waiting 20 s.
    wd::stream_response resp;
    resp.req_hash = req->hash;
    resp.accepted = false;
    resp.err_code = static_cast<uint16_t>(dmsg_errc::req_no_listener);
    reply(std::move(resp));
    send_fin();
    return finish(caf::error{});
  }
  nz::handshake::config hc;
  hc.pattern = nz::pattern_kind::kk;
  hc.side = nz::role::responder;
  hc.local = crypto::keypair{p_.client->pk, p_.client->sk};
  hc.remote = remote_.pk;
  auto hs = nz::handshake::make(std::move(hc));
  caf::error err;
  std::vector<uint8_t> msg2;
  if (!hs) {
    err = hs.error();
  } else if (auto e1 = hs->read_message(req->req.noise_msg)) {
    err = e1;
  } else if (auto m2 = hs->write_message(); !m2) {
    err = m2.error();
  } else {
    msg2 = std::move(*m2);
  }
  if (err) {
    send_rst();
    return finish(make_error(client_errc::protocol, "noise KK: " + describe(err)));
  }
  auto s = hs->split();
  if (!s) {
    send_rst();
    return finish(make_error(client_errc::protocol, describe(s.error())));
  }
  wd::stream_response resp;
  resp.req_hash = req->hash;
  resp.accepted = true;
  resp.noise_msg = std::move(msg2);
  if (auto e2 = reply(std::move(resp)))
    return finish(e2);
  ns_ = std::move(*s);
  owner_ = listener;
  monitor(owner_);
  // data stays here until the listener (or whom it hands the stream to) sets
  // the owner: a peer that writes right after the handshake would otherwise
  // reach the listener instead of the actor serving the stream
  awaiting_owner_ = true;
  send(owner_, api::accept_atom::value,
            api::stream_opened{caf::actor_cast<caf::actor>(this), local_, remote_});
  established(std::move(objr_.leftover()));
}

void stream_actor::established(byte_buffer leftover) {
  phase_ = phase::established;
  if (!leftover.empty()) {
    // Bytes that followed the object in the same frame: already counted
    // against the window by on_data; hand them to the data path.
    auto n = leftover.size();
    byte_buffer plain;
    auto err = fr_.feed(ns_, leftover, [&](byte_span pt) {
      plain.insert(plain.end(), pt.begin(), pt.end());
    });
    if (err) {
      send_rst();
      return finish(make_error(client_errc::protocol, "noise frame: " + describe(err)));
    }
    fc_.delivered(plain.size(), n);
    if (!plain.empty())
      deliver(std::move(plain));
    maybe_update_window();
  }
}

// -- data path ----------------------------------------------------------------------------

void stream_actor::on_data(uint16_t flags, byte_buffer& body) {
  if (phase_ == phase::done)
    return;
  if (!body.empty()) {
    if (!fc_.on_received(body.size())) {
      send_rst();
      if (dial_pending_)
        fail_dial(make_error(client_errc::protocol, "peer exceeded the receive window"));
      return finish(make_error(client_errc::protocol, "peer exceeded the receive window"));
    }
    if (phase_ == phase::handshake) {
      auto before = objr_.buffered();
      on_handshake_bytes(body);
      if (phase_ == phase::done)
        return;
      // Object bytes carry nothing for the owner: credit them now.
      auto after = objr_.buffered();
      fc_.credit_now(after >= before ? after - before : 0);
    } else if (phase_ == phase::established || phase_ == phase::closing) {
      byte_buffer plain;
      auto err = fr_.feed(ns_, body, [&](byte_span pt) {
        if (plain.empty())
          plain.reserve(body.size());
        plain.insert(plain.end(), pt.begin(), pt.end());
      });
      if (err) {
        send_rst();
        return finish(make_error(client_errc::protocol, "noise frame: " + describe(err)));
      }
      fc_.delivered(plain.size(), body.size());
      if (!plain.empty())
        deliver(std::move(plain));
      maybe_update_window();
    }
  }
  on_remote_flags(flags);
}

void stream_actor::on_window(uint16_t flags, uint32_t delta) {
  if (phase_ == phase::done)
    return;
  fc_.grant(delta);
  if (phase_ == phase::established || phase_ == phase::closing)
    flush();
  on_remote_flags(flags);
}

void stream_actor::on_remote_flags(uint16_t flags) {
  if (phase_ == phase::done)
    return;
  if (flags & yx::flag::rst) {
    fin_sent_ = true; // the stream is gone on the other side
    auto err = make_error(client_errc::stream_reset, "reset by the remote or the server");
    if (dial_pending_)
      fail_dial(err);
    return finish(std::move(err));
  }
  if (flags & yx::flag::fin) {
    if (phase_ == phase::handshake) {
      // The server or the peer gave up before answering (no route, no
      // listener on a reference peer): fail now, not after 20 s.
      send_fin();
      auto err = make_error(client_errc::stream_reset,
                            "stream closed before the handshake completed "
                            "(no session to the remote, or it refused)");
      if (dial_pending_)
        fail_dial(err);
      return finish(std::move(err));
    }
    // No half-close in dmsg: the remote finished; send what is pending, FIN.
    if (owner_ && !closed_notified_) {
      closed_notified_ = true;
      send(owner_, api::closed_atom::value, caf::error{});
    }
    begin_close();
  }
}

void stream_actor::deliver(byte_buffer&& plain) {
  if (owner_ && !awaiting_owner_)
    send(owner_, api::data_atom::value, std::move(plain));
  else
    held_.push_back(std::move(plain));
}

void stream_actor::maybe_update_window() {
  if (fin_sent_ || phase_ == phase::done)
    return;
  if (auto delta = fc_.take_update())
    send_header(yx::frame_type::window_update, 0, *delta);
}

void stream_actor::write_plain(byte_span plain) {
  if (plain.empty())
    return;
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
  }
  auto before = out_.size();
  if (auto err = ns_.encrypt_frames(plain, out_)) {
    send_rst();
    return finish(err);
  }
  cipher_queued_ += out_.size() - before;
}

void stream_actor::flush() {
  size_t pending = out_.size() - out_off_;
  if (pending > 0 && fc_.send_window() > 0) {
    auto n = fc_.take(pending);
    size_t frames = (n + max_data_frame - 1) / max_data_frame;
    byte_buffer buf;
    buf.resize(n + frames * yx::header_size);
    auto* w = buf.data();
    size_t left = n;
    while (left > 0) {
      size_t chunk = std::min(left, max_data_frame);
      put_header(w, yx::frame_type::data, 0, p_.id, static_cast<uint32_t>(chunk));
      std::copy_n(out_.data() + out_off_, chunk, w + yx::header_size);
      w += yx::header_size + chunk;
      out_off_ += chunk;
      left -= chunk;
    }
    if (out_off_ == out_.size()) {
      out_.clear();
      out_off_ = 0;
    } else if (out_off_ > (1u << 20)) {
      out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_off_));
      out_off_ = 0;
    }
    cipher_sent_ += n;
    if (!p_.link->write(std::move(buf))) {
      fin_sent_ = true;
      return finish(make_error(dmsg_errc::session_closed, "session write failed"));
    }
  }
  // Acknowledge the writes whose bytes all left.
  while (!acks_.empty() && acks_.front().cipher_end <= cipher_sent_) {
    auto to = acks_.front().to;
    uint64_t sum = 0;
    while (!acks_.empty() && acks_.front().cipher_end <= cipher_sent_ && acks_.front().to == to) {
      sum += acks_.front().plain;
      acks_.pop_front();
    }
    if (to)
      send(to, api::ack_atom::value, sum);
  }
  if (phase_ == phase::closing && out_off_ == out_.size()) {
    send_fin();
    finish(caf::error{});
  }
}

// -- frames -------------------------------------------------------------------------------

void stream_actor::send_header(yx::frame_type t, uint16_t flags, uint32_t length) {
  byte_buffer buf(yx::header_size);
  put_header(buf.data(), t, flags, p_.id, length);
  p_.link->write(std::move(buf));
}

void stream_actor::send_fin() {
  if (fin_sent_)
    return;
  fin_sent_ = true;
  send_header(yx::frame_type::window_update, yx::flag::fin, 0);
}

void stream_actor::send_rst() {
  if (fin_sent_)
    return;
  fin_sent_ = true;
  send_header(yx::frame_type::window_update, yx::flag::rst, 0);
}

// -- endings ------------------------------------------------------------------------------

void stream_actor::begin_close() {
  if (phase_ == phase::done || phase_ == phase::closing)
    return;
  phase_ = phase::closing;
  if (out_off_ == out_.size()) {
    send_fin();
    return finish(caf::error{});
  }
  delayed_send(this, p_.client->close_timeout, tick_atom::value);
  flush();
}

void stream_actor::fail_dial(caf::error err) {
  if (!dial_pending_)
    return;
  dial_pending_ = false;
  closed_notified_ = true; // the dialer learns from the answer
  dial_rp_.deliver(std::move(err));
}

void stream_actor::finish(caf::error err) {
  if (phase_ == phase::done)
    return;
  phase_ = phase::done;
  if (owner_ && !closed_notified_) {
    closed_notified_ = true;
    send(owner_, api::closed_atom::value, std::move(err));
  }
  if (ephemeral_)
    p_.client->ports.release(local_.prt.value);
  anon_send(p_.session, sgone_atom::value, p_.id);
  quit();
}

} // namespace skywire::dmsg
