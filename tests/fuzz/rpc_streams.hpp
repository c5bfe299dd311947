// Fuzz input as the two directions of a Go net/rpc connection: byte 0 picks
// a chunk size (1..32), the rest is fed in chunks to a server codec (calls)
// and a client codec (answers); every complete call / answer is handed to
// the target's checks. A codec error ends that direction, as it ends a
// connection.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "messages/wire/rpc/net_rpc.hpp"

namespace skywire::fuzz {

template <class OnRequest, class OnResponse>
void feed_rpc_streams(const uint8_t* data, size_t size, const wire::gob::limits& lim,
                      OnRequest on_request, OnResponse on_response) {
  if (size == 0)
    return;
  size_t chunk = 1 + data[0] % 32;
  std::span<const uint8_t> in{data + 1, size - 1};
  wire::rpc::server_codec sc{nullptr, lim};
  wire::rpc::client_codec cc{nullptr, lim};
  bool server_ok = true, client_ok = true;
  for (size_t pos = 0; pos < in.size(); pos += chunk) {
    auto piece = in.subspan(pos, std::min(chunk, in.size() - pos));
    if (server_ok) {
      sc.feed(piece);
      for (int k = 0; k < 1000; ++k) {
        auto r = sc.next_request();
        if (!r) {
          server_ok = false;
          break;
        }
        if (!*r)
          break;
        on_request(sc.decoder(), **r);
      }
    }
    if (client_ok) {
      cc.feed(piece);
      for (int k = 0; k < 1000; ++k) {
        auto r = cc.next_response();
        if (!r) {
          client_ok = false;
          break;
        }
        if (!*r)
          break;
        on_response(cc.decoder(), **r);
      }
    }
  }
}

} // namespace skywire::fuzz
