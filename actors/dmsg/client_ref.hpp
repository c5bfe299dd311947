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

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

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

/// For an actor that follows a client_ref (listeners that must listen again
/// on every new client): the client it holds and that client's generation.
struct followed_client {
  api::dmsg_client_actor client;
  uint64_t generation = 0;

  /// Watches `ref` for `self`: every client set reaches it as
  /// (Atom, client, generation). Returns the token for unwatch().
  template <class Atom, class Self>
  static uint64_t watch(client_ref& ref, Self* self, Atom) {
    auto a = caf::actor_cast<caf::actor>(self);
    return ref.watch([a](const api::dmsg_client_actor& c, uint64_t gen) {
      caf::anon_send(a, Atom::value, c, gen);
    });
  }

  /// Takes (c, gen) when it is newer than the client held: the old one is
  /// demonitored, the new one monitored. False when it was ignored.
  template <class Self>
  bool adopt(Self* self, const api::dmsg_client_actor& c, uint64_t gen) {
    if (gen <= generation || !c)
      return false;
    generation = gen;
    if (client)
      self->demonitor(client.address());
    client = c;
    self->monitor(client);
    return true;
  }
};

} // namespace skywire::dmsg
