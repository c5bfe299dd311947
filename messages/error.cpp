#include "messages/error.hpp"

#include <array>
#include <mutex>
#include <utility>

#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace skywire {

namespace {

struct category_registry {
  std::mutex mtx;
  std::array<std::pair<caf::atom_value, error_code_namer>, 16> entries{};
  size_t size = 0;
};

category_registry& registry() {
  static category_registry r;
  return r;
}

} // namespace

void register_error_category(caf::atom_value category, error_code_namer namer) noexcept {
  auto& r = registry();
  std::lock_guard<std::mutex> guard{r.mtx};
  for (size_t i = 0; i < r.size; ++i)
    if (r.entries[i].first == category) {
      r.entries[i].second = namer;
      return;
    }
  if (r.size < r.entries.size())
    r.entries[r.size++] = {category, namer};
}

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
  error_code_namer namer = nullptr;
  if (err.category() != wire_category()) {
    auto& r = registry();
    std::lock_guard<std::mutex> guard{r.mtx};
    for (size_t i = 0; i < r.size; ++i)
      if (r.entries[i].first == err.category())
        namer = r.entries[i].second;
  }
  if (err.category() == wire_category())
    out += to_string(static_cast<wire_errc>(err.code()));
  else if (namer)
    out += namer(err.code());
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
