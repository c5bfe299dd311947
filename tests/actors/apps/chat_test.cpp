// skychat's plain parts: the history file (bounds, corrupt and oversized
// files), the web API's framing, answers and Server-Sent Events, the POST
// body, --addr.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "actors/apps/chat_history.hpp"
#include "actors/apps/chat_web.hpp"

using namespace skywire;
using namespace skywire::apps;

namespace {

public_key key_of(uint8_t b) {
  public_key pk;
  pk.bytes.fill(b);
  pk.bytes[0] = 0x02;
  return pk;
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path()
           / ("skychat-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("chat history: a line encodes and decodes") {
  chat_entry e{1700000000123, key_of(7), true, "hello <world> \xff"};
  auto line = encode_chat_entry(e);
  CHECK(line.find("\"dir\":\"in\"") != std::string::npos);
  CHECK(line.find("\\u003cworld\\u003e") != std::string::npos);
  CHECK(line.find("\\ufffd") != std::string::npos); // invalid UTF-8, as Go writes it
  auto back = decode_chat_entry(line);
  REQUIRE(back);
  CHECK(back->time_ms == e.time_ms);
  CHECK(back->peer == e.peer);
  CHECK(back->incoming);
  CHECK(back->message == "hello <world> \xef\xbf\xbd");
  CHECK_FALSE(decode_chat_entry(R"({"time":1,"peer":"zz","dir":"in","message":"x"})"));
  CHECK_FALSE(decode_chat_entry(R"({"time":1,"peer":")" + key_of(1).hex()
                                + R"(","dir":"sideways","message":"x"})"));
  CHECK_FALSE(decode_chat_entry("{\"time\":1,"));
}

TEST_CASE("chat history: appended, kept across a reload, bounded in entries") {
  temp_dir d;
  auto file = d.path / "history.jsonl";
  chat_history::limits lim;
  lim.max_entries = 5;
  {
    chat_history h(file, lim);
    REQUIRE_FALSE(h.load()); // missing file: empty
    CHECK(h.entries().empty());
    for (int i = 0; i < 8; ++i)
      REQUIRE_FALSE(h.append({i, key_of(1), i % 2 == 0, "m" + std::to_string(i)}));
    REQUIRE(h.entries().size() == 5);
    CHECK(h.entries().front().message == "m3");
    CHECK(h.entries().back().message == "m7");
  }
  chat_history again(file, lim);
  REQUIRE_FALSE(again.load());
  REQUIRE(again.entries().size() == 5);
  CHECK(again.entries().front().message == "m3");
  CHECK(again.entries().back().message == "m7");
  CHECK_FALSE(again.entries().back().incoming);
}

TEST_CASE("chat history: a corrupt file loses only its bad lines, and is rewritten clean") {
  temp_dir d;
  auto file = d.path / "history.jsonl";
  {
    std::ofstream out(file, std::ios::binary);
    out << encode_chat_entry({1, key_of(2), true, "first"}) << '\n';
    out << "garbage that is not json\n";
    out << std::string(300 * 1024, 'x') << '\n'; // an oversized line
    out << encode_chat_entry({2, key_of(2), false, "second"}) << '\n';
    out << R"({"time":3,"peer":")" << key_of(2).hex() << R"(","dir":"in","mess)"; // torn
  }
  chat_history h(file);
  REQUIRE_FALSE(h.load());
  CHECK(h.skipped() == 3);
  REQUIRE(h.entries().size() == 2);
  CHECK(h.entries()[0].message == "first");
  CHECK(h.entries()[1].message == "second");
  // rewritten without the bad lines
  auto text = read_all(file);
  CHECK(text.find("garbage") == std::string::npos);
  CHECK(text.size() < 1024);
  chat_history again(file);
  REQUIRE_FALSE(again.load());
  CHECK(again.skipped() == 0);
  CHECK(again.entries().size() == 2);
}

TEST_CASE("chat history: the file stays under its byte bound; an oversized file is read from its tail") {
  temp_dir d;
  auto file = d.path / "history.jsonl";
  chat_history::limits lim;
  lim.max_file_bytes = 4096;
  lim.max_message = 100;
  {
    chat_history h(file, lim);
    REQUIRE_FALSE(h.load());
    for (int i = 0; i < 200; ++i)
      REQUIRE_FALSE(h.append({i, key_of(3), true, std::string(500, 'a') + std::to_string(i)}));
    CHECK(h.entries().back().message.size() == 100); // cut to max_message
    CHECK(std::filesystem::file_size(file) <= lim.max_file_bytes);
  }
  // a file far over the bound (written by someone else): only its tail is read
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    for (int i = 0; i < 2000; ++i)
      out << encode_chat_entry({i, key_of(4), true, "line " + std::to_string(i)}) << '\n';
  }
  chat_history h(file, lim);
  REQUIRE_FALSE(h.load());
  REQUIRE_FALSE(h.entries().empty());
  CHECK(h.entries().back().message == "line 1999");
  CHECK(std::filesystem::file_size(file) <= lim.max_file_bytes);
}

TEST_CASE("chat web: --addr as the reference reads it, but loopback unless a host is given") {
  auto a = parse_web_addr(":8001");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8001);
  auto all = parse_web_addr("*:9000");
  REQUIRE(all);
  CHECK(all->host.empty());
  auto h = parse_web_addr("[::1]:80");
  REQUIRE(h);
  CHECK(h->host == "::1");
  CHECK_FALSE(parse_web_addr("8001"));
  CHECK_FALSE(parse_web_addr(":99999"));
  CHECK_FALSE(parse_web_addr(":x"));
}

TEST_CASE("chat web: a request is framed by its header and Content-Length") {
  size_t total = 0;
  CHECK(frame_request("GET / HTTP/1.1\r\nHost: x\r\n", 100, total) == frame_status::need_more);
  CHECK(frame_request("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 100, total) == frame_status::complete);
  CHECK(total == 27);
  std::string post = "POST /message HTTP/1.1\r\ncontent-length: 5\r\n\r\nab";
  CHECK(frame_request(post, 100, total) == frame_status::need_more);
  post += "cde";
  CHECK(frame_request(post, 100, total) == frame_status::complete);
  CHECK(total == post.size());
  CHECK(frame_request("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 100, total)
        == frame_status::refused);
  CHECK(frame_request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 100, total)
        == frame_status::refused);
  CHECK(frame_request("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 100, total)
        == frame_status::refused);
  CHECK(frame_request(std::string(9000, 'a'), 100, total) == frame_status::refused);
}

TEST_CASE("chat web: SSE events as the reference writes them, in chunks") {
  auto pk = key_of(9);
  CHECK(sse_event(pk, "hi") == "data: {\"message\":\"hi\",\"sender\":\"" + pk.hex() + "\"}\n\n");
  CHECK(sse_event(pk, "a\"b\n<")
        == "data: {\"message\":\"a\\\"b\\n\\u003c\",\"sender\":\"" + pk.hex() + "\"}\n\n");
  CHECK(http_chunk("hello") == "5\r\nhello\r\n");
  CHECK(http_chunk(std::string(26, 'z')) == "1a\r\n" + std::string(26, 'z') + "\r\n");
  auto head = sse_head();
  CHECK(head.find("Content-Type: text/event-stream\r\n") != std::string::npos);
  CHECK(head.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  CHECK(http_response(200, "", "") == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST_CASE("chat web: the POST /message body") {
  auto pk = key_of(5);
  auto p = parse_chat_post(R"({"recipient":")" + pk.hex() + R"(","message":"hello"})");
  REQUIRE(p);
  CHECK(p->recipient == pk);
  CHECK(p->message == "hello");
  CHECK_FALSE(parse_chat_post(R"({"recipient":"nope","message":"hello"})"));
  CHECK_FALSE(parse_chat_post(R"({"recipient":")" + pk.hex() + R"(","message":""})"));
  CHECK_FALSE(parse_chat_post(R"({"recipient":")" + pk.hex() + R"(","message":5})"));
  CHECK_FALSE(parse_chat_post(R"({"recipient":")" + pk.hex() + R"(","message":")"
                              + std::string(max_chat_message + 1, 'a') + "\"}"));
  CHECK(parse_chat_post(R"({"recipient":")" + pk.hex() + R"(","message":")"
                        + std::string(max_chat_message, 'a') + "\"}"));
  CHECK_FALSE(parse_chat_post("not json"));
}

TEST_CASE("chat web: /history is the entries as a JSON array") {
  std::deque<chat_entry> es{{1, key_of(1), true, "a"}, {2, key_of(2), false, "b"}};
  auto j = history_json(es);
  CHECK(j.front() == '[');
  CHECK(j.back() == ']');
  CHECK(j == "[" + encode_chat_entry(es[0]) + "," + encode_chat_entry(es[1]) + "]");
  CHECK(history_json({}) == "[]");
  CHECK(chat_page().find("EventSource('/sse')") != std::string_view::npos);
}
