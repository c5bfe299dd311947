#include "messages/error.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace skywire {

const char* to_string(wire_errc x) noexcept {
  switch (x) {
    case wire_errc::truncated: return "truncated";
    case wire_errc::oversized: return "oversized";
    case wire_errc::malformed: return "malformed";
    case wire_errc::unsupported: return "unsupported";
    case wire_errc::bad_value: return "bad_value";
  }
  return "unknown";
}

caf::atom_value wire_category() noexcept {
  return caf::atom("wire");
}

caf::error make_error(wire_errc code, std::string context) {
  return caf::error{static_cast<uint8_t>(code), wire_category(),
                    caf::make_message(std::move(context))};
}

std::string describe(const caf::error& err) {
  if (!err)
    return "none";
  std::string out = caf::to_string(err.category());
  out += ':';
  if (err.category() == wire_category())
    out += to_string(static_cast<wire_errc>(err.code()));
  else
    out += std::to_string(err.code());
  const auto& ctx = err.context();
  if (!ctx.empty() && ctx.match_element<std::string>(0)) {
    out += ": ";
    out += ctx.get_as<std::string>(0);
  }
  return out;
}

} // namespace skywire
