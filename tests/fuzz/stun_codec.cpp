// Fuzz the STUN codec (actors/transport/stun_probe.*) and the NAT probe that
// reads what STUN servers — or anyone on the path — send.
// 1) The whole input as one datagram: decode_response never reads past it
//    and refuses as a value; what it accepts re-encodes to a response that
//    decodes to the same id, mapped and other address.
// 2) The input as a script for a nat_probe: each record either answers the
//    current request (a well-formed response with the right or a wrong id,
//    from the server, its other address or a stranger), feeds raw bytes, or
//    reports no answer. The probe ends within its four tests: after at most
//    four "no answer" reports and four taken answers it is finished, hands
//    out nothing more and takes no more datagrams; result() is only set
//    when finished.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "actors/transport/stun_probe.hpp"

using namespace skywire::transport;
namespace asio_ip = boost::asio::ip;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

namespace {

void check_codec(std::span<const uint8_t> in) {
  auto r = stun::decode_response(in);
  if (!r)
    return;
  FUZZ_ASSERT(in.size() >= 20 && in.size() <= stun::max_message);
  auto again = stun::decode_response(stun::encode_response(*r));
  FUZZ_ASSERT(again);
  FUZZ_ASSERT(again->id == r->id);
  FUZZ_ASSERT(again->mapped == r->mapped);
  FUZZ_ASSERT(again->other == r->other);
  auto plain = stun::decode_response(stun::encode_response(*r, false));
  FUZZ_ASSERT(plain && plain->mapped == r->mapped);
}

struct reader {
  std::span<const uint8_t> in;
  size_t pos = 0;
  bool empty() const { return pos >= in.size(); }
  uint8_t u8() { return pos < in.size() ? in[pos++] : 0; }
  std::span<const uint8_t> bytes(size_t n) {
    n = std::min(n, in.size() - std::min(pos, in.size()));
    auto out = in.subspan(pos, n);
    pos += n;
    return out;
  }
};

stun::endpoint v4(uint8_t a, uint8_t b, uint16_t port) {
  return {asio_ip::address_v4{asio_ip::address_v4::bytes_type{198, 51, a, b}}, port};
}

void drive(std::span<const uint8_t> in) {
  reader r{in};
  const auto server = v4(100, 1, 3478);
  const auto other = v4(100, 2, 3479);
  const auto local = v4(0, r.u8() % 2 ? 5 : 9, 5000);
  uint8_t next_id = 0;
  nat_probe probe{server, local, [&] {
                    stun::transaction_id id{};
                    id.fill(++next_id);
                    return id;
                  }};
  std::optional<nat_probe::request> current = probe.next();
  FUZZ_ASSERT(current); // Test I goes out at once
  int no_answers = 0, taken = 0;
  while (!r.empty()) {
    auto op = r.u8() % 5;
    auto from_pick = r.u8();
    stun::endpoint from = from_pick % 3 == 0   ? server
                          : from_pick % 3 == 1 ? other
                                               : v4(7, from_pick, static_cast<uint16_t>(from_pick));
    bool took = false;
    switch (op) {
      case 0: // raw bytes
        took = probe.on_datagram(from, r.bytes(r.u8() * 5u));
        break;
      case 1:
      case 2: { // a response to the current request (or a stale id)
        stun::response resp;
        if (current && current->datagram.size() >= 20)
          std::copy(current->datagram.begin() + 8, current->datagram.begin() + 20,
                    resp.id.begin());
        if (op == 2)
          resp.id[0] ^= r.u8() | 1;
        resp.mapped = r.u8() % 2 ? local : v4(9, r.u8(), static_cast<uint16_t>(6000 + r.u8()));
        if (r.u8() % 3)
          resp.other = other;
        took = probe.on_datagram(from, stun::encode_response(resp, r.u8() % 2));
        if (op == 2)
          FUZZ_ASSERT(!took);
        break;
      }
      case 3:
        if (!probe.finished())
          ++no_answers;
        probe.on_no_answer();
        break;
      case 4:
        if (auto n = probe.next())
          current = std::move(n);
        break;
    }
    if (took)
      ++taken;
    if (auto n = probe.next())
      current = std::move(n);
    FUZZ_ASSERT(taken <= 4);
    FUZZ_ASSERT(no_answers <= 4 || probe.finished());
    if (!probe.finished())
      FUZZ_ASSERT(probe.result() == nat_type::unknown);
  }
  if (probe.finished()) {
    FUZZ_ASSERT(!probe.next());
    stun::response any{};
    any.mapped = local;
    FUZZ_ASSERT(!probe.on_datagram(other, stun::encode_response(any)));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in{data, size};
  check_codec(in);
  drive(in);
  return 0;
}
