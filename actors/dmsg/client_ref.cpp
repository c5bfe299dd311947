#include "actors/dmsg/client_ref.hpp"

#include <vector>

namespace skywire::dmsg {

void client_ref::set(api::dmsg_client_actor client) {
  std::vector<watch_fn> fns;
  uint64_t gen = 0;
  {
    std::lock_guard<std::mutex> g{mtx_};
    client_ = client;
    gen = ++generation_;
    fns.reserve(watchers_.size());
    for (auto& kv : watchers_)
      fns.push_back(kv.second);
  }
  for (auto& fn : fns)
    fn(client, gen);
}

api::dmsg_client_actor client_ref::get() const {
  std::lock_guard<std::mutex> g{mtx_};
  return client_;
}

uint64_t client_ref::generation() const {
  std::lock_guard<std::mutex> g{mtx_};
  return generation_;
}

uint64_t client_ref::watch(watch_fn fn) {
  api::dmsg_client_actor now;
  uint64_t token = 0;
  uint64_t gen = 0;
  {
    std::lock_guard<std::mutex> g{mtx_};
    token = next_token_++;
    watchers_.emplace(token, fn);
    now = client_;
    gen = generation_;
  }
  if (now && fn)
    fn(now, gen);
  return token;
}

void client_ref::unwatch(uint64_t token) {
  std::lock_guard<std::mutex> g{mtx_};
  watchers_.erase(token);
}

size_t client_ref::watchers() const {
  std::lock_guard<std::mutex> g{mtx_};
  return watchers_.size();
}

} // namespace skywire::dmsg
