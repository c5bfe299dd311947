#include "runtime/http/responder.hpp"

#include <atomic>

namespace skywire::http {

struct responder::state {
  deliver_fn deliver;
  std::atomic<bool> done{false};

  explicit state(deliver_fn f) : deliver(std::move(f)) {}
  ~state() {
    if (!done.exchange(true) && deliver) {
      try {
        deliver(make_response(500, R"({"message":"request dropped by its handler","code":500})"));
      } catch (...) {
        // a destructor never throws
      }
    }
  }
};

responder::responder(deliver_fn deliver) : st_(std::make_shared<state>(std::move(deliver))) {}

bool responder::send(response r) const {
  if (!st_ || st_->done.exchange(true))
    return false;
  st_->deliver(std::move(r));
  return true;
}

bool responder::pending() const noexcept {
  return st_ && !st_->done.load();
}

} // namespace skywire::http
