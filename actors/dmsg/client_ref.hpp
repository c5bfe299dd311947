// The current dmsg client of a process whose dmsg client is a supervised
// child that may be restarted (the visor): a plain, thread-safe holder that
// the client child's spawn function fills at every (re)start, and that its
// users (the dmsg transport type, the visor's dmsghttp log server) read and
// watch. A user monitors the client it got: when that client ends, its
// listeners and streams are gone; the next set() hands it the new one, and
// it listens again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "messages/api/dmsg.hpp"

namespace skywire::dmsg {

class client_ref {
public:
  /// (client, generation): a watcher keeps the client of the highest
  /// generation it saw (two calls may arrive out of order).
  using watch_fn = std::function<void(const api::dmsg_client_actor&, uint64_t)>;

  /// The client from now on (called by its spawn function); every watcher
  /// is told, on the caller's thread, outside the lock.
  void set(api::dmsg_client_actor client);

  /// The latest client (invalid before the first set(); it may have ended
  /// since: users monitor it).
  api::dmsg_client_actor get() const;

  /// How many times set() was called.
  uint64_t generation() const;

  /// Calls fn with every client set from now on, and at once with the
  /// current one when there is one. fn must only post (send a message).
  /// Returns a token for unwatch().
  uint64_t watch(watch_fn fn);
  void unwatch(uint64_t token);

  size_t watchers() const;

private:
  mutable std::mutex mtx_;
  api::dmsg_client_actor client_;
  uint64_t generation_ = 0;
  uint64_t next_token_ = 1;
  std::map<uint64_t, watch_fn> watchers_;
};

using client_ref_ptr = std::shared_ptr<client_ref>;

} // namespace skywire::dmsg
