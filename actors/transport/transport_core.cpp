#include "actors/transport/transport_core.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/error.hpp>

#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::transport {

namespace wt = wire::transport;
namespace nz = crypto::noise;
using std::chrono::nanoseconds;

namespace {

/// Room on the link's queue beyond max_send_queue for what the core itself
/// sends (keep-alives, the settlement frames), so data alone hits the bound.
constexpr size_t control_slack = 64 * 1024;
/// Writes up to this size are encrypted into a per-thread buffer and handed
/// to the link as a view (sent from there when nothing is queued).
constexpr size_t scratch_limit = 256 * 1024;

std::string duration_text(nanoseconds d) {
  using namespace std::chrono;
  if (d % seconds{1} == nanoseconds{0})
    return std::to_string(duration_cast<seconds>(d).count()) + " s";
  return std::to_string(duration_cast<milliseconds>(d).count()) + " ms";
}

/// The plaintext of one read, reused by every core of a thread (a read is
/// delivered before the next one starts on the same thread; a nested use
/// falls back to a buffer of its own).
struct batch_buffer {
  byte_buffer buf;
  bool busy = false;
};

caf::error classify_frame_error(const caf::error& err) {
  if (err.category() == crypto::crypto_category()) {
    auto code = static_cast<crypto::crypto_errc>(err.code());
    if (code == crypto::crypto_errc::frame_too_large
        || code == crypto::crypto_errc::frame_truncated)
      return make_error(transport_errc::protocol, "noise frame: " + describe(err));
  }
  return make_error(transport_errc::noise_failed, "noise frame: " + describe(err));
}

} // namespace

size_t send_queue_for(std::string_view type) noexcept {
  return type == "sudph" ? size_t{512} * 1024 : size_t{4} * 1024 * 1024;
}

const char* to_string(link_phase p) noexcept {
  switch (p) {
    case link_phase::created: return "created";
    case link_phase::frames: return "handshake frames";
    case link_phase::noise: return "noise handshake";
    case link_phase::settlement: return "settlement";
    case link_phase::deciding: return "registering the entry";
    case link_phase::up: return "up";
    case link_phase::closing: return "closing";
    case link_phase::down: return "down";
  }
  return "?";
}

// ---- construction --------------------------------------------------------------------

expected<std::shared_ptr<transport_core>> transport_core::make(params p) {
  auto bad = [](std::string why) {
    return make_error(transport_errc::invalid_argument, std::move(why));
  };
  if (!p.on_data || !p.on_down)
    return bad("on_data and on_down are required");
  auto pk = crypto::derive_public_key(p.local.sk);
  if (!pk || *pk != p.local.pk)
    return bad("the local key pair is invalid or does not match");
  if (p.mode != transport_mode::handshake_only && !wt::valid_type_name(p.type))
    return bad("invalid transport type \"" + p.type + "\"");
  bool needs_remote = p.mode == transport_mode::dmsg
                      || (p.mode == transport_mode::noise_kk
                          && p.role == transport_role::initiator);
  if (needs_remote && (!crypto::is_valid(p.remote) || p.remote == p.local.pk))
    return bad("the remote key must be a valid key other than ours");
  if (p.max_send_queue < nz::max_frame_size)
    return bad("max_send_queue below one frame (4096 bytes)");
  if (p.max_read == 0)
    return bad("max_read is 0");
  return std::shared_ptr<transport_core>(new transport_core(std::move(p)));
}

transport_core::transport_core(params p) : p_(std::move(p)) {
  info_.role = p_.role;
  info_.mode = p_.mode;
  info_.type = p_.type;
}

transport_core::~transport_core() {
  // dropped by its owner while the link lives: the link ends with it
  if (link_ && !link_closing_ && phase() != link_phase::down)
    link_->close();
}

void transport_core::start(io::byte_link_ptr link) {
  if (!link || link_)
    return;
  link_ = std::move(link);
  socket_ = dynamic_cast<const io::stream_connection*>(link_.get());
  link_->set_max_queued(p_.max_send_queue + control_slack);
  // on_sent matters only for queued bytes (a drain, a graceful close)
  link_->set_direct_send_reports(false);
  link_->post([self = shared_from_this()] { self->begin(); });
}

// ---- [any] ---------------------------------------------------------------------------

transport_core::write_result transport_core::write(byte_span plain) {
  return write_parts(std::span<const byte_span>{&plain, 1});
}

namespace {

/// The per-thread buffer frames are sealed into before the link takes them
/// (sent from there when nothing is queued, else copied into its queue).
uint8_t* seal_scratch(size_t n) {
  thread_local byte_buffer scratch;
  if (scratch.size() < n)
    scratch.resize(n);
  return scratch.data();
}

/// This thread's delivery scopes: their depth, and the cores whose gathered
/// plaintext waits for the outermost one to end.
struct deferred_flushes {
  unsigned depth = 0;
  std::vector<std::shared_ptr<transport_core>> cores;
};
thread_local deferred_flushes deferred;

} // namespace

transport_core::delivery_scope::delivery_scope() {
  ++deferred.depth;
}

transport_core::delivery_scope::~delivery_scope() {
  if (--deferred.depth != 0)
    return;
  // walked from a local: a delivery the flushes might start would use (and
  // flush) the thread's list itself; the capacity goes back for the next read
  std::vector<std::shared_ptr<transport_core>> cores;
  cores.swap(deferred.cores);
  for (auto& c : cores)
    c->flush_deferred();
  cores.clear();
  if (deferred.cores.empty())
    deferred.cores.swap(cores);
}

bool transport_core::in_delivery() noexcept {
  return deferred.depth > 0;
}

void transport_core::flush_deferred() {
  std::lock_guard<std::mutex> guard{send_mtx_};
  flush_deferred_ = false;
  if (phase() == link_phase::up)
    flush_gathered_locked();
}

transport_core::write_result transport_core::write_parts(std::span<const byte_span> parts) {
  size_t plain = 0;
  for (auto p : parts)
    plain += p.size();
  if (plain == 0)
    return write_result::ok;
  auto refused_state = [](link_phase ph) {
    return ph >= link_phase::closing ? write_result::closed : write_result::not_up;
  };
  if (phase() != link_phase::up)
    return refused_state(phase());
  bool noise = p_.mode == transport_mode::noise_kk;
  size_t wire = noise ? nz::frames_size(plain) : plain;
  if (wire > p_.max_send_queue)
    return write_result::too_large;
  std::lock_guard<std::mutex> guard{send_mtx_};
  if (auto ph = phase(); ph != link_phase::up)
    return refused_state(ph);
  size_t after = noise ? link_->queued_bytes() + nz::frames_size(gathered_.size() + plain)
                       : link_->queued_bytes() + plain;
  if (after > p_.max_send_queue) {
    stats_.writes_refused.fetch_add(1, std::memory_order_relaxed);
    // the drain that wakes the owner may already be past: look once more
    // from the link's thread
    if (!refused_.exchange(true))
      link_->post([w = weak_from_this()] {
        if (auto self = w.lock())
          self->check_writable();
      });
    return write_result::queue_full;
  }
  bool ok = true;
  if (!noise) {
    ok = link_->write_parts(parts);
    if (ok)
      stats_.wire_out.fetch_add(wire, std::memory_order_relaxed);
  } else if (bool here = on_link_thread();
             here || !gathered_.empty() || parts.size() > 1) {
    // gathered (or joined: several parts from another thread) and sealed
    for (auto p : parts)
      gathered_.insert(gathered_.end(), p.begin(), p.end());
    if (gathered_.size() >= gather_limit) {
      ok = flush_gathered_locked();
    } else if (in_delivery()) {
      // inside a read's delivery (this link's or another's): flushed once
      // when the outermost delivery ends, before its thread waits again (an
      // answer leaves without a turn of the loop)
      if (!flush_deferred_) {
        flush_deferred_ = true;
        deferred.cores.push_back(shared_from_this());
      }
    } else if (!here) {
      // another link's thread delivering nothing: now
      ok = flush_gathered_locked();
    } else if (!flush_posted_) {
      flush_posted_ = true;
      link_->post([w = weak_from_this()] {
        if (auto self = w.lock())
          self->flush_gathered();
      });
    }
  } else if (wire <= scratch_limit) {
    // one part from another thread, nothing gathered: sealed straight from
    // the caller's memory
    auto* dst = seal_scratch(wire);
    if (session_.encrypt_frames_to(parts[0], dst))
      return write_result::closed; // the 64-bit counter ran out
    byte_span part{dst, wire};
    ok = link_->write_parts(std::span<const byte_span>{&part, 1});
    if (ok)
      stats_.wire_out.fetch_add(wire, std::memory_order_relaxed);
  } else {
    byte_buffer buf(wire);
    if (session_.encrypt_frames_to(parts[0], buf.data()))
      return write_result::closed;
    ok = link_->write(std::move(buf));
    if (ok)
      stats_.wire_out.fetch_add(wire, std::memory_order_relaxed);
  }
  if (!ok)
    return write_result::closed; // the link ended; on_down follows
  stats_.bytes_out.fetch_add(plain, std::memory_order_relaxed);
  sent_since_tick_.store(true, std::memory_order_relaxed);
  return write_result::ok;
}

bool transport_core::flush_gathered_locked() {
  if (gathered_.empty())
    return true;
  size_t wire = nz::frames_size(gathered_.size());
  bool ok = false;
  if (wire <= scratch_limit) {
    auto* dst = seal_scratch(wire);
    if (!session_.encrypt_frames_to({gathered_.data(), gathered_.size()}, dst)) {
      byte_span part{dst, wire};
      ok = link_->write_parts(std::span<const byte_span>{&part, 1});
    }
  } else {
    byte_buffer buf(wire);
    if (!session_.encrypt_frames_to({gathered_.data(), gathered_.size()}, buf.data()))
      ok = link_->write(std::move(buf));
  }
  if (ok)
    stats_.wire_out.fetch_add(wire, std::memory_order_relaxed);
  gathered_.clear();
  // a burst's buffer is not kept by an idle transport
  if (gathered_.capacity() > 2 * gather_limit)
    byte_buffer{}.swap(gathered_);
  return ok;
}

void transport_core::flush_gathered() {
  std::lock_guard<std::mutex> guard{send_mtx_};
  flush_posted_ = false;
  if (phase() == link_phase::up)
    flush_gathered_locked();
}

bool transport_core::on_link_thread() const {
  return socket_ != nullptr && socket_->on_io_thread();
}

size_t transport_core::queued_locked() const {
  return link_->queued_bytes()
         + (gathered_.empty() ? 0 : nz::frames_size(gathered_.size()));
}

void transport_core::complete_settlement(bool accept) {
  if (!link_)
    return;
  link_->post([self = shared_from_this(), accept] { self->decide(accept); });
}

void transport_core::close() {
  if (!link_)
    return;
  link_->post([self = shared_from_this()] {
    if (self->shutting_)
      return;
    if (self->phase() < link_phase::up)
      self->shutdown(make_error(transport_errc::closed, "closed by us during the handshake"),
                     false);
    else
      self->shutdown(make_error(transport_errc::closed, "closed by us"), true);
  });
}

void transport_core::abort() {
  if (!link_)
    return;
  link_->post([self = shared_from_this()] {
    self->shutdown(make_error(transport_errc::closed, "aborted by us"), false);
  });
}

void transport_core::pause_reading() {
  if (link_)
    link_->pause_reading();
}

void transport_core::resume_reading() {
  if (link_)
    link_->resume_reading();
}

size_t transport_core::queued_bytes() const {
  if (!link_)
    return 0;
  std::lock_guard<std::mutex> guard{send_mtx_};
  return queued_locked();
}

// ---- [link]: start and input ------------------------------------------------------------

void transport_core::begin() {
  if (phase() != link_phase::created || shutting_)
    return;
  // the link holds the core weakly: the owner's reference keeps it alive
  io::byte_link::callbacks cbs;
  cbs.on_span = [w = weak_from_this()](byte_span b) {
    if (auto self = w.lock())
      self->on_bytes(b);
  };
  cbs.on_sent = [w = weak_from_this()](size_t) {
    if (auto self = w.lock())
      self->on_sent();
  };
  cbs.on_closed = [w = weak_from_this()](const boost::system::error_code& ec) {
    if (auto self = w.lock())
      self->on_link_closed(ec);
  };
  bool initiator = p_.role == transport_role::initiator;
  byte_buffer out;
  if (p_.mode == transport_mode::dmsg) {
    info_.local = address{p_.local.pk, p_.local_port};
    info_.remote = address{p_.remote, p_.remote_port};
    // The settlement first: a dmsg stream hands the bytes it held since it
    // opened (the initiator's entry may already be there) to the callbacks
    // inside start(), and they must find the settlement waiting.
    begin_settlement();
    if (!shutting_)
      link_->start(std::move(cbs), p_.max_read);
    return;
  }
  if (initiator) {
    fx_.emplace(frame_exchange::initiator(
      {p_.local, p_.local_port, address{p_.remote, p_.remote_port},
       p_.mode == transport_mode::handshake_only}));
  } else {
    frame_exchange::responder_config rc;
    rc.local = p_.local;
    rc.check = p_.check_frame2;
    // KK needs the initiator to have dialed our key; only the resolver's
    // channel may turn the check off
    rc.require_own_key = p_.mode == transport_mode::noise_kk || p_.require_own_key;
    rc.nonce = p_.fixed_nonce;
    fx_.emplace(frame_exchange::responder(std::move(rc)));
  }
  fx_->start(out);
  enter(link_phase::frames);
  link_->start(std::move(cbs), p_.max_read);
  if (!out.empty())
    send_raw(std::move(out));
}

void transport_core::on_bytes(byte_span in) {
  if (shutting_ || in.empty())
    return;
  stats_.wire_in.fetch_add(in.size(), std::memory_order_relaxed);
  rx_since_tick_ = true;
  switch (phase()) {
    case link_phase::frames:
      return on_frames(in);
    case link_phase::noise:
      return on_kk(in);
    case link_phase::settlement:
    case link_phase::deciding:
    case link_phase::up:
      if (p_.mode == transport_mode::noise_kk)
        return on_encrypted(in);
      return on_plain(in);
    case link_phase::created:
      // the link reads only once begin() set the first phase up: bytes here
      // would be lost, so they end the transport loudly instead
      return shutdown(make_error(transport_errc::protocol, "bytes before the transport started"),
                      false);
    case link_phase::closing:
    case link_phase::down:
      return;
  }
}

void transport_core::on_frames(byte_span in) {
  byte_buffer out;
  auto r = fx_->feed(in, out);
  if (!out.empty())
    send_raw(std::move(out));
  switch (r) {
    case step::need_more:
    case step::decide:
      return;
    case step::failed:
      // a refusal's Frame3 goes out before the close
      return shutdown(fx_->error(), true);
    case step::done:
      break;
  }
  info_.local = fx_->local();
  info_.remote = fx_->remote();
  if (p_.mode == transport_mode::handshake_only) {
    auto rest = fx_->take_rest();
    fx_.reset();
    go_up();
    if (!rest.empty() && phase() == link_phase::up && !shutting_) {
      stats_.bytes_in.fetch_add(rest.size(), std::memory_order_relaxed);
      p_.on_data(byte_span{rest});
    }
    return;
  }
  fx_.reset();
  begin_kk();
}

void transport_core::begin_kk() {
  auto kk = kk_exchange::make({p_.local, info_.remote.pk, p_.role == transport_role::initiator,
                               p_.fixed_ephemeral});
  if (!kk)
    return shutdown(kk.error(), false);
  kk_.emplace(std::move(*kk));
  byte_buffer out;
  kk_->start(out);
  if (kk_->error())
    return shutdown(kk_->error(), false);
  enter(link_phase::noise);
  if (!out.empty())
    send_raw(std::move(out));
}

void transport_core::on_kk(byte_span in) {
  byte_buffer out;
  auto r = kk_->feed(in, out);
  if (!out.empty())
    send_raw(std::move(out));
  if (r == step::failed)
    return shutdown(kk_->error(), false);
  if (r != step::done)
    return;
  auto s = kk_->take_session();
  if (!s)
    return shutdown(s.error(), false);
  {
    std::lock_guard<std::mutex> guard{send_mtx_};
    session_ = std::move(*s);
  }
  kk_.reset();
  reader_ = std::make_unique<nz::frame_reader>();
  begin_settlement();
}

void transport_core::begin_settlement() {
  auto st = settlement::make(
    {p_.local, info_.remote.pk, p_.type, p_.role == transport_role::initiator});
  if (!st)
    return shutdown(st.error(), false);
  st_.emplace(std::move(*st));
  enter(link_phase::settlement);
  byte_buffer out;
  st_->start(out);
  if (!out.empty())
    send_control(out);
}

void transport_core::on_encrypted(byte_span in) {
  thread_local batch_buffer batch;
  byte_buffer own;
  bool shared = !batch.busy;
  byte_buffer& buf = shared ? batch.buf : own;
  if (shared)
    batch.busy = true;
  // Frames are decrypted straight into buf (no copy of the plaintext); buf
  // keeps its size across reads, so its bytes are zero-filled once, when it
  // first grows, and len says how much of it this read filled.
  size_t len = 0;
  auto empties = reader_->empty_frames();
  auto err = reader_->feed_into(
    session_, in,
    [&](size_t n) {
      if (buf.size() < len + n)
        buf.resize(std::max({len + n, 2 * buf.size(), size_t{64 * 1024}}));
      return buf.data() + len;
    },
    [&](size_t k) {
      if (shutting_)
        return;
      byte_span p{buf.data() + len, k};
      auto ph = phase();
      if (ph == link_phase::settlement || ph == link_phase::deciding) {
        auto used = on_settlement(p);
        p = p.subspan(used);
        if (p.empty() || shutting_)
          return;
        std::memmove(buf.data() + len, p.data(), p.size()); // what follows the settlement
      }
      if (phase() == link_phase::up)
        len += p.size();
    });
  if (auto k = reader_->empty_frames() - empties; k > 0) {
    stats_.keepalives_in.fetch_add(k, std::memory_order_relaxed);
    peer_keeps_alive_ = true;
  }
  // what decrypted before an error is authentic: delivered first
  if (len > 0 && !shutting_) {
    stats_.bytes_in.fetch_add(len, std::memory_order_relaxed);
    delivery_scope scope;
    p_.on_data(byte_span{buf.data(), len});
  }
  if (shared)
    batch.busy = false;
  if (err && !shutting_)
    shutdown(classify_frame_error(err), false);
}

void transport_core::on_plain(byte_span in) {
  auto ph = phase();
  if (ph == link_phase::settlement || ph == link_phase::deciding) {
    in = in.subspan(on_settlement(in));
    if (in.empty() || shutting_)
      return;
  }
  if (phase() == link_phase::up) {
    stats_.bytes_in.fetch_add(in.size(), std::memory_order_relaxed);
    delivery_scope scope;
    p_.on_data(in);
  }
}

size_t transport_core::on_settlement(byte_span in) {
  byte_buffer out;
  size_t used = 0;
  auto r = st_->feed(in, out, used);
  if (!out.empty())
    send_control(out);
  switch (r) {
    case step::need_more:
      return used;
    case step::decide:
      if (phase() == link_phase::deciding)
        return used;
      phase_.store(link_phase::deciding, std::memory_order_release); // same deadline
      if (p_.on_register)
        p_.on_register(st_->entry());
      else
        decide(true);
      return used;
    case step::failed:
      // the responder's status byte goes out before the close
      shutdown(st_->error(), true);
      return in.size();
    case step::done:
      go_up();
      return used;
  }
  return in.size();
}

void transport_core::decide(bool accept) {
  if (shutting_ || phase() != link_phase::deciding || !st_)
    return;
  byte_buffer out;
  auto r = st_->decide(accept, out);
  if (!out.empty())
    send_control(out);
  if (r == step::done)
    go_up();
  else
    shutdown(st_->error(), true);
}

void transport_core::go_up() {
  if (deadline_ != 0) {
    link_->timers().cancel(deadline_);
    deadline_ = 0;
  }
  if (st_) {
    info_.entry = st_->entry();
    st_.reset();
  }
  phase_.store(link_phase::up, std::memory_order_release);
  arm_tick();
  if (p_.on_up)
    p_.on_up(info_);
}

// ---- [link]: timers ----------------------------------------------------------------------

void transport_core::enter(link_phase ph) {
  phase_.store(ph, std::memory_order_release);
  switch (ph) {
    case link_phase::frames: return arm_deadline(p_.limits.frames);
    case link_phase::noise: return arm_deadline(p_.limits.noise);
    case link_phase::settlement: return arm_deadline(p_.limits.settlement);
    default: return;
  }
}

void transport_core::arm_deadline(nanoseconds d) {
  if (deadline_ != 0) {
    link_->timers().cancel(deadline_);
    deadline_ = 0;
  }
  if (d.count() <= 0)
    return;
  deadline_ = link_->timers().schedule(d, [w = weak_from_this()] {
    if (auto self = w.lock())
      self->on_deadline();
  });
}

const char* transport_core::waiting_for() const {
  if (fx_)
    return fx_->waiting_for();
  if (kk_)
    return kk_->waiting_for();
  if (st_)
    return st_->waiting_for();
  return "nothing";
}

void transport_core::on_deadline() {
  deadline_ = 0;
  if (shutting_)
    return;
  nanoseconds limit{0};
  switch (phase()) {
    case link_phase::frames: limit = p_.limits.frames; break;
    case link_phase::noise: limit = p_.limits.noise; break;
    case link_phase::settlement:
    case link_phase::deciding: limit = p_.limits.settlement; break;
    default: return;
  }
  shutdown(make_error(transport_errc::handshake_timeout,
                      std::string{"waited "} + duration_text(limit) + " for " + waiting_for()
                        + " (" + to_string(phase()) + ")"),
           false);
}

void transport_core::arm_tick() {
  auto ka = p_.limits.keepalive;
  auto dead = p_.limits.dead_after;
  bool noise = p_.mode == transport_mode::noise_kk;
  // keep-alives are sent in noise_kk mode only; silence is watched there
  // (once the peer proved it keeps alive) or when known from the start
  bool sends = noise && ka.count() > 0;
  bool watches = dead.count() > 0 && (noise || p_.peer_keepalive_known);
  if (!sends && !watches)
    return;
  if (tick_interval_.count() == 0) {
    if (sends)
      tick_interval_ = ka;
    else
      tick_interval_ = dead / 3;
  }
  if (tick_interval_.count() <= 0)
    return;
  tick_ = link_->timers().schedule(tick_interval_, [w = weak_from_this()] {
    if (auto self = w.lock())
      self->on_tick();
  });
}

void transport_core::on_tick() {
  tick_ = 0;
  if (shutting_ || phase() != link_phase::up)
    return;
  if (rx_since_tick_)
    silent_for_ = nanoseconds{0};
  else
    silent_for_ += tick_interval_;
  rx_since_tick_ = false;
  auto dead = p_.limits.dead_after;
  if (dead.count() > 0 && (peer_keeps_alive_ || p_.peer_keepalive_known) && silent_for_ >= dead)
    return shutdown(make_error(transport_errc::peer_silent,
                               "nothing from the peer for " + duration_text(silent_for_)),
                    false);
  if (p_.mode == transport_mode::noise_kk && p_.limits.keepalive.count() > 0
      && !sent_since_tick_.exchange(false, std::memory_order_relaxed))
    send_keepalive();
  arm_tick();
}

void transport_core::send_keepalive() {
  std::lock_guard<std::mutex> guard{send_mtx_};
  if (queued_locked() > 0)
    return; // bytes are on their way already
  byte_buffer frame;
  // an empty plaintext: one frame `u16 24 | u64 counter | tag`, which the
  // reference's reader skips
  if (session_.encrypt_object({}, frame))
    return;
  auto n = frame.size();
  if (link_->write(std::move(frame))) {
    stats_.keepalives_out.fetch_add(1, std::memory_order_relaxed);
    stats_.wire_out.fetch_add(n, std::memory_order_relaxed);
  }
}

void transport_core::cancel_timers() {
  if (!link_)
    return;
  for (auto* id : {&deadline_, &tick_, &linger_})
    if (*id != 0) {
      link_->timers().cancel(*id);
      *id = 0;
    }
}

// ---- [link]: output and the end ------------------------------------------------------------

void transport_core::send_raw(byte_buffer&& bytes) {
  stats_.wire_out.fetch_add(bytes.size(), std::memory_order_relaxed);
  link_->write(std::move(bytes)); // false: the link ended, on_closed follows
}

void transport_core::send_control(byte_span plain) {
  if (p_.mode != transport_mode::noise_kk) {
    stats_.wire_out.fetch_add(plain.size(), std::memory_order_relaxed);
    link_->write(byte_buffer(plain.begin(), plain.end()));
    return;
  }
  std::lock_guard<std::mutex> guard{send_mtx_};
  byte_buffer frames;
  if (session_.encrypt_frames(plain, frames))
    return;
  stats_.wire_out.fetch_add(frames.size(), std::memory_order_relaxed);
  link_->write(std::move(frames));
}

void transport_core::on_sent() {
  if (shutting_) {
    if (!link_closing_ && link_->queued_bytes() == 0) {
      link_closing_ = true;
      link_->close();
    }
    return;
  }
  check_writable();
}

void transport_core::check_writable() {
  if (shutting_ || phase() != link_phase::up || !refused_.load(std::memory_order_relaxed))
    return;
  if (queued_bytes() > p_.max_send_queue / 2)
    return;
  refused_.store(false, std::memory_order_relaxed);
  if (p_.on_writable)
    p_.on_writable();
}

void transport_core::shutdown(caf::error err, bool flush) {
  if (shutting_)
    return;
  shutting_ = true;
  pending_err_ = std::move(err);
  cancel_timers();
  {
    std::lock_guard<std::mutex> guard{send_mtx_};
    // what was written before the end goes to the link first, as a write
    // off the link's thread would have
    flush_gathered_locked();
    phase_.store(link_phase::closing, std::memory_order_release);
  }
  if (flush && link_->queued_bytes() > 0) {
    // on_sent closes once the queue is empty; at most close_linger
    linger_ = link_->timers().schedule(p_.limits.close_linger, [w = weak_from_this()] {
      if (auto self = w.lock()) {
        self->linger_ = 0;
        if (!self->link_closing_) {
          self->link_closing_ = true;
          self->link_->close();
        }
      }
    });
    return;
  }
  link_closing_ = true;
  link_->close();
}

void transport_core::on_link_closed(const boost::system::error_code& ec) {
  auto was = phase();
  cancel_timers();
  caf::error err = std::move(pending_err_);
  if (!err) {
    std::string when;
    if (was < link_phase::up)
      when = std::string{"while waiting for "} + waiting_for() + " (" + to_string(was) + ")";
    if (ec == boost::asio::error::eof)
      err = make_error(transport_errc::peer_closed, when);
    else
      err = make_error(transport_errc::cut,
                       (ec ? ec.message() : std::string{"closed"})
                         + (when.empty() ? std::string{} : ", " + when));
  }
  shutting_ = true;
  link_closing_ = true;
  {
    std::lock_guard<std::mutex> guard{send_mtx_};
    phase_.store(link_phase::down, std::memory_order_release);
    gathered_.clear();
  }
  fx_.reset();
  kk_.reset();
  st_.reset();
  reader_.reset();
  // no callback follows on_down; dropping them breaks reference cycles
  auto on_down = std::move(p_.on_down);
  p_.on_up = nullptr;
  p_.on_data = nullptr;
  p_.on_writable = nullptr;
  p_.on_register = nullptr;
  p_.check_frame2 = nullptr;
  if (on_down)
    on_down(err);
}

} // namespace skywire::transport
