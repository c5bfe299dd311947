#include "actors/services/dmsg_discovery_rules.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>
#include <caf/make_message.hpp>

#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::services {

using wire::dmsg::entry;

caf::atom_value discovery_category() noexcept {
  return caf::atom("dmsgdisc");
}

namespace {
const char* discovery_code_name(uint8_t code) noexcept {
  switch (static_cast<discovery_errc>(code)) {
    case discovery_errc::not_found: return "not_found";
    case discovery_errc::bad_input: return "bad_input";
    case discovery_errc::unauthorized: return "unauthorized";
    case discovery_errc::validation: return "validation";
    case discovery_errc::full: return "full";
    case discovery_errc::unexpected: return "unexpected";
  }
  return "unknown";
}
} // namespace

caf::error make_error(discovery_errc code, std::string context) {
  static const bool registered =
    (register_error_category(discovery_category(), discovery_code_name), true);
  (void)registered;
  return caf::error{static_cast<uint8_t>(code), discovery_category(),
                    caf::make_message(std::move(context))};
}

unsigned status_of(const caf::error& err) noexcept {
  if (!err)
    return 200;
  if (err.category() == discovery_category()) {
    switch (static_cast<discovery_errc>(err.code())) {
      case discovery_errc::not_found: return 404;
      case discovery_errc::bad_input: return 400;
      case discovery_errc::unauthorized: return 401;
      case discovery_errc::validation: return 422;
      case discovery_errc::full: return 503;
      case discovery_errc::unexpected: return 500;
    }
  }
  if (err.category() == wire_category())
    return 400;
  return 500;
}

std::string message_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (err.category() == discovery_category() && !ctx.empty() && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return describe(err);
}

namespace {

caf::error invalid(std::string what) {
  return make_error(discovery_errc::validation, "entry validation error: " + what);
}

} // namespace

bool is_local_address(std::string_view host_port) {
  auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos)
    return false; // not host:port at all; validate_fields refuses it separately
  auto host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty())
    return true;
  std::string h{host};
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  if (h == "localhost" || h.ends_with(".localhost"))
    return true;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(h, ec);
  if (ec)
    return false; // a DNS name
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
  return addr.is_loopback() || addr.is_unspecified();
}

caf::error validate_fields(const entry& e, int64_t now_ns, const validation_config& cfg) {
  if (e.version.empty())
    return invalid("entry has no version");
  if (!e.sig)
    return invalid("entry has no signature");
  if (e.static_pk.is_null())
    return invalid("entry Keys is nil");
  if (!e.client && !e.server)
    return invalid("entry has neither client or server field");
  if (e.server) {
    const auto& addr = e.server->address;
    if (addr.empty())
      return invalid("server address cannot be empty");
    auto colon = addr.rfind(':');
    if (colon == std::string::npos || colon + 1 == addr.size())
      return invalid("entry.server.address is not host:port");
    if (!cfg.test_mode && is_local_address(addr))
      return invalid("advertising localhost listening address is not allowed in production mode");
    auto lo = now_ns - cfg.max_age.count();
    auto hi = now_ns + cfg.max_ahead.count();
    if (e.timestamp < lo || e.timestamp > hi)
      return invalid("advertised entry has outdated timestamp");
  }
  return {};
}

caf::error verify_signature(const entry& e) {
  if (!e.sig)
    return make_error(discovery_errc::unauthorized, "invalid signature");
  auto bytes = wire::dmsg::encode_for_signing(e);
  auto span = byte_span{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
  if (crypto::verify(span, e.static_pk, *e.sig))
    return make_error(discovery_errc::unauthorized, "invalid signature");
  return {};
}

caf::error validate_update(const entry& next, const entry& stored) {
  if (next.sequence <= stored.sequence)
    return invalid("sequence field of new entry is not sequence of old entry + 1");
  if (next.timestamp < stored.timestamp)
    return invalid("advertised entry timestamp is not greater than previous");
  return {};
}

caf::error verify_network_monitor(std::string_view nm_pk_hex, std::string_view nm_sign_hex,
                                  const std::vector<public_key>& whitelist) {
  auto pk = public_key::from_hex(nm_pk_hex);
  if (!pk || pk->is_null())
    return make_error(discovery_errc::unauthorized, "invalid NM-PK header");
  if (std::find(whitelist.begin(), whitelist.end(), *pk) == whitelist.end())
    return make_error(discovery_errc::unauthorized, "NM-PK is not whitelisted");
  auto sig = signature::from_hex(nm_sign_hex);
  if (!sig || sig->is_null())
    return make_error(discovery_errc::unauthorized, "invalid NM-Sign header");
  auto text = pk->hex();
  auto span = byte_span{reinterpret_cast<const uint8_t*>(text.data()), text.size()};
  if (crypto::verify(span, *pk, *sig))
    return make_error(discovery_errc::unauthorized, "invalid NM-Sign signature");
  return {};
}

} // namespace skywire::services
