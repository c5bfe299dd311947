#include "actors/services/setup_node/config.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "messages/wire/dmsg/discovery_entry.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::services::setup_node {

namespace {

caf::error bad(std::string why) {
  return make_error(wire_errc::bad_value, "setup node config: " + std::move(why));
}

const boost::json::string* string_at(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v ? v->if_string() : nullptr;
}

} // namespace

expected<node_file_config> parse_node_config(std::string_view json) {
  if (json.size() > max_config_size)
    return bad("larger than 1 MiB");
  boost::system::error_code ec;
  auto doc = boost::json::parse(json, ec);
  if (ec)
    return bad("not JSON: " + ec.message());
  auto* root = doc.if_object();
  if (!root)
    return bad("not a JSON object");
  node_file_config out;
  auto* pk_text = string_at(*root, "public_key");
  auto* sk_text = string_at(*root, "secret_key");
  if (!pk_text || !sk_text)
    return bad("public_key and secret_key are required strings");
  auto pk = crypto::parse_public_key(std::string_view{pk_text->data(), pk_text->size()});
  if (!pk || pk->is_null())
    return bad("public_key is not a public key");
  auto sk = secret_key::from_hex(std::string_view{sk_text->data(), sk_text->size()});
  if (!sk)
    return bad("secret_key is not 64 hex digits");
  auto derived = crypto::derive_public_key(*sk);
  if (!derived || *derived != *pk)
    return bad("secret_key does not belong to public_key");
  out.dmsg.pk = *pk;
  out.dmsg.sk = *sk;
  auto* d = root->if_contains("dmsg");
  if (!d || !d->is_object())
    return bad("dmsg must be an object");
  auto& dm = d->get_object();
  out.dmsg.discovery_url.clear(); // no default: the file names it (or servers)
  if (auto* disc = string_at(dm, "discovery"))
    out.dmsg.discovery_url = std::string{disc->data(), disc->size()};
  else if (dm.contains("discovery"))
    return bad("dmsg.discovery must be a string");
  if (auto* sc = dm.if_contains("sessions_count")) {
    if (!sc->is_int64() && !sc->is_uint64())
      return bad("dmsg.sessions_count must be an integer");
    auto n = sc->is_int64() ? sc->get_int64() : static_cast<int64_t>(sc->get_uint64());
    if (n < 0 || n > 1024)
      return bad("dmsg.sessions_count must be in 0..1024");
    out.dmsg.sessions_count = static_cast<size_t>(n);
  }
  if (auto* servers = dm.if_contains("servers"); servers && !servers->is_null()) {
    if (!servers->is_array() || servers->get_array().size() > 1024)
      return bad("dmsg.servers must be an array of at most 1024 entries");
    for (auto& v : servers->get_array()) {
      auto e = wire::dmsg::decode(boost::json::serialize(v));
      if (!e)
        return bad("dmsg.servers entry: " + describe(e.error()));
      if (!e->server)
        return bad("dmsg.servers entry is not a server");
      out.dmsg.servers.push_back(std::move(*e));
    }
  }
  if (out.dmsg.discovery_url.empty() && out.dmsg.servers.empty())
    return bad("dmsg: no discovery and no servers");
  if (auto* tpd = string_at(*root, "transport_discovery"))
    out.transport_discovery = std::string{tpd->data(), tpd->size()};
  if (auto* lvl = string_at(*root, "log_level"))
    out.log_level = std::string{lvl->data(), lvl->size()};
  return out;
}

} // namespace skywire::services::setup_node
