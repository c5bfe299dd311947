// Skycoin reward addresses (runtime/crypto/skycoin_address.hpp). The valid
// vector is the default reward address of the reference's `cli reward`
// (cmd/skywire-cli/commands/reward/root.go).
#include <doctest/doctest.h>

#include "runtime/crypto/skycoin_address.hpp"

using namespace skywire;

TEST_CASE("skycoin address: the reference's default is valid; damaged ones are not") {
  CHECK_FALSE(crypto::check_skycoin_address("2jBbGxZRGoQG1mqhPBnXnLTxK6oxsTf8os6"));
  CHECK(crypto::check_skycoin_address("2jBbGxZRGoQG1mqhPBnXnLTxK6oxsTf8os7")); // checksum
  CHECK(crypto::check_skycoin_address("2jBbGxZRGoQG1mqhPBnXnLTxK6oxsTf8o"));   // length
  CHECK(crypto::check_skycoin_address("0jBbGxZRGoQG1mqhPBnXnLTxK6oxsTf8os6")); // not base58
  CHECK(crypto::check_skycoin_address(""));
  CHECK(crypto::check_skycoin_address(std::string(60, '2')));
}
