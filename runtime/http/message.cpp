#include "runtime/http/message.hpp"

#include <algorithm>
#include <cctype>

namespace skywire::http {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i]))
        != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

} // namespace

std::optional<std::string_view> find_header(const header_list& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (iequals(k, name))
      return std::string_view{v};
  return std::nullopt;
}

std::optional<std::string> request::query_param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    auto eq = part.find('=');
    auto key = part.substr(0, eq);
    if (key == name)
      return std::string{eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1)};
    if (amp == std::string_view::npos)
      break;
    q.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string_view request::param(std::string_view name) const {
  auto i = params.find(name);
  return i == params.end() ? std::string_view{} : std::string_view{i->second};
}

response make_response(unsigned status, std::string body, std::string content_type) {
  response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

} // namespace skywire::http
