// A request to an httpauth-guarded service as the server sees it after
// parsing, signed by a key pair, for tests of the services' API classes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "messages/wire/httpauth.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/message.hpp"

namespace skywire::test {

/// A request signed with httpauth by kp at `nonce` (body as given), from
/// `remote` ("ip:port").
inline http::request signed_request(http::verb method, std::string target, std::string body,
                                    const crypto::keypair& kp, uint64_t nonce,
                                    std::string remote) {
  http::request r;
  r.method = method;
  r.target = target;
  r.path = target.substr(0, target.find('?'));
  if (auto q = target.find('?'); q != std::string::npos)
    r.query = target.substr(q + 1);
  r.body = std::move(body);
  r.remote = std::move(remote);
  auto payload = wire::httpauth_payload(r.body, nonce);
  auto sig = crypto::sign(payload, kp.sk);
  r.headers = wire::httpauth_header_list({kp.pk, nonce, sig, std::nullopt});
  return r;
}

} // namespace skywire::test
