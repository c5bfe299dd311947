// One setup node's stream on the visor's route setup gateway (dmsg port
// 136), as a plain class: bytes in, replies out. Calls are served against a
// gateway_backend (router_state.hpp) in the order they come:
//   ReserveIDs(n)             -> the n IDs, or "failure code 4 (...)"
//   AddIntermediaryRules(rs)  -> true, or "failure code 1 (...)"
//   AddEdgeRules(e)           -> true, or "failure code 1 (...)"
// A call the codec refuses (unknown method, bad rule bytes) is answered with
// its error; malformed gob or an argument of the wrong shape ends the stream
// (the error is returned; the owner closes it). At most max_calls calls per
// stream (a setup node makes two).
#pragma once

#include <cstdint>
#include <vector>

#include "actors/routing/router_state.hpp"
#include "messages/wire/rpc/route_gateway.hpp"

namespace skywire::routing {

class gateway_session {
public:
  gateway_session(public_key remote, gateway_backend& backend,
                  std::shared_ptr<wire::gob::process_types> proc = nullptr);

  /// Reads `in`, serves every complete call, appends the replies to `out`.
  /// An error ends the stream (what was appended to out may still be sent).
  caf::error on_bytes(byte_span in, std::vector<uint8_t>& out);

  uint64_t calls() const noexcept { return calls_; }
  uint64_t refused() const noexcept { return refused_; }

  static constexpr uint64_t max_calls = 64;

private:
  caf::error serve(const wire::rpc::route_setup::gateway_call& c, std::vector<uint8_t>& out);

  public_key remote_;
  gateway_backend& backend_;
  wire::rpc::route_setup::gateway_codec codec_;
  uint64_t calls_ = 0;
  uint64_t refused_ = 0;
};

} // namespace skywire::routing
