// The sky-forwarding opening exchange (messages/wire/apps/skyfwd.hpp).
// Vectors: what the Go visor writes — json.Marshal(clientMsg{Port: 8080})
// and json.Marshal(serverReply{}) / serverReply{Error: &"Port :8080 not
// registered"} (pkg/visor/init.go, struct tags `json:"port"` and
// `json:"error,omitempty"`).
#include <doctest/doctest.h>

#include "messages/wire/apps/skyfwd.hpp"

using namespace skywire;
using namespace skywire::wire::apps;

TEST_CASE("skyfwd: the port request, byte for byte as Go writes it") {
  CHECK(encode_fwd_request(8080) == R"({"port":8080})");
  CHECK(encode_fwd_request(1) == R"({"port":1})");
  CHECK(*decode_fwd_request(R"({"port":8080})") == 8080);
  CHECK(*decode_fwd_request(" {\"port\": 65535}\n") == 65535);
  CHECK(*decode_fwd_request(R"({"other":1,"port":22})") == 22); // unknown fields ignored
  CHECK_FALSE(decode_fwd_request(R"({"port":65536})"));
  CHECK_FALSE(decode_fwd_request(R"({"port":-1})"));
  CHECK_FALSE(decode_fwd_request(R"({"port":"80"})"));
  CHECK_FALSE(decode_fwd_request(R"({})"));
  CHECK_FALSE(decode_fwd_request(R"([80])"));
  CHECK_FALSE(decode_fwd_request("GET / HTTP/1.1\r\n\r\n"));
  CHECK_FALSE(decode_fwd_request(""));
  std::string big = R"({"port":80,"x":")" + std::string(max_fwd_message, 'a') + "\"}";
  CHECK_FALSE(decode_fwd_request(big));
}

TEST_CASE("skyfwd: the server's reply, byte for byte as Go writes it") {
  CHECK(encode_fwd_reply(std::nullopt) == "{}");
  CHECK(encode_fwd_reply(fwd_not_registered(8080)) == R"({"error":"Port :8080 not registered"})");
  CHECK(encode_fwd_reply(fwd_cannot_dial(81)) == R"({"error":"Failed to dial port 81"})");
  CHECK(encode_fwd_reply(std::string{"<&>"}) == R"({"error":"\u003c\u0026\u003e"})");
  auto ok = decode_fwd_reply("{}");
  REQUIRE(ok);
  CHECK_FALSE(ok->has_value());
  auto null_error = decode_fwd_reply(R"({"error":null})");
  REQUIRE(null_error);
  CHECK_FALSE(null_error->has_value());
  auto refused = decode_fwd_reply(R"({"error":"Port :8080 not registered"})");
  REQUIRE(refused);
  REQUIRE(refused->has_value());
  CHECK(**refused == "Port :8080 not registered");
  CHECK_FALSE(decode_fwd_reply(R"({"error":5})"));
  CHECK_FALSE(decode_fwd_reply("HTTP/1.1 200 OK\r\n"));
  CHECK_FALSE(decode_fwd_reply("[]"));
}
