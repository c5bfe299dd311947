#include "actors/transport/sudph_stun.hpp"


#include "runtime/crypto/hash.hpp"
#include "runtime/io/shard_timers.hpp"

namespace skywire::transport {

namespace {

stun::transaction_id random_id() {
  stun::transaction_id id{};
  crypto::random_bytes(id);
  return id;
}

} // namespace

std::shared_ptr<sudph_stun> sudph_stun::make(sudph_socket_ptr sock, endpoint server,
                                             sudph_stun_config cfg, done_fn done) {
  return std::shared_ptr<sudph_stun>(new sudph_stun(std::move(sock), server, cfg, std::move(done)));
}

sudph_stun::sudph_stun(sudph_socket_ptr sock, endpoint server, sudph_stun_config cfg,
                       done_fn done)
  : sock_(std::move(sock)), cfg_(cfg), done_(std::move(done)),
    probe_(server, cfg_.local.value_or(sock_->local_endpoint()), &random_id) {}

sudph_stun::~sudph_stun() = default;

void sudph_stun::start() {
  sock_->set_on_stun([w = weak_from_this()](const endpoint& from, std::span<const uint8_t> b) {
    auto self = w.lock();
    if (!self || self->finished_)
      return;
    if (self->probe_.on_datagram(from, b)) {
      if (self->timer_ != 0) {
        io::shard_timers::of(self->sock_->context()).cancel(self->timer_);
        self->timer_ = 0;
      }
      self->pump();
    }
  });
  pump();
}

void sudph_stun::cancel() {
  done_ = nullptr;
  finish();
}

void sudph_stun::pump() {
  if (probe_.finished()) {
    finish();
    return;
  }
  current_ = probe_.next();
  if (!current_)
    return; // waiting for the answer
  tries_left_ = cfg_.tries;
  transmit();
}

void sudph_stun::transmit() {
  if (!current_ || finished_)
    return;
  --tries_left_;
  ++sent_;
  sock_->socket()->send_to(current_->to, current_->datagram);
  timer_ = io::shard_timers::of(sock_->context()).schedule(cfg_.timeout, [w = weak_from_this()] {
    if (auto self = w.lock()) {
      self->timer_ = 0;
      self->on_timeout();
    }
  });
}

void sudph_stun::on_timeout() {
  if (finished_)
    return;
  if (tries_left_ > 0) {
    transmit();
    return;
  }
  probe_.on_no_answer();
  pump();
}

void sudph_stun::finish() {
  if (finished_)
    return;
  finished_ = true;
  if (timer_ != 0) {
    io::shard_timers::of(sock_->context()).cancel(timer_);
    timer_ = 0;
  }
  sock_->set_on_stun(nullptr);
  if (auto d = std::exchange(done_, {}))
    d(probe_.result(), probe_.mapped());
}

} // namespace skywire::transport
