// Helpers shared by the transport discovery tests: keys, entries signed by
// one or both edges, httpauth-signed requests, the vector files.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <boost/json.hpp>

#include "messages/wire/httpauth.hpp"
#include "messages/wire/transport/entry.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "runtime/http/message.hpp"
#include "tests/support/httpauth_request.hpp"
#include "tests/support/build_paths.hpp"

namespace tpd_test {

namespace wt = skywire::wire::transport;

/// A fixed start time (unix ns) for clocks the tests drive, and one second.
constexpr int64_t t0 = 1'800'000'000'000'000'000;
constexpr int64_t sec = 1'000'000'000;

inline skywire::crypto::keypair key(const std::string& seed) {
  return skywire::crypto::deterministic_keypair(
    {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

inline wt::entry entry_of(const skywire::crypto::keypair& a, const skywire::crypto::keypair& b,
                          std::string_view type = "stcpr") {
  return skywire::crypto::make_transport_entry(a.pk, b.pk, type);
}

/// The entry signed by the given edges (an edge not given leaves its slot zero).
inline wt::signed_entry sign_by(const wt::entry& e,
                                std::initializer_list<const skywire::crypto::keypair*> signers) {
  wt::signed_entry se;
  se.entry = e;
  auto bytes = e.to_binary();
  for (auto* kp : signers)
    (void)se.set_signature(kp->pk, skywire::crypto::sign(bytes, kp->sk));
  return se;
}

inline wt::signed_entry signed_both(const skywire::crypto::keypair& a,
                                    const skywire::crypto::keypair& b,
                                    std::string_view type = "stcpr") {
  return sign_by(entry_of(a, b, type), {&a, &b});
}

/// A request signed with httpauth by kp at `nonce` (body as given).
inline skywire::http::request signed_request(skywire::http::verb method, std::string target,
                                             std::string body, const skywire::crypto::keypair& kp,
                                             uint64_t nonce,
                                             std::string remote = "192.0.2.10:40000") {
  return skywire::test::signed_request(method, std::move(target), std::move(body), kp, nonce,
                                       std::move(remote));
}

inline boost::json::object vectors(const std::string& name) {
  std::ifstream in{std::string{SKYWIRE_VECTORS_DIR} + "/skywire/" + name};
  std::stringstream ss;
  ss << in.rdbuf();
  return boost::json::parse(ss.str()).as_object();
}

inline std::string str(const boost::json::value& v) {
  return std::string{v.as_string().c_str()};
}

} // namespace tpd_test
