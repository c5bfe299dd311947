// Waits on a dmsg deployment in process (tests/support/dmsg_net.hpp,
// tests/actors/transport/dmsg_world.hpp).
#pragma once

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "actors/dmsg/discovery_client.hpp"
#include "runtime/io/io_runtime.hpp"
#include "tests/support/wait.hpp"

namespace skywire::test {

/// Whether the dmsg discovery at `url` lists at least `n` servers within
/// `limit`: servers register asynchronously and the discovery reports no
/// event, so a bounded poll (false too when no client could be made).
inline bool servers_registered(io::io_runtime& io, const std::string& url, size_t n,
                               std::chrono::milliseconds limit) {
  auto dc = dmsg::discovery_client::make(io, url, std::chrono::seconds{2});
  if (!dc)
    return false;
  return eventually(
      [&] {
        std::promise<size_t> p;
        auto f = p.get_future();
        dc->all_servers(
            [&p](expected<std::vector<dmsg::entry>> r) { p.set_value(r ? r->size() : 0); });
        return f.get() >= n;
      },
      limit);
}

} // namespace skywire::test
