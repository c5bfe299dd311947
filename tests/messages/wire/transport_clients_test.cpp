// Codecs of the visor's transport-service clients: TPD entry lists, the AR's
// VisorData and /transports answers, /health, and the transport log CSV and
// its file names.
#include <doctest/doctest.h>

#include "messages/wire/health.hpp"
#include "messages/wire/transport/entry.hpp"
#include "messages/wire/transport/log_csv.hpp"
#include "wire_vectors.hpp"

using namespace skywire;
using namespace skywire::wire::transport;
using wire_test::str;
using wire_test::vectors;

namespace {

const std::string pk_a = "02dc7806760f94f273229dc0565769f7faff39b8e22e7cd44cf05a6ebcfce454be";
const std::string pk_b = "03423b3a4e823ff981b6855640b4f78846d819880fd9ee1ab829bc069ea46f67f5";

transport_id tid(std::string_view text) {
  auto id = transport_id::from_string(text);
  REQUIRE(id);
  return *id;
}

} // namespace

TEST_CASE("entry list: the vector entry in an array, null, strict elements") {
  auto json = str(vectors("transport.json").at("entry").at("json"));
  auto one = decode_entry_json(json);
  REQUIRE(one);
  auto list = decode_entry_list("[" + json + "," + json + "]\n");
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0] == *one);
  CHECK(decode_entry_list("null")->empty());
  CHECK(decode_entry_list("[]")->empty());
  CHECK_FALSE(decode_entry_list("{}"));
  CHECK_FALSE(decode_entry_list("[1]"));
  CHECK_FALSE(decode_entry_list("[" + json + ",{}]"));
  CHECK_FALSE(decode_entry_list("[" + json + "," + json + "]", 1));
  CHECK_FALSE(decode_entry_list("[" + json + "]", 10, 20));
}

TEST_CASE("health: Go's HealthCheckResponse both ways") {
  wire::health_response h;
  h.build_info = wire::build_info{"v1.3.20", "0e7420a5", "2024-03-27T16:56:02Z"};
  h.started_at = "2025-01-02T03:04:05.123Z";
  auto text = wire::encode_health(h);
  CHECK(text
        == R"({"build_info":{"version":"v1.3.20","commit":"0e7420a5",)"
           R"("date":"2024-03-27T16:56:02Z"},)"
           R"("started_at":"2025-01-02T03:04:05.123Z"})");
  auto back = wire::decode_health(text);
  REQUIRE(back);
  CHECK(*back == h);

  h.dmsg_address = pk_a + ":80";
  h.dmsg_servers = {pk_b};
  CHECK(*wire::decode_health(wire::encode_health(h)) == h);

  auto bare = wire::decode_health(R"({"started_at":"2025-01-02T03:04:05Z","other":1})");
  REQUIRE(bare);
  CHECK_FALSE(bare->build_info);
  CHECK_FALSE(wire::decode_health("{}"));
  CHECK_FALSE(wire::decode_health(R"({"started_at":5})"));
}

TEST_CASE("transport log CSV: gocsv's form, strict reader") {
  std::vector<log_row> rows{
    {tid("9ff2818c-b326-0541-9f0b-f73272312553"), 1024, 2048, 1700000000},
    {tid("0b5e21ab-0000-0c11-8000-00000000abcd"), 0, 18446744073709551615u, 1700000003},
  };
  auto text = encode_log_csv(rows);
  CHECK(text
        == "tp_id,recv,sent,time_stamp\n"
           "9ff2818c-b326-0541-9f0b-f73272312553,1024,2048,1700000000\n"
           "0b5e21ab-0000-0c11-8000-00000000abcd,0,18446744073709551615,1700000003\n");
  auto back = decode_log_csv(text);
  REQUIRE(back);
  CHECK(*back == rows);

  CHECK(encode_log_csv({}) == "tp_id,recv,sent,time_stamp\n");
  CHECK(decode_log_csv("")->empty());
  CHECK(decode_log_csv("tp_id,recv,sent,time_stamp\n")->empty());
  CHECK(decode_log_csv("tp_id,recv,sent,time_stamp")->empty());
  // CRLF and a missing last newline
  auto crlf = decode_log_csv(
    "tp_id,recv,sent,time_stamp\r\n9ff2818c-b326-0541-9f0b-f73272312553,1,2,-3");
  REQUIRE(crlf);
  CHECK((*crlf)[0].time_stamp == -3);

  const std::string header_line = "tp_id,recv,sent,time_stamp\n";
  auto row = [&](std::string line) { return header_line + line + "\n"; };
  CHECK_FALSE(decode_log_csv("tp_id,sent,recv,time_stamp\n"));
  CHECK_FALSE(decode_log_csv(row("9ff2818c-b326-0541-9f0b-f73272312553,1,2")));
  CHECK_FALSE(decode_log_csv(row("9ff2818c-b326-0541-9f0b-f73272312553,1,2,3,4")));
  CHECK_FALSE(decode_log_csv(row("9ff2818c-b326-0541-9f0b-f73272312553,1,2,3,")));
  CHECK_FALSE(decode_log_csv(row("not-a-uuid,1,2,3")));
  CHECK_FALSE(decode_log_csv(row("9ff2818c-b326-0541-9f0b-f73272312553,-1,2,3")));
  CHECK_FALSE(decode_log_csv(row("9ff2818c-b326-0541-9f0b-f73272312553,18446744073709551616,2,3")));
  CHECK_FALSE(decode_log_csv(row("9ff2818c-b326-0541-9f0b-f73272312553,01,2,3")));
  CHECK_FALSE(decode_log_csv(row("9ff2818c-b326-0541-9f0b-f73272312553,1,2,3x")));
  CHECK_FALSE(decode_log_csv(row("\"9ff2818c-b326-0541-9f0b-f73272312553\",1,2,3")));
  CHECK_FALSE(decode_log_csv(header_line + "\n9ff2818c-b326-0541-9f0b-f73272312553,1,2,3\n"));
  CHECK_FALSE(decode_log_csv(text, 1));
  CHECK_FALSE(decode_log_csv(text, 10, 20));
}

TEST_CASE("transport log file names: UTC days, only real dates") {
  CHECK(log_file_name(0) == "1970-01-01.csv");
  CHECK(log_file_name(1700000000) == "2023-11-14.csv");    // 22:13:20 UTC
  CHECK(log_file_name(1709251199) == "2024-02-29.csv");    // last second of a leap day
  CHECK(log_file_name(1709251200) == "2024-03-01.csv");
  CHECK(utc_day_start(1700000000) == 1699920000);
  CHECK(parse_log_file_name("2023-11-14.csv") == std::optional<int64_t>{1699920000});
  CHECK(parse_log_file_name("2024-02-29.csv") == std::optional<int64_t>{1709164800});
  for (const char* bad : {"2023-02-29.csv", "2023-13-01.csv", "2023-00-10.csv", "2023-11-31.csv",
                          "1969-12-31.csv", "2023-11-14.CSV", "2023-11-14.csv.tmp", "2023-1-14.csv",
                          "2023_11_14.csv", "../2023-11-14", "2023-11-14.cs", "x023-11-14.csv",
                          "", "2023-11-1a.csv", "+023-11-14.csv"})
    CHECK_MESSAGE(!parse_log_file_name(bad), bad);
}
