// Helpers of the transport link tests: the vector identities, a recorder of a
// core's callbacks, and a scripted peer (the raw other end of a simulated
// link, through which a test injects recorded bytes and reads what the core
// wrote).
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/transport/transport_core.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/sim/sim_link.hpp"

namespace tp_test {

using namespace std::chrono_literals;
using byte_buffer = std::vector<uint8_t>;
namespace tp = skywire::transport;

inline skywire::crypto::keypair identity(std::string_view seed) {
  return skywire::crypto::deterministic_keypair(
    {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

inline skywire::byte_span bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline std::string text(const byte_buffer& b) {
  return std::string{b.begin(), b.end()};
}

/// Records what a core reports.
struct recorder {
  int ups = 0;
  int downs = 0;
  int writables = 0;
  int data_calls = 0;
  bool data_before_up = false;
  bool after_down = false;
  std::optional<tp::established> up;
  byte_buffer data;
  caf::error down;
  std::optional<skywire::wire::transport::signed_entry> registered;

  /// Installs the recording callbacks; an on_up already set is called too
  /// (after recording).
  void attach(tp::transport_core::params& p) {
    p.on_up = [this, prev = std::move(p.on_up)](const tp::established& e) {
      after_down |= downs > 0;
      ++ups;
      up = e;
      if (prev)
        prev(e);
    };
    p.on_data = [this](skywire::byte_span b) {
      after_down |= downs > 0;
      data_before_up |= ups == 0;
      ++data_calls;
      data.insert(data.end(), b.begin(), b.end());
    };
    p.on_down = [this](const caf::error& err) {
      after_down |= downs > 0;
      ++downs;
      down = err;
    };
    p.on_writable = [this] { ++writables; };
  }

  bool is_down(tp::transport_errc code) const {
    return downs == 1 && tp::is(down, code);
  }
};

/// A core's link with the raw other end in the test's hands.
class scripted_peer {
public:
  explicit scripted_peer(skywire::sim::network& net, skywire::sim::faults to_core = {},
                         skywire::sim::faults from_core = {})
    : net_(net) {
    auto [a, b] = skywire::sim::sim_link::make_pair(net, from_core, to_core);
    core_side = a;
    peer_side = b;
    skywire::io::byte_link::callbacks cbs;
    cbs.on_data = [this](byte_buffer&& b) { got.insert(got.end(), b.begin(), b.end()); };
    cbs.on_closed = [this](const boost::system::error_code&) { closed = true; };
    peer_side->start(std::move(cbs), 1 << 20);
  }

  /// Writes bytes as the peer and lets the network run a little.
  void send(skywire::byte_span b, std::chrono::nanoseconds run = 1ms) {
    CHECK(peer_side->write(byte_buffer(b.begin(), b.end())));
    net_.advance(run);
  }
  void send(std::string_view s) { send(bytes(s)); }

  /// What the core wrote since the last take().
  byte_buffer take() { return std::exchange(got, {}); }

  std::shared_ptr<skywire::sim::sim_link> core_side;
  std::shared_ptr<skywire::sim::sim_link> peer_side;
  byte_buffer got;
  bool closed = false;

private:
  skywire::sim::network& net_;
};

} // namespace tp_test
