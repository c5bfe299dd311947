#include <doctest/doctest.h>

#include "messages/wire/yamux/fragment_splitter.hpp"
#include "messages/wire/yamux/frame.hpp"
#include "tests/messages/gob/vectors.hpp"

using namespace skywire;
using namespace skywire::wire::yamux;
using skywire::test::hex;
using skywire::test::str;
using skywire::test::unhex;
using skywire::test::unhexv;

namespace {

frame_type type_from_name(const std::string& n) {
  if (n == "data") return frame_type::data;
  if (n == "window_update") return frame_type::window_update;
  if (n == "ping") return frame_type::ping;
  if (n == "go_away") return frame_type::go_away;
  FAIL("unknown type name " << n);
  return frame_type::data;
}

uint16_t flags_from_name(const std::string& n) {
  if (n == "none") return 0;
  uint16_t out = 0;
  size_t start = 0;
  while (start <= n.size()) {
    auto end = n.find('|', start);
    auto part = n.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part == "SYN") out |= flag::syn;
    else if (part == "ACK") out |= flag::ack;
    else if (part == "FIN") out |= flag::fin;
    else if (part == "RST") out |= flag::rst;
    else FAIL("unknown flag " << part);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// Checks that `bytes` parse into exactly the frames listed, and that the
// frames re-encode to the same bytes.
void check_frames(const std::vector<uint8_t>& bytes, const boost::json::array& frames) {
  frame_reader reader;
  reader.feed(bytes);
  std::vector<uint8_t> reencoded;
  for (auto& jf : frames) {
    auto& f = jf.as_object();
    auto got = reader.next();
    REQUIRE(got);
    REQUIRE(got->has_value());
    auto& fr = **got;
    auto enc = encode(fr.hdr);
    CHECK(hex({enc.begin(), enc.end()}) == str(f.at("header_hex")));
    CHECK(fr.hdr.version == f.at("version").as_int64());
    CHECK(fr.hdr.type == type_from_name(str(f.at("type"))));
    CHECK(fr.hdr.flags == flags_from_name(str(f.at("flags"))));
    CHECK(fr.hdr.stream_id == f.at("stream_id").as_int64());
    CHECK(fr.hdr.length == f.at("length").as_int64());
    if (auto* b = f.if_contains("body_hex"))
      CHECK(hex({fr.body.begin(), fr.body.end()}) == str(*b));
    else
      CHECK(fr.body.empty());
    // Encode from the JSON fields alone.
    header h{static_cast<uint8_t>(f.at("version").as_int64()), type_from_name(str(f.at("type"))),
             flags_from_name(str(f.at("flags"))),
             static_cast<uint32_t>(f.at("stream_id").as_int64()),
             static_cast<uint32_t>(f.at("length").as_int64())};
    std::vector<uint8_t> body;
    if (auto* b = f.if_contains("body_hex"))
      body = unhexv(*b);
    append_frame(reencoded, h, body);
  }
  auto rest = reader.next();
  REQUIRE(rest);
  CHECK_FALSE(rest->has_value());
  CHECK(reader.buffered() == 0);
  CHECK(hex(reencoded) == hex(bytes));
}

} // namespace

TEST_CASE("yamux examples from the reference") {
  auto v = test::load_vectors("skywire/dmsg.json");
  auto& y = v.at("yamux").as_object();
  auto& cfg = y.at("config_defaults").as_object();
  config def;
  CHECK(def.accept_backlog == cfg.at("AcceptBacklog").as_int64());
  CHECK(def.enable_keepalive == cfg.at("EnableKeepAlive").as_bool());
  CHECK(def.keepalive_interval_s == cfg.at("KeepAliveInterval_s").as_int64());
  CHECK(def.connection_write_timeout_s == cfg.at("ConnectionWriteTimeout_s").as_int64());
  CHECK(def.max_stream_window_size == cfg.at("MaxStreamWindowSize").as_int64());
  CHECK(def.stream_open_timeout_s == cfg.at("StreamOpenTimeout_s").as_int64());
  CHECK(def.stream_close_timeout_s == cfg.at("StreamCloseTimeout_s").as_int64());
  size_t n = 0;
  for (auto& ex : y.at("examples").as_array()) {
    CAPTURE(str(ex.at("what")));
    check_frames(unhexv(ex.at("bytes_hex")), ex.at("frames").as_array());
    ++n;
  }
  CHECK(n == 8);
}

TEST_CASE("yamux frames of the stream-open transcript") {
  auto v = test::load_vectors("skywire/dmsg.json");
  size_t n = 0;
  for (auto& step : v.at("stream_open_transcript").at("steps").as_array()) {
    CAPTURE(str(step.at("what")));
    check_frames(unhexv(step.at("tcp_bytes_hex")), step.at("yamux_frames").as_array());
    ++n;
  }
  CHECK(n >= 8);
}

TEST_CASE("yamux header validation") {
  auto good = unhex("00000000000000010000000568656c6c6f");
  SUBCASE("bad version") {
    auto b = good;
    b[0] = 1;
    auto h = decode_header(b);
    REQUIRE_FALSE(h);
    CHECK(h.error().code() == static_cast<uint8_t>(wire_errc::bad_value));
  }
  SUBCASE("unknown type") {
    auto b = good;
    b[1] = 4;
    auto h = decode_header(b);
    REQUIRE_FALSE(h);
    CHECK(h.error().code() == static_cast<uint8_t>(wire_errc::malformed));
  }
  SUBCASE("short header") {
    auto h = decode_header(byte_span{good}.first(11));
    REQUIRE_FALSE(h);
    CHECK(h.error().code() == static_cast<uint8_t>(wire_errc::truncated));
  }
  SUBCASE("to_string") {
    auto h = decode_header(good);
    REQUIRE(h);
    CHECK(to_string(*h) == "ver=0 type=data flags=none id=1 len=5");
    header s{0, frame_type::window_update, flag::syn | flag::ack, 3, 7};
    CHECK(to_string(s) == "ver=0 type=window_update flags=SYN|ACK id=3 len=7");
  }
}

TEST_CASE("yamux streaming parser: byte-at-a-time and oversized bodies") {
  auto bytes = unhex("000100010000000100000000"
                     "00000000000000010000000568656c6c6f"
                     "000200010000000000000007");
  frame_reader reader;
  std::vector<header> got;
  for (auto b : bytes) {
    reader.feed(byte_span{&b, 1});
    for (;;) {
      auto f = reader.next();
      REQUIRE(f);
      if (!f->has_value())
        break;
      got.push_back((*f)->hdr);
      if ((*f)->hdr.type == frame_type::data)
        CHECK(std::string((*f)->body.begin(), (*f)->body.end()) == "hello");
    }
  }
  REQUIRE(got.size() == 3);
  CHECK(got[0].has(flag::syn));
  CHECK(got[1].length == 5);
  CHECK(got[2].type == frame_type::ping);
  CHECK(got[2].length == 7);

  // A data frame announcing more than the window is rejected before its body arrives.
  frame_reader small{parse_limits{16}};
  auto big = unhex("000000000000000100000011");
  small.feed(big);
  auto r = small.next();
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == static_cast<uint8_t>(wire_errc::oversized));
  // The reader stays failed.
  small.feed(bytes);
  CHECK_FALSE(small.next());

  // A window update's length is a delta, not a body: no bytes follow.
  auto step = parse_frame(unhex("0001000000000001ffffffff"));
  REQUIRE(step);
  REQUIRE(step->frame);
  CHECK(step->consumed == 12);
  CHECK(step->frame->hdr.length == 0xffffffffu);
}

TEST_CASE("yamux frame_splitter: frames split at every point") {
  // A stream open, data, ping and FIN fed in two reads cut at every offset:
  // the same frames, whatever the cut.
  std::vector<uint8_t> stream;
  append_frame(stream, header{0, frame_type::window_update, flag::syn, 1, 0});
  std::vector<uint8_t> body(300);
  for (size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<uint8_t>(i * 7);
  append_frame(stream, header{0, frame_type::data, 0, 1, 0}, body);
  append_frame(stream, header{0, frame_type::ping, flag::syn, 0, 9});
  append_frame(stream, header{0, frame_type::data, flag::fin, 1, 0}, std::vector<uint8_t>(5, 1));
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    frame_splitter sp;
    std::vector<header> hs;
    std::vector<std::vector<uint8_t>> bodies;
    auto collect = [&](const frame_view& f) {
      hs.push_back(f.hdr);
      bodies.emplace_back(f.body.begin(), f.body.end());
      return true;
    };
    REQUIRE_FALSE(sp.feed(byte_span{stream}.subspan(0, cut), collect));
    REQUIRE_FALSE(sp.feed(byte_span{stream}.subspan(cut), collect));
    REQUIRE(hs.size() == 4);
    CHECK(hs[0].has(flag::syn));
    CHECK(bodies[1] == body);
    CHECK(hs[2].type == frame_type::ping);
    CHECK(hs[3].has(flag::fin));
    CHECK(bodies[3].size() == 5);
    CHECK(sp.buffered() == 0);
  }
}

TEST_CASE("yamux frame_splitter: one byte at a time, an oversized frame, a stop") {
  std::vector<uint8_t> stream;
  append_frame(stream, header{0, frame_type::data, 0, 3, 0}, std::vector<uint8_t>(100, 9));
  frame_splitter sp{parse_limits{64}};
  caf::error err;
  for (size_t i = 0; i < stream.size() && !err; ++i)
    err = sp.feed(byte_span{stream}.subspan(i, 1), [](const frame_view&) { return true; });
  REQUIRE(err);
  CHECK(describe(err).find("exceeds 64") != std::string::npos);
  // sticky
  CHECK(sp.feed(byte_span{stream}, [](const frame_view&) { return true; }));

  frame_splitter ok;
  std::vector<uint8_t> two;
  append_frame(two, header{0, frame_type::ping, flag::syn, 0, 1});
  append_frame(two, header{0, frame_type::ping, flag::syn, 0, 2});
  int seen = 0;
  CHECK_FALSE(ok.feed(byte_span{two}, [&](const frame_view&) {
    ++seen;
    return false; // the caller is closing: stop at the first
  }));
  CHECK(seen == 1);
}

TEST_CASE("yamux frame_splitter: the Go stream-open transcript, cut at every point") {
  auto v = test::load_vectors("skywire/dmsg.json");
  for (auto& step : v.at("stream_open_transcript").at("steps").as_array()) {
    CAPTURE(str(step.at("what")));
    auto bytes = unhexv(step.at("tcp_bytes_hex"));
    frame_reader r;
    r.feed(bytes);
    std::vector<std::pair<header, std::vector<uint8_t>>> want;
    for (;;) {
      auto f = r.next();
      REQUIRE(f);
      if (!*f)
        break;
      want.emplace_back((*f)->hdr, std::vector<uint8_t>((*f)->body.begin(), (*f)->body.end()));
    }
    REQUIRE(!want.empty());
    for (size_t cut = 0; cut <= bytes.size(); ++cut) {
      frame_splitter sp;
      std::vector<std::pair<header, std::vector<uint8_t>>> got;
      auto collect = [&](const frame_view& f) {
        got.emplace_back(f.hdr, std::vector<uint8_t>(f.body.begin(), f.body.end()));
        return true;
      };
      REQUIRE_FALSE(sp.feed(byte_span{bytes}.subspan(0, cut), collect));
      REQUIRE_FALSE(sp.feed(byte_span{bytes}.subspan(cut), collect));
      CHECK(got == want);
    }
  }
}

namespace {

/// Frames reassembled from a fragment_splitter's pieces, checking the
/// first/last marks on the way.
struct reassembler {
  std::vector<std::pair<header, std::vector<uint8_t>>> frames;
  bool open = false;
  bool operator()(const fragment& f) {
    if (f.first) {
      CHECK_FALSE(open);
      frames.emplace_back(f.hdr, std::vector<uint8_t>{});
    } else {
      CHECK(open);
      CHECK(frames.back().first == f.hdr);
    }
    frames.back().second.insert(frames.back().second.end(), f.body.begin(), f.body.end());
    open = !f.last;
    return true;
  }
};

} // namespace

TEST_CASE("yamux fragment_splitter: the same frames as frame_splitter, cut at any two points") {
  // SYN, a data frame, a ping, an empty data frame with FIN, a window update.
  std::vector<uint8_t> stream;
  append_frame(stream, header{0, frame_type::window_update, flag::syn, 1, 0});
  std::vector<uint8_t> body(300);
  for (size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<uint8_t>(i * 7);
  append_frame(stream, header{0, frame_type::data, 0, 1, 0}, body);
  append_frame(stream, header{0, frame_type::ping, flag::syn, 0, 9});
  append_frame(stream, header{0, frame_type::data, flag::fin, 1, 0});
  append_frame(stream, header{0, frame_type::window_update, 0, 1, 4096});
  frame_splitter whole;
  std::vector<std::pair<header, std::vector<uint8_t>>> want;
  REQUIRE_FALSE(whole.feed(byte_span{stream}, [&](const frame_view& f) {
    want.emplace_back(f.hdr, std::vector<uint8_t>(f.body.begin(), f.body.end()));
    return true;
  }));
  REQUIRE(want.size() == 5);
  for (size_t a = 0; a <= stream.size(); a += 3)
    for (size_t b = a; b <= stream.size(); ++b) {
      fragment_splitter sp;
      reassembler r;
      auto all = byte_span{stream};
      REQUIRE_FALSE(sp.feed(all.subspan(0, a), std::ref(r)));
      REQUIRE_FALSE(sp.feed(all.subspan(a, b - a), std::ref(r)));
      REQUIRE_FALSE(sp.feed(all.subspan(b), std::ref(r)));
      CHECK_FALSE(r.open);
      CHECK(r.frames == want);
      CHECK(sp.buffered() == 0);
      CHECK(sp.body_left() == 0);
    }
}

TEST_CASE("yamux fragment_splitter: pieces are views of the read, an oversized frame, a stop") {
  std::vector<uint8_t> stream;
  append_frame(stream, header{0, frame_type::data, 0, 3, 0}, std::vector<uint8_t>(100, 9));
  fragment_splitter sp;
  auto all = byte_span{stream};
  size_t pieces = 0;
  auto in_read = [&](byte_span read) {
    return [&pieces, read](const fragment& f) {
      ++pieces;
      CHECK(f.body.data() >= read.data());
      CHECK(f.body.data() + f.body.size() <= read.data() + read.size());
      return true;
    };
  };
  REQUIRE_FALSE(sp.feed(all.subspan(0, 50), in_read(all.subspan(0, 50))));
  CHECK(sp.body_left() == 62);
  REQUIRE_FALSE(sp.feed(all.subspan(50), in_read(all.subspan(50))));
  CHECK(pieces == 2);

  fragment_splitter small{parse_limits{64}};
  caf::error err;
  for (size_t i = 0; i < stream.size() && !err; ++i)
    err = small.feed(all.subspan(i, 1), [](const fragment&) { return true; });
  REQUIRE(err);
  CHECK(describe(err).find("exceeds 64") != std::string::npos);
  CHECK(small.feed(all, [](const fragment&) { return true; })); // sticky

  fragment_splitter stop;
  std::vector<uint8_t> two;
  append_frame(two, header{0, frame_type::ping, flag::syn, 0, 1});
  append_frame(two, header{0, frame_type::ping, flag::syn, 0, 2});
  int seen = 0;
  CHECK_FALSE(stop.feed(byte_span{two}, [&](const fragment&) {
    ++seen;
    return false;
  }));
  CHECK(seen == 1);
}
