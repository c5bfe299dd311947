#include "actors/transport/errors.hpp"

#include <caf/make_message.hpp>

namespace skywire::transport {

const char* to_string(transport_errc x) noexcept {
  switch (x) {
    case transport_errc::handshake_timeout: return "handshake timeout";
    case transport_errc::rejected: return "rejected by the peer";
    case transport_errc::refused: return "refused the peer";
    case transport_errc::bad_signature: return "bad signature";
    case transport_errc::noise_failed: return "noise failure";
    case transport_errc::settlement_failed: return "settlement failed";
    case transport_errc::protocol: return "protocol violation";
    case transport_errc::peer_closed: return "the peer closed the connection";
    case transport_errc::cut: return "connection cut";
    case transport_errc::peer_silent: return "peer silent";
    case transport_errc::closed: return "closed";
    case transport_errc::invalid_argument: return "invalid argument";
    case transport_errc::unknown_transport: return "no such transport";
    case transport_errc::type_unavailable: return "transport type unavailable";
    case transport_errc::unreachable: return "peer unreachable";
    case transport_errc::dial_timeout: return "dial timeout";
    case transport_errc::replaced: return "replaced by a duplicate connection";
  }
  return "unknown";
}

namespace {

const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<transport_errc>(code));
}

std::string text_of(transport_errc code, const std::string& context) {
  std::string text = std::string{"transport: "} + to_string(code);
  if (!context.empty()) {
    text += ": ";
    text += context;
  }
  return text;
}

void register_once() {
  static const bool registered =
    (register_error_category(transport_category(), code_name, true), true);
  (void)registered;
}

} // namespace

caf::atom_value transport_category() noexcept {
  return caf::atom("transport");
}

caf::error make_error(transport_errc code, std::string context) {
  register_once();
  return caf::error{static_cast<uint8_t>(code), transport_category(),
                    caf::make_message(text_of(code, context))};
}

caf::error make_rejection(std::string peer_text) {
  register_once();
  auto text = text_of(transport_errc::rejected, peer_text.empty() ? "(no reason given)" : peer_text);
  return caf::error{static_cast<uint8_t>(transport_errc::rejected), transport_category(),
                    caf::make_message(std::move(text), std::move(peer_text))};
}

bool is(const caf::error& err, transport_errc code) noexcept {
  return err && err.category() == transport_category()
         && err.code() == static_cast<uint8_t>(code);
}

std::optional<std::string> peer_text(const caf::error& err) {
  if (!is(err, transport_errc::rejected))
    return std::nullopt;
  const auto& ctx = err.context();
  if (ctx.size() < 2 || !ctx.match_element<std::string>(1))
    return std::nullopt;
  return ctx.get_as<std::string>(1);
}

std::string failure_cause(const caf::error& err) {
  if (!err)
    return "none";
  if (err.category() == transport_category())
    return to_string(static_cast<transport_errc>(err.code()));
  return describe(err);
}

} // namespace skywire::transport
