#include "runtime/http/router.hpp"

#include <algorithm>

namespace skywire::http {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

router& router::add(verb method, std::string pattern, handler fn, route_options options) {
  route r;
  r.method = method;
  for (auto seg : split_path(pattern))
    r.segments.emplace_back(seg);
  r.pattern = std::move(pattern);
  r.fn = std::move(fn);
  r.options = options;
  max_body_limit_ = std::max(max_body_limit_, options.body_limit);
  routes_.push_back(std::move(r));
  return *this;
}

namespace {

bool is_param(const std::string& seg) {
  return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
}

bool matches(const router::route& r, const std::vector<std::string_view>& segs,
             std::vector<std::pair<std::string, std::string>>* params) {
  if (r.segments.size() != segs.size())
    return false;
  for (size_t i = 0; i < segs.size(); ++i) {
    const auto& p = r.segments[i];
    if (is_param(p)) {
      if (segs[i].empty())
        return false;
      if (params)
        params->emplace_back(p.substr(1, p.size() - 2), std::string{segs[i]});
    } else if (p != segs[i]) {
      return false;
    }
  }
  return true;
}

} // namespace

router::match router::find(verb method, std::string_view path) const {
  match m;
  auto segs = split_path(path);
  for (const auto& r : routes_) {
    if (!matches(r, segs, nullptr))
      continue;
    if (r.method == method) {
      m.result = outcome::found;
      m.r = &r;
      m.params.clear();
      matches(r, segs, &m.params);
      m.allow.clear();
      return m;
    }
    m.result = outcome::method_not_allowed;
    auto name = std::string{boost::beast::http::to_string(r.method)};
    if (m.allow.find(name) == std::string::npos) {
      if (!m.allow.empty())
        m.allow += ", ";
      m.allow += name;
    }
  }
  return m;
}

} // namespace skywire::http
