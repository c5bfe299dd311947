#include "actors/transport/sudph_dialer.hpp"

#include "runtime/io/shard_timers.hpp"

namespace skywire::transport {

std::shared_ptr<sudph_dialer> sudph_dialer::make(sudph_socket_ptr sock,
                                                 std::vector<endpoint> candidates,
                                                 transport_core::params p, sudph_dial_config cfg,
                                                 done_fn done) {
  return std::shared_ptr<sudph_dialer>(
    new sudph_dialer(std::move(sock), std::move(candidates), std::move(p), cfg, std::move(done)));
}

sudph_dialer::sudph_dialer(sudph_socket_ptr sock, std::vector<endpoint> candidates,
                           transport_core::params p, sudph_dial_config cfg, done_fn done)
  : sock_(std::move(sock)), candidates_(std::move(candidates)), p_(std::move(p)), cfg_(cfg),
    done_(std::move(done)) {}

sudph_dialer::~sudph_dialer() {
  if (!finished_ && core_)
    core_->abort();
}

io::timer_service& sudph_dialer::timers() {
  return io::shard_timers::of(sock_->context());
}

void sudph_dialer::start() {
  if (candidates_.empty()) {
    finish(make_error(transport_errc::invalid_argument, "sudph dial: no address to dial"));
    return;
  }
  deadline_ = timers().schedule(cfg_.total, [w = weak_from_this()] {
    if (auto self = w.lock()) {
      self->deadline_ = 0;
      auto err = self->last_ ? self->last_
                             : make_error(transport_errc::handshake_timeout, "sudph dial");
      self->finish(std::move(err));
    }
  });
  attempt();
}

void sudph_dialer::cancel() {
  if (finished_)
    return;
  done_ = nullptr;
  finish(make_error(transport_errc::closed, "sudph dial cancelled"));
}

void sudph_dialer::attempt() {
  retry_ = 0;
  if (finished_)
    return;
  auto link = sock_->dial(candidates_[next_]);
  next_ = (next_ + 1) % candidates_.size();
  if (!link) {
    finish(make_error(transport_errc::invalid_argument, "sudph dial: the socket is closed"));
    return;
  }
  ++attempts_;
  auto p = p_;
  auto w = weak_from_this();
  auto came_up = std::make_shared<bool>(false);
  p.on_down = [w, came_up, user = p_.on_down](const caf::error& err) {
    if (*came_up) {
      if (user)
        user(err);
      return;
    }
    if (auto self = w.lock(); self && !self->finished_)
      self->failed(err); // this attempt never came up: the next one
  };
  p.on_up = [w, came_up, user = p_.on_up](const established& e) {
    *came_up = true;
    auto self = w.lock();
    auto core = self ? self->core_ : nullptr;
    if (user)
      user(e);
    if (self)
      self->finish(std::move(core));
  };
  auto core = transport_core::make(std::move(p));
  if (!core) {
    finish(core.error());
    return;
  }
  core_ = *core;
  core_->start(link);
}

void sudph_dialer::failed(caf::error err) {
  last_ = std::move(err);
  core_.reset();
  // the next candidate at once; a new round after the retry delay
  if (next_ != 0) {
    attempt();
    return;
  }
  retry_ = timers().schedule(cfg_.retry_delay, [w = weak_from_this()] {
    if (auto self = w.lock())
      self->attempt();
  });
}

void sudph_dialer::finish(expected<std::shared_ptr<transport_core>> r) {
  if (finished_)
    return;
  finished_ = true;
  if (deadline_ != 0) {
    timers().cancel(deadline_);
    deadline_ = 0;
  }
  if (retry_ != 0) {
    timers().cancel(retry_);
    retry_ = 0;
  }
  if (!r && core_) { // the attempt in progress gives up with the dial
    auto c = std::exchange(core_, {});
    c->abort();
  }
  core_.reset();
  if (auto d = std::exchange(done_, {}))
    d(std::move(r));
}

} // namespace skywire::transport
