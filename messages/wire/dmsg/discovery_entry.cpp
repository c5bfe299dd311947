#include "messages/wire/dmsg/discovery_entry.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"

namespace skywire::wire::dmsg {

namespace bj = boost::json;

// ---- encoding -----------------------------------------------------------------

namespace {

void write_key_hex(json::writer& w, const public_key& pk) {
  // Go's cipher.PubKey marshals the null key as "".
  w.string(pk.is_null() ? std::string{} : pk.hex());
}

void write_entry(json::writer& w, const entry& e, bool with_signature) {
  w.begin_object();
  w.key("version").string(e.version);
  w.key("sequence").uinteger(e.sequence);
  w.key("timestamp").integer(e.timestamp);
  w.key("static");
  write_key_hex(w, e.static_pk);
  if (e.client) {
    w.key("client").begin_object().key("delegated_servers");
    if (!e.client->delegated_servers) {
      w.null();
    } else {
      w.begin_array();
      for (const auto& pk : *e.client->delegated_servers)
        write_key_hex(w, pk);
      w.end_array();
    }
    w.end_object();
  }
  if (!e.client_type.empty())
    w.key("client_type").string(e.client_type);
  if (e.server) {
    w.key("server").begin_object();
    w.key("address").string(e.server->address);
    w.key("availableSessions").integer(e.server->available_sessions);
    if (!e.server->server_type.empty())
      w.key("serverType").string(e.server->server_type);
    w.end_object();
  }
  if (with_signature && e.sig)
    w.key("signature").string(e.sig->hex());
  w.end_object();
}

} // namespace

std::string encode_for_signing(const entry& e) {
  std::string out;
  json::writer w{out};
  write_entry(w, e, false);
  return out;
}

void append(std::string& out, const entry& e) {
  json::writer w{out};
  write_entry(w, e, true);
}

std::string encode(const entry& e) {
  std::string out;
  append(out, e);
  return out;
}

std::string encode_list(std::span<const entry> entries) {
  std::string out;
  out += '[';
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i)
      out += ',';
    append(out, entries[i]);
  }
  out += ']';
  return out;
}

std::string encode_key_list(std::span<const public_key> keys) {
  std::string out;
  json::writer w{out};
  w.begin_array();
  for (const auto& k : keys)
    write_key_hex(w, k);
  w.end_array();
  return out;
}

// ---- decoding -----------------------------------------------------------------

namespace {

caf::error field_error(wire_errc code, std::string_view field, std::string_view what) {
  std::string ctx = "discovery entry: ";
  ctx += field;
  ctx += ": ";
  ctx += what;
  return make_error(code, std::move(ctx));
}

expected<bj::value> parse_bounded(std::string_view text, size_t max_bytes, const char* what) {
  if (text.size() > max_bytes)
    return make_error(wire_errc::oversized, std::string{what} + ": " + std::to_string(text.size())
                                              + " bytes exceeds " + std::to_string(max_bytes));
  bj::parse_options opt;
  opt.max_depth = 8;
  opt.allow_comments = false;
  opt.allow_trailing_commas = false;
  opt.allow_invalid_utf8 = false;
  boost::system::error_code ec;
  auto v = bj::parse(bj::string_view{text.data(), text.size()}, ec, {}, opt);
  if (ec)
    return make_error(wire_errc::malformed, std::string{what} + ": invalid JSON: " + ec.message());
  return v;
}

caf::error get_string(const bj::value& v, std::string_view field, size_t limit, std::string& out) {
  if (v.is_null())
    return {};
  if (!v.is_string())
    return field_error(wire_errc::malformed, field, "expected a string");
  const auto& s = v.get_string();
  if (s.size() > limit)
    return field_error(wire_errc::oversized, field, "longer than " + std::to_string(limit));
  out.assign(s.data(), s.size());
  return {};
}

caf::error get_key(const bj::value& v, std::string_view field, public_key& out) {
  if (!v.is_string())
    return field_error(wire_errc::malformed, field, "expected a hex public key string");
  const auto& s = v.get_string();
  auto pk = public_key::from_hex(std::string_view{s.data(), s.size()});
  if (!pk)
    return field_error(wire_errc::bad_value, field, describe(pk.error()));
  out = *pk;
  return {};
}

caf::error get_uint64(const bj::value& v, std::string_view field, uint64_t& out) {
  if (v.is_null())
    return {};
  if (v.is_uint64()) {
    out = v.get_uint64();
    return {};
  }
  if (v.is_int64() && v.get_int64() >= 0) {
    out = static_cast<uint64_t>(v.get_int64());
    return {};
  }
  return field_error(wire_errc::bad_value, field, "expected an unsigned 64-bit integer");
}

caf::error get_int64(const bj::value& v, std::string_view field, int64_t& out) {
  if (v.is_null())
    return {};
  if (v.is_int64()) {
    out = v.get_int64();
    return {};
  }
  return field_error(wire_errc::bad_value, field, "expected a signed 64-bit integer");
}

expected<client_part> get_client(const bj::object& o, const decode_limits& lim) {
  client_part c;
  for (const auto& kv : o) {
    if (kv.key() != "delegated_servers")
      continue; // unknown fields are ignored, as in Go
    const auto& v = kv.value();
    if (v.is_null()) {
      c.delegated_servers.reset();
      continue;
    }
    if (!v.is_array())
      return field_error(wire_errc::malformed, "client.delegated_servers", "expected an array");
    const auto& arr = v.get_array();
    if (arr.size() > lim.max_delegated_servers)
      return field_error(wire_errc::oversized, "client.delegated_servers",
                         std::to_string(arr.size()) + " keys exceed "
                           + std::to_string(lim.max_delegated_servers));
    std::vector<public_key> keys;
    keys.reserve(arr.size());
    for (const auto& item : arr) {
      public_key pk;
      if (auto err = get_key(item, "client.delegated_servers[]", pk))
        return err;
      if (pk.is_null())
        return field_error(wire_errc::bad_value, "client.delegated_servers[]", "null key");
      keys.push_back(pk);
    }
    c.delegated_servers = std::move(keys);
  }
  return c;
}

expected<server_part> get_server(const bj::object& o, const decode_limits& lim) {
  server_part s;
  for (const auto& kv : o) {
    auto k = kv.key();
    caf::error err;
    if (k == "address")
      err = get_string(kv.value(), "server.address", lim.max_string, s.address);
    else if (k == "availableSessions")
      err = get_int64(kv.value(), "server.availableSessions", s.available_sessions);
    else if (k == "serverType")
      err = get_string(kv.value(), "server.serverType", lim.max_string, s.server_type);
    if (err)
      return err;
  }
  return s;
}

expected<entry> from_value(const bj::value& v, const decode_limits& lim) {
  if (!v.is_object())
    return make_error(wire_errc::malformed, "discovery entry: expected a JSON object");
  entry e;
  for (const auto& kv : v.get_object()) {
    auto k = kv.key();
    const auto& val = kv.value();
    caf::error err;
    if (k == "version") {
      err = get_string(val, "version", lim.max_string, e.version);
    } else if (k == "sequence") {
      err = get_uint64(val, "sequence", e.sequence);
    } else if (k == "timestamp") {
      err = get_int64(val, "timestamp", e.timestamp);
    } else if (k == "static") {
      if (!val.is_null())
        err = get_key(val, "static", e.static_pk);
    } else if (k == "client") {
      if (val.is_null()) {
        e.client.reset();
      } else if (!val.is_object()) {
        err = field_error(wire_errc::malformed, "client", "expected an object");
      } else {
        auto c = get_client(val.get_object(), lim);
        if (!c)
          return c.error();
        e.client = std::move(*c);
      }
    } else if (k == "client_type") {
      err = get_string(val, "client_type", lim.max_string, e.client_type);
    } else if (k == "server") {
      if (val.is_null()) {
        e.server.reset();
      } else if (!val.is_object()) {
        err = field_error(wire_errc::malformed, "server", "expected an object");
      } else {
        auto s = get_server(val.get_object(), lim);
        if (!s)
          return s.error();
        e.server = std::move(*s);
      }
    } else if (k == "signature") {
      std::string text;
      err = get_string(val, "signature", 130, text);
      if (!err && !text.empty()) {
        auto sig = signature::from_hex(text);
        if (!sig)
          err = field_error(wire_errc::bad_value, "signature", describe(sig.error()));
        else
          e.sig = *sig;
      }
    }
    if (err)
      return err;
  }
  return e;
}

} // namespace

expected<entry> decode(std::string_view text, const decode_limits& lim) {
  auto v = parse_bounded(text, lim.max_bytes, "discovery entry");
  if (!v)
    return v.error();
  return from_value(*v, lim);
}

expected<std::vector<entry>> decode_list(std::string_view text, const decode_limits& lim) {
  auto v = parse_bounded(text, lim.max_bytes * 16, "discovery entry list");
  if (!v)
    return v.error();
  std::vector<entry> out;
  if (v->is_null())
    return out;
  if (!v->is_array())
    return make_error(wire_errc::malformed, "discovery entry list: expected a JSON array");
  const auto& arr = v->get_array();
  if (arr.size() > lim.max_entries)
    return make_error(wire_errc::oversized, "discovery entry list: "
                                              + std::to_string(arr.size()) + " entries exceed "
                                              + std::to_string(lim.max_entries));
  out.reserve(arr.size());
  for (const auto& item : arr) {
    auto e = from_value(item, lim);
    if (!e)
      return e.error();
    out.push_back(std::move(*e));
  }
  return out;
}

expected<std::vector<public_key>> decode_key_list(std::string_view text,
                                                  const decode_limits& lim) {
  auto v = parse_bounded(text, lim.max_bytes, "public key list");
  if (!v)
    return v.error();
  std::vector<public_key> out;
  if (v->is_null())
    return out;
  if (!v->is_array())
    return make_error(wire_errc::malformed, "public key list: expected a JSON array");
  const auto& arr = v->get_array();
  if (arr.size() > lim.max_entries)
    return make_error(wire_errc::oversized, "public key list: too many keys");
  out.reserve(arr.size());
  for (const auto& item : arr) {
    public_key pk;
    if (auto err = get_key(item, "keys[]", pk))
      return err;
    out.push_back(pk);
  }
  return out;
}

} // namespace skywire::wire::dmsg
