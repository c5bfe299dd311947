#include <doctest/doctest.h>

#include "messages/ids.hpp"

using namespace skywire;

TEST_CASE("public key hex round trip and null forms") {
  auto pk = public_key::from_hex("03423b3a0c3b2f4d5b0a1f9e8d7c6b5a4938271605f4e3d2c1b0a9f8e7d6c567f5");
  REQUIRE(pk);
  CHECK(pk->hex() == "03423b3a0c3b2f4d5b0a1f9e8d7c6b5a4938271605f4e3d2c1b0a9f8e7d6c567f5");
  auto null = public_key::from_hex("");
  REQUIRE(null);
  CHECK(null->is_null());
  CHECK_FALSE(public_key::from_hex("04ab"));
  CHECK_FALSE(public_key::from_hex(std::string(66, 'g')));
}

TEST_CASE("transport id text form") {
  auto id = transport_id::from_string("c6e0e33b-3ffb-0de4-ae5e-27e85caaace1");
  REQUIRE(id);
  CHECK(id->to_string() == "c6e0e33b-3ffb-0de4-ae5e-27e85caaace1");
  CHECK_FALSE(transport_id::from_string("c6e0e33b3ffb-0de4-ae5e-27e85caaace1x"));
}
