// libFuzzer target: skysocks-client's HTTP proxy request head
// (runtime/http/proxy_request.hpp), the bytes a local client sends before
// anything is piped. Properties: never crashes; a refusal is 400 or 431
// with a reason; a head is found only where find_head_end says, within the
// limit; a target has a port and a host SOCKS5 can carry; a forwarded
// request's rewritten head is one well-formed origin-form HTTP/1.x head
// (Beast parses it to its end) with Host first, one Connection: close and
// none of the proxy's hop-by-hop headers.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "runtime/http/proxy_request.hpp"

namespace http = skywire::http;
namespace bhttp = boost::beast::http;
namespace socks5 = skywire::wire::socks5;

#define FUZZ_ASSERT(cond)                                                                          \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      std::abort();                                                                                \
  } while (false)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  // a small limit too, so that the fuzzer reaches the bound with short inputs
  for (size_t limit : {http::max_proxy_head, size_t{64}}) {
    http::proxy_failure why;
    auto r = http::parse_proxy_head(in, limit, &why);
    if (!r) {
      FUZZ_ASSERT(why.status == 400 || why.status == 431);
      FUZZ_ASSERT(!why.reason.empty());
      auto answer = http::proxy_error_answer(why.status, why.reason);
      FUZZ_ASSERT(answer.starts_with("HTTP/1.1 " + std::to_string(why.status) + " "));
      continue;
    }
    auto end = http::find_head_end(in);
    if (!*r) {
      FUZZ_ASSERT(in.size() < limit);
      FUZZ_ASSERT(end == std::string_view::npos);
      continue;
    }
    const auto& req = **r;
    FUZZ_ASSERT(req.consumed == end && req.consumed <= limit && req.consumed <= in.size());
    FUZZ_ASSERT(req.dst.port != 0);
    if (req.dst.type == socks5::target::kind::domain)
      FUZZ_ASSERT(!req.dst.domain.empty() && req.dst.domain.size() <= 255);
    FUZZ_ASSERT(static_cast<bool>(socks5::encode_request({socks5::command::connect, req.dst})));
    if (req.tunnel) {
      FUZZ_ASSERT(req.head.empty());
      continue;
    }
    bhttp::request_parser<bhttp::empty_body> p;
    p.header_limit(1 << 20);
    boost::beast::error_code ec;
    auto used = p.put(boost::asio::buffer(req.head.data(), req.head.size()), ec);
    FUZZ_ASSERT((!ec || ec == bhttp::error::need_more) && p.is_header_done());
    FUZZ_ASSERT(used == req.head.size());
    const auto& m = p.get();
    FUZZ_ASSERT(!m.target().empty() && m.target().front() == '/');
    FUZZ_ASSERT(!m.keep_alive());
    FUZZ_ASSERT(m.begin() != m.end() && m.begin()->name() == bhttp::field::host);
    FUZZ_ASSERT(m.count(bhttp::field::connection) == 1 && m[bhttp::field::connection] == "close");
    FUZZ_ASSERT(m.count(bhttp::field::proxy_connection) == 0
                && m.count(bhttp::field::proxy_authorization) == 0
                && m.count(bhttp::field::keep_alive) == 0 && m.count(bhttp::field::upgrade) == 0);
  }
  return 0;
}
