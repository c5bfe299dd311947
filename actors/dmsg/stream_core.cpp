#include "actors/dmsg/stream_core.hpp"

#include <algorithm>
#include <cstring>

#include <caf/send.hpp>

#include "actors/dmsg/errors.hpp"
#include "actors/dmsg/link.hpp"
#include "messages/api/dmsg.hpp"
#include "messages/wire/yamux/frame.hpp"

namespace skywire::dmsg {

namespace yx = wire::yamux;

namespace {

void put_header(uint8_t* out, yx::frame_type t, uint16_t flags, uint32_t id, uint32_t len) {
  auto b = yx::encode(yx::header{yx::protocol_version, t, flags, id, len});
  std::memcpy(out, b.data(), b.size());
}

/// One spare plaintext buffer per thread. A batch's plaintext that its
/// direct sink did not keep (it read the bytes and let the buffer go) serves
/// the next batch decrypted on this thread: a stream read on an io thread
/// writes into warm memory instead of fresh pages every read. Bounded: one
/// buffer of at most max_spare bytes per thread, none per stream.
constexpr size_t max_spare = 1024 * 1024;
byte_buffer& spare_plain() {
  thread_local byte_buffer spare;
  return spare;
}

} // namespace

stream_core::stream_core(uint32_t id, std::shared_ptr<session_link> link, bool initiator)
  : id_(id), initiator_(initiator), link_(std::move(link)) {
}

stream_core::~stream_core() = default;

// -- wiring ---------------------------------------------------------------------------

void stream_core::bind(caf::actor self) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  self_ = std::move(self);
  dispatch_locked();
}

void stream_core::unbind() {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  self_ = nullptr;
  owner_ = nullptr;
  sink_ = nullptr;
  notice_fn_ = nullptr;
  acks_.clear();
  held_.clear();
}

void stream_core::set_owner(caf::actor owner, bool hold) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  owner_ = std::move(owner);
  sink_ = nullptr;
  hold_ = hold;
  if (!hold_ && owner_ && self_) {
    for (auto& b : held_)
      caf::send_as(self_, owner_, api::data_atom::value, std::move(b));
    held_.clear();
  }
}

void stream_core::set_sink(sink_fn sink) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  sink_ = std::move(sink);
  owner_ = nullptr;
  hold_ = false;
  auto held = std::move(held_);
  held_.clear();
  for (auto& b : held)
    if (sink_)
      sink_(std::move(b));
}

void stream_core::set_notice_fn(notice_fn fn) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  notice_fn_ = std::move(fn);
  dispatch_locked();
}

void stream_core::set_responder(responder_fn fn) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  responder_ = std::move(fn);
}

stream_core::accept_outcome stream_core::take_accept_outcome() {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  auto out = std::move(accept_);
  accept_ = accept_outcome{};
  return out;
}

// -- receive side ---------------------------------------------------------------------

void stream_core::on_data(uint16_t flags, byte_span body) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  if (phase_ == phase::done)
    return;
  if (!body.empty()) {
    if (!fc_.on_received(body.size()))
      return fail_locked(make_error(client_errc::protocol, "peer exceeded the receive window"));
    switch (phase_) {
      case phase::handshake: {
        auto before = objr_.buffered();
        auto r = objr_.feed(body);
        if (!r)
          return fail_locked(r.error());
        // Object bytes carry nothing for the owner: credit them at once.
        auto after = objr_.buffered();
        fc_.credit_now(after >= before ? after - before : 0);
        if (*r) {
          phase_ = phase::keys_pending;
          if (responder_) {
            auto fn = std::move(responder_);
            responder_ = nullptr;
            accept_ = fn(*this);
          }
          notify_locked(notice::kind::object_ready);
        }
        break;
      }
      case phase::keys_pending:
        early_.insert(early_.end(), body.begin(), body.end());
        break;
      case phase::established:
      case phase::closing:
        decrypt_locked(body);
        break;
      case phase::done:
        break;
    }
  }
  if (flags & yx::flag::rst)
    notify_locked(notice::kind::remote_rst);
  else if (flags & yx::flag::fin)
    notify_locked(notice::kind::remote_fin);
}

void stream_core::decrypt_locked(byte_span cipher) {
  if (rx_plain_.capacity() == 0)
    rx_plain_.swap(spare_plain()); // empty, or this thread's spare
  size_t before = rx_plain_.size();
  // The plaintext of the frames inside this chunk is smaller than the chunk
  // (a frame completed from the last chunk may add more: insert grows then):
  // grow once per chunk, geometrically across a batch.
  size_t need = before + cipher.size();
  if (rx_plain_.capacity() < need)
    rx_plain_.reserve(std::max(need, 2 * rx_plain_.capacity()));
  auto err = fr_.feed(ns_, cipher, [&](byte_span pt) {
    rx_plain_.insert(rx_plain_.end(), pt.begin(), pt.end());
  });
  if (err)
    return fail_locked(make_error(client_errc::protocol, "noise frame: " + describe(err)));
  fc_.delivered(rx_plain_.size() - before, cipher.size());
}

void stream_core::on_window(uint16_t flags, uint32_t delta) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  if (phase_ == phase::done)
    return;
  if (!fc_.grant(delta))
    return fail_locked(make_error(client_errc::protocol, "window update overflows the send window"));
  if (phase_ == phase::established || phase_ == phase::closing)
    flush_locked();
  if (flags & yx::flag::rst)
    notify_locked(notice::kind::remote_rst);
  else if (flags & yx::flag::fin)
    notify_locked(notice::kind::remote_fin);
}

void stream_core::end_batch() {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  dispatch_locked();
}

void stream_core::dispatch_locked() {
  if (!rx_plain_.empty()) {
    byte_buffer b;
    b.swap(rx_plain_);
    if (phase_ != phase::done || !notices_.empty())
      deliver_locked(std::move(b));
  }
  maybe_update_window_locked();
  if (notices_.empty() || (!self_ && !notice_fn_))
    return; // kept until bind()
  auto notes = std::move(notices_);
  notices_.clear();
  for (auto k : notes) {
    if (self_)
      caf::anon_send(self_, snote_atom::value, static_cast<uint8_t>(k));
    else
      notice_fn_(k);
  }
}

void stream_core::deliver_locked(byte_buffer&& plain) {
  if (sink_) {
    sink_(std::move(plain));
    // A sink that did not take the buffer leaves it to the next batch.
    auto& spare = spare_plain();
    if (plain.capacity() > spare.capacity() && plain.capacity() <= max_spare) {
      plain.clear();
      spare.swap(plain);
    }
  } else if (owner_ && !hold_ && self_) {
    caf::send_as(self_, owner_, api::data_atom::value, std::move(plain));
  } else {
    held_.push_back(std::move(plain));
  }
}

void stream_core::on_link_ready() {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  waiting_link_ = false;
  if (phase_ == phase::established || phase_ == phase::closing)
    flush_locked();
  dispatch_locked();
}

void stream_core::on_session_lost(caf::error err) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  if (phase_ == phase::done)
    return;
  fin_sent_ = true; // nothing can be sent any more
  failure_ = std::move(err);
  phase_ = phase::done;
  notify_locked(notice::kind::failed);
  dispatch_locked();
}

// -- handshake ------------------------------------------------------------------------

expected<byte_buffer> stream_core::open_object() {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  if (!objr_.complete())
    return make_error(client_errc::protocol, "handshake object incomplete");
  return link_->open(objr_);
}

caf::error stream_core::send_object(byte_span signed_bytes, bool syn) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  size_t pre = syn ? yx::header_size * 2 : yx::header_size;
  byte_buffer buf(pre);
  if (auto err = link_->seal(signed_bytes, buf))
    return err;
  auto body_len = buf.size() - pre;
  if (fc_.take(body_len) != body_len)
    return make_error(client_errc::protocol, "handshake object exceeds the send window");
  if (syn)
    put_header(buf.data(), yx::frame_type::window_update, yx::flag::syn, id_, 0);
  put_header(buf.data() + pre - yx::header_size, yx::frame_type::data, 0, id_,
             static_cast<uint32_t>(body_len));
  if (!link_->write_control(std::move(buf)))
    return make_error(dmsg_errc::session_closed, "session write failed");
  return {};
}

caf::error stream_core::establish(crypto::noise::session ns) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  if (phase_ != phase::keys_pending && phase_ != phase::handshake)
    return make_error(client_errc::closed, "stream ended during its handshake");
  ns_ = std::move(ns);
  phase_ = phase::established;
  // Bytes that followed the object in its frame, then frames that arrived
  // while the keys were computed: already counted against the window.
  auto left = std::move(objr_.leftover());
  objr_ = object_reader{};
  if (!left.empty())
    decrypt_locked(left);
  if (!early_.empty() && phase_ != phase::done) {
    auto early = std::move(early_);
    early_ = byte_buffer{};
    decrypt_locked(early);
  }
  dispatch_locked();
  if (phase_ == phase::done)
    return failure_;
  return {};
}

// -- send side ------------------------------------------------------------------------

stream_core::write_result stream_core::write(byte_span plain, const caf::actor& ack_to) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  if (phase_ != phase::established)
    return write_result::not_open;
  if (plain.empty())
    return write_result::ok;
  if (out_pending_ > max_send_queue)
    return write_result::queue_full;
  if (out_pending_ == 0) {
    // Nothing waits and the window takes it all: encrypt straight into the
    // yamux frames that go to the link (no ciphertext queue, no copy).
    auto cipher = crypto::noise::frames_size(plain.size());
    if (!waiting_link_ && fc_.send_window() >= cipher && !link_->congested())
      return write_framed_locked(plain, cipher, ack_to);
  }
  cipher_chunk chunk;
  chunk.n = crypto::noise::frames_size(plain.size());
  chunk.p = std::make_unique_for_overwrite<uint8_t[]>(chunk.n);
  if (auto err = ns_.encrypt_frames_to(plain, chunk.p.get())) {
    fail_locked(err);
    return write_result::link_failed;
  }
  cipher_queued_ += chunk.size();
  out_pending_ += chunk.size();
  out_.push_back(std::move(chunk));
  if (ack_to)
    acks_.push_back({cipher_queued_, plain.size(), ack_to});
  flush_locked();
  dispatch_locked();
  if (phase_ == phase::done && failure_)
    return write_result::link_failed;
  return write_result::ok;
}

stream_core::write_result stream_core::write_framed_locked(byte_span plain, size_t cipher,
                                                          const caf::actor& ack_to) {
  namespace nz = crypto::noise;
  // Whole Noise frames per yamux frame (max_frame_ is at least one).
  size_t per_frame = std::max<size_t>(1, max_frame_ / nz::max_frame_size) * nz::max_frame_plaintext;
  size_t frames = (plain.size() + per_frame - 1) / per_frame;
  // every byte of it is written below (headers and ciphertext)
  byte_buffer buf = link_->take_buffer(cipher + frames * yx::header_size);
  auto* w = buf.data();
  for (auto rest = plain; !rest.empty();) {
    auto part = rest.first(std::min(rest.size(), per_frame));
    auto len = nz::frames_size(part.size());
    put_header(w, yx::frame_type::data, 0, id_, static_cast<uint32_t>(len));
    if (auto err = ns_.encrypt_frames_to(part, w + yx::header_size)) {
      fail_locked(err);
      return write_result::link_failed;
    }
    w += yx::header_size + len;
    rest = rest.subspan(part.size());
  }
  fc_.take(cipher);
  cipher_queued_ += cipher;
  cipher_sent_ += cipher;
  if (ack_to)
    acks_.push_back({cipher_queued_, plain.size(), ack_to});
  if (!link_->write(std::move(buf))) {
    fail_locked(make_error(dmsg_errc::session_closed, "session write failed"));
    return write_result::link_failed;
  }
  flush_locked(); // the acknowledgements
  dispatch_locked();
  if (phase_ == phase::done && failure_)
    return write_result::link_failed;
  return write_result::ok;
}

void stream_core::flush_locked() {
  if (out_pending_ > 0 && fc_.send_window() > 0 && !waiting_link_) {
    // The connection's queue is long: wait for it to drain rather than
    // queue more (the peer's window holds the rest back meanwhile).
    if (link_->congested() && link_->wait_ready(weak_from_this())) {
      waiting_link_ = true;
    } else {
      auto n = fc_.take(out_pending_);
      size_t frames = (n + max_frame_ - 1) / max_frame_;
      headers_.resize(frames * yx::header_size);
      parts_.clear();
      auto* h = headers_.data();
      size_t left = n;
      size_t qi = 0;
      size_t off = out_head_;
      while (left > 0) {
        size_t chunk = std::min(left, max_frame_);
        put_header(h, yx::frame_type::data, 0, id_, static_cast<uint32_t>(chunk));
        parts_.emplace_back(h, yx::header_size);
        h += yx::header_size;
        for (size_t c = chunk; c > 0;) {
          const auto& b = out_[qi];
          size_t take = std::min(c, b.size() - off);
          parts_.emplace_back(b.data() + off, take);
          off += take;
          c -= take;
          if (off == b.size()) {
            ++qi;
            off = 0;
          }
        }
        left -= chunk;
      }
      bool ok = link_->write_parts(parts_);
      parts_.clear();
      out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(qi));
      out_head_ = off;
      out_pending_ -= n;
      cipher_sent_ += n;
      if (!ok)
        return fail_locked(make_error(dmsg_errc::session_closed, "session write failed"));
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
    if (to && self_)
      caf::send_as(self_, to, api::ack_atom::value, sum);
  }
  if (phase_ == phase::closing && out_pending_ == 0) {
    send_fin();
    phase_ = phase::done;
    notify_locked(notice::kind::drained);
  }
}

void stream_core::set_max_frame(size_t n) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  max_frame_ = std::clamp<size_t>(n, crypto::noise::max_frame_size, max_data_frame);
}

void stream_core::consumed(uint64_t n) {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  fc_.consumed(n);
  dispatch_locked();
}

void stream_core::maybe_update_window_locked() {
  if (fin_sent_ || phase_ == phase::done)
    return;
  if (auto delta = fc_.take_update(flow_control::clock::now()))
    send_header_locked(static_cast<uint8_t>(yx::frame_type::window_update), 0, *delta);
}

bool stream_core::begin_close() {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  if (phase_ == phase::done)
    return true;
  if (phase_ != phase::established && phase_ != phase::closing) {
    reset();
    return true;
  }
  phase_ = phase::closing;
  flush_locked();
  if (phase_ == phase::done) {
    // drained at once: no notice needed, the caller finishes now
    notices_.erase(std::remove(notices_.begin(), notices_.end(), notice::kind::drained),
                   notices_.end());
    return true;
  }
  return false;
}

void stream_core::send_header_locked(uint8_t type, uint16_t flags, uint32_t length) {
  byte_buffer buf(yx::header_size);
  put_header(buf.data(), static_cast<yx::frame_type>(type), flags, id_, length);
  link_->write_control(std::move(buf));
}

void stream_core::send_fin() {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  if (fin_sent_)
    return;
  fin_sent_ = true;
  send_header_locked(static_cast<uint8_t>(yx::frame_type::window_update), yx::flag::fin, 0);
}

void stream_core::reset() {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  if (!fin_sent_) {
    fin_sent_ = true;
    send_header_locked(static_cast<uint8_t>(yx::frame_type::window_update), yx::flag::rst, 0);
  }
  phase_ = phase::done;
}

void stream_core::mark_done() {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  fin_sent_ = true;
  phase_ = phase::done;
}

void stream_core::fail_locked(caf::error err) {
  if (phase_ == phase::done)
    return;
  failure_ = std::move(err);
  if (!fin_sent_) {
    fin_sent_ = true;
    send_header_locked(static_cast<uint8_t>(yx::frame_type::window_update), yx::flag::rst, 0);
  }
  phase_ = phase::done;
  notify_locked(notice::kind::failed);
}

void stream_core::notify_locked(notice::kind k) {
  notices_.push_back(k);
}

// -- inspection -----------------------------------------------------------------------

stream_core::phase stream_core::current_phase() const {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  return phase_;
}

size_t stream_core::send_queue_bytes() const {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  return out_pending_;
}

uint64_t stream_core::unconsumed() const {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  return fc_.unconsumed();
}

caf::error stream_core::failure() const {
  std::lock_guard<std::recursive_mutex> g{mtx_};
  return failure_;
}

} // namespace skywire::dmsg
