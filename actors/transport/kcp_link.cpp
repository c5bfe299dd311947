#include "actors/transport/kcp_link.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "runtime/io/shard_timers.hpp"

namespace skywire::transport {

namespace {

/// Longest wait, after close(), for the peer to acknowledge what we sent.
constexpr int64_t close_linger_ms = 5000;

} // namespace

io::kcp::settings sudph_kcp_settings() {
  io::kcp::settings s;
  s.mode = io::kcp::write_mode::packet;
  s.ack_nodelay = true;
  // kcp-go's 32-segment windows carry ~44 KB per round trip; ours are
  // larger. Wire-compatible: our receive window is what each segment
  // advertises (wnd), and what we send stays within the window the peer
  // advertises (a kcp-go peer: 32), so only links between our visors use it.
  s.snd_wnd = 256;
  s.rcv_wnd = 256;
  return s;
}

int64_t kcp_link::steady_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

std::shared_ptr<kcp_link> kcp_link::make(boost::asio::io_context& ctx, io::udp_socket_ptr sock,
                                         endpoint remote, uint32_t conv, io::kcp::settings s) {
  kcp_link_env env;
  env.send = [sock, remote](std::span<const uint8_t> d) {
    if (sock->is_open())
      sock->send_to(remote, d); // a refused send is KCP's to retransmit
  };
  env.send_many = [sock, remote](std::span<const std::span<const uint8_t>> ds) {
    if (sock->is_open())
      sock->send_batch(remote, ds);
  };
  env.timers = &io::shard_timers::of(ctx);
  env.now_ms = &kcp_link::steady_ms;
  env.post = [&ctx](std::function<void()> fn) { boost::asio::post(ctx, std::move(fn)); };
  return make(std::move(env), remote, conv, s);
}

std::shared_ptr<kcp_link> kcp_link::make(kcp_link_env env, endpoint remote, uint32_t conv,
                                         io::kcp::settings s) {
  return std::shared_ptr<kcp_link>(new kcp_link(std::move(env), remote, conv, s));
}

namespace {

/// The control block holds its ACKs: the link sends them after each input
/// or batch, once the reader had the bytes (ack_nodelay as the link does it).
io::kcp::settings without_ack_nodelay(io::kcp::settings s) {
  s.ack_nodelay = false;
  return s;
}

/// Datagrams gathered before they leave together.
constexpr size_t max_gathered = 64;

} // namespace

kcp_link::kcp_link(kcp_link_env env, endpoint remote, uint32_t conv, io::kcp::settings s)
  : env_(std::move(env)), remote_(remote), conv_(conv),
    kcb_(conv, without_ack_nodelay(s), [this](std::span<const uint8_t> d) { output(d); }),
    last_input_ms_(env_.now_ms()), ack_nodelay_(s.ack_nodelay) {}

kcp_link::~kcp_link() = default;

void kcp_link::output(std::span<const uint8_t> datagram) {
  if (!corked_ || !env_.send_many) {
    env_.send(datagram);
    return;
  }
  out_bytes_.insert(out_bytes_.end(), datagram.begin(), datagram.end());
  out_sizes_.push_back(datagram.size());
  if (out_sizes_.size() >= max_gathered)
    flush_output();
}

void kcp_link::flush_output() {
  if (out_sizes_.empty())
    return;
  std::array<std::span<const uint8_t>, max_gathered> parts;
  size_t off = 0;
  for (size_t i = 0; i < out_sizes_.size(); ++i) {
    parts[i] = {out_bytes_.data() + off, out_sizes_[i]};
    off += out_sizes_[i];
  }
  env_.send_many({parts.data(), out_sizes_.size()});
  out_bytes_.clear();
  out_sizes_.clear();
}

void kcp_link::start(callbacks cbs, size_t max_read) {
  cbs_ = std::move(cbs);
  max_read_ = std::max<size_t>(max_read, 1);
  env_.post([w = weak_from_this()] {
    if (auto self = w.lock()) {
      self->started_ = true;
      if (self->ended_) { // ended before it started: report it now
        auto cbs = std::exchange(self->cbs_, {});
        if (cbs.on_closed)
          cbs.on_closed(boost::asio::error::operation_aborted);
        return;
      }
      self->pump();
    }
  });
}

namespace {

/// The link whose pump() runs on this thread (none: nullptr).
thread_local const void* pumping_link = nullptr;

} // namespace

bool kcp_link::write(io::byte_buffer&& bytes) {
  if (bytes.empty())
    return true;
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (closed_ || queued_ + bytes.size() > max_queued_)
      return false;
    queued_ += bytes.size();
    queue_.push_back(std::move(bytes));
  }
  if (pumping_link == this)
    repump_ = true; // this pump feeds it before it ends
  else
    request_pump();
  return true;
}

bool kcp_link::write_parts(std::span<const std::span<const uint8_t>> parts) {
  size_t n = 0;
  for (auto p : parts)
    n += p.size();
  io::byte_buffer b;
  b.reserve(n);
  for (auto p : parts)
    b.insert(b.end(), p.begin(), p.end());
  return write(std::move(b));
}

void kcp_link::request_pump() {
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (pump_posted_)
      return;
    pump_posted_ = true;
  }
  env_.post([w = weak_from_this()] {
    if (auto self = w.lock()) {
      {
        std::lock_guard<std::mutex> g{self->mtx_};
        self->pump_posted_ = false;
      }
      if (self->started_)
        self->pump();
    }
  });
}

void kcp_link::pause_reading() {
  post([this] { paused_ = true; });
}

void kcp_link::resume_reading() {
  post([this] {
    paused_ = false;
    pump();
  });
}

void kcp_link::close() {
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (closed_)
      return;
    closed_ = true;
  }
  post([this] {
    if (ended_)
      return;
    // linger until the peer acknowledged what is queued (bounded)
    timers().schedule(std::chrono::milliseconds{close_linger_ms}, [w = weak_from_this()] {
      if (auto self = w.lock())
        self->end(boost::asio::error::timed_out);
    });
    pump();
  });
}

void kcp_link::abandon() {
  {
    std::lock_guard<std::mutex> g{mtx_};
    closed_ = true;
  }
  end(boost::asio::error::operation_aborted);
}

size_t kcp_link::queued_bytes() const {
  std::lock_guard<std::mutex> g{mtx_};
  return queued_;
}

void kcp_link::set_max_queued(size_t n) {
  std::lock_guard<std::mutex> g{mtx_};
  max_queued_ = n;
}

std::string kcp_link::remote_endpoint() const {
  return remote_.address().to_string() + ":" + std::to_string(remote_.port());
}

io::timer_service& kcp_link::timers() {
  return *env_.timers;
}

void kcp_link::post(std::function<void()> fn) {
  env_.post([w = weak_from_this(), fn = std::move(fn)] {
    if (auto self = w.lock())
      fn();
  });
}

bool kcp_link::apply_input(std::span<const uint8_t> datagram) {
  if (ended_)
    return false;
  auto now = env_.now_ms();
  if (auto err = kcb_.input(datagram, static_cast<io::kcp::millis>(now));
      err && err.category() != io::kcp::kcp_category()) {
    ++refused_; // not KCP of this conversation: nothing applied
    return false;
  }
  last_input_ms_ = now;
  heard_ = true;
  return true;
}

void kcp_link::input(std::span<const uint8_t> datagram) {
  if (!apply_input(datagram))
    return;
  in_batch_ = true;
  end_batch();
}

bool kcp_link::input_batched(std::span<const uint8_t> datagram) {
  if (!apply_input(datagram) || in_batch_)
    return false;
  in_batch_ = true;
  return true;
}

void kcp_link::end_batch() {
  if (!std::exchange(in_batch_, false) || ended_)
    return;
  auto self = shared_from_this(); // the reader may drop its reference
  cork c{*this};
  if (started_)
    pump();
  if (ack_nodelay_ && !ended_)
    kcb_.send_acks();
}

void kcp_link::feed() {
  size_t moved = 0;
  {
    std::lock_guard<std::mutex> g{mtx_};
    while (!queue_.empty()) {
      auto& front = queue_.front();
      std::span<const uint8_t> rest{front.data() + queue_head_, front.size() - queue_head_};
      auto r = kcb_.send(rest);
      moved += r.accepted;
      queue_head_ += r.accepted;
      if (queue_head_ == front.size()) {
        queue_.pop_front();
        queue_head_ = 0;
      }
      if (r.status != io::kcp::send_status::ok)
        break;
    }
    queued_ -= moved;
  }
  // every write waits in the queue for the shard: all of them are reported
  if (moved > 0 && cbs_.on_sent)
    cbs_.on_sent(moved);
}

void kcp_link::deliver() {
  while (!paused_ && !ended_) {
    auto size = kcb_.peek_size();
    if (!size)
      return;
    rx_.resize(std::max<size_t>(*size, 1));
    auto got = kcb_.recv_message(std::span<uint8_t>{rx_.data(), rx_.size()});
    if (!got)
      return;
    if (*got == 0)
      continue; // an empty message carries nothing for a byte stream
    if (cbs_.on_span)
      cbs_.on_span(std::span<const uint8_t>{rx_.data(), *got});
    else if (cbs_.on_data)
      cbs_.on_data(io::byte_buffer(rx_.begin(), rx_.begin() + static_cast<ptrdiff_t>(*got)));
  }
}

void kcp_link::pump() {
  if (ended_)
    return;
  cork c{*this};
  struct pumping {
    const void* outer;
    explicit pumping(const void* l) : outer(std::exchange(pumping_link, l)) {}
    ~pumping() { pumping_link = outer; }
  } mark{this};
  // once, then again for what the reader wrote meanwhile (bounded: a
  // reader that keeps writing is served by the posted pump of its later
  // writes)
  int round = 0;
  do {
    repump_ = false;
    feed();
    kcb_.update(static_cast<io::kcp::millis>(env_.now_ms()));
    feed(); // the flush may have opened the window
    deliver();
  } while (repump_ && ++round < 5 && !ended_);
  if (repump_) {
    repump_ = false;
    request_pump();
  }
  if (ended_)
    return;
  if (kcb_.dead()) {
    end(boost::asio::error::timed_out);
    return;
  }
  bool closing;
  {
    std::lock_guard<std::mutex> g{mtx_};
    closing = closed_ && queue_.empty();
  }
  // a peer never heard from acknowledges nothing: no reason to wait for it
  if (closing && (kcb_.waiting() == 0 || !heard_)) {
    end({});
    return;
  }
  schedule();
}

void kcp_link::schedule() {
  // a quiet link waits for a datagram or a write (both pump), not the
  // interval: an idle sudph transport or AR channel wakes its shard only for
  // its keepalives
  if (kcb_.quiet())
    return;
  auto now = env_.now_ms();
  auto n32 = static_cast<io::kcp::millis>(now);
  auto delay = static_cast<int64_t>(static_cast<uint32_t>(kcb_.check(n32) - n32));
  auto due = now + delay;
  if (timer_ != 0) {
    if (timer_due_ <= due)
      return;
    timers().cancel(timer_);
    timer_ = 0;
  }
  timer_due_ = due;
  timer_ = timers().schedule(std::chrono::milliseconds{delay}, [w = weak_from_this()] {
    if (auto self = w.lock()) {
      self->timer_ = 0;
      self->pump();
    }
  });
}

void kcp_link::end(const boost::system::error_code& ec) {
  if (ended_)
    return;
  ended_ = true;
  if (timer_ != 0) {
    timers().cancel(timer_);
    timer_ = 0;
  }
  {
    std::lock_guard<std::mutex> g{mtx_};
    closed_ = true;
    queue_.clear();
    queued_ = 0;
  }
  if (auto d = std::exchange(detach_, {}))
    d(*this);
  if (!started_)
    return; // start()'s turn on the shard reports it
  auto cbs = std::exchange(cbs_, {});
  if (cbs.on_closed)
    cbs.on_closed(ec);
}

} // namespace skywire::transport
