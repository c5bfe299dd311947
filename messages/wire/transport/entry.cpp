#include "messages/wire/transport/entry.hpp"

#include <algorithm>

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire::transport {

namespace bj = boost::json;

bool valid_type_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_type_name)
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

const char* to_string(transport_label l) noexcept {
  switch (l) {
    case transport_label::user: return "user";
    case transport_label::automatic: return "automatic";
    case transport_label::skycoin: return "skycoin";
  }
  return "user";
}

expected<transport_label> label_from_string(std::string_view text) {
  if (text == "user")
    return transport_label::user;
  if (text == "automatic")
    return transport_label::automatic;
  if (text == "skycoin")
    return transport_label::skycoin;
  return make_error(wire_errc::bad_value, "unknown transport label");
}

std::array<public_key, 2> sort_edges(const public_key& a, const public_key& b) {
  if (b.bytes < a.bytes)
    return {b, a};
  return {a, b};
}

std::vector<uint8_t> entry::to_binary() const {
  std::vector<uint8_t> out;
  out.reserve(16 + 66 + type.size());
  out.insert(out.end(), id.bytes.begin(), id.bytes.end());
  for (const auto& e : edges)
    out.insert(out.end(), e.bytes.begin(), e.bytes.end());
  out.insert(out.end(), type.begin(), type.end());
  return out;
}

std::optional<size_t> entry::edge_index(const public_key& pk) const {
  for (size_t i = 0; i < 2; ++i)
    if (edges[i] == pk)
      return i;
  return std::nullopt;
}

const public_key& entry::remote_edge(const public_key& pk) const {
  return edges[0] == pk ? edges[1] : edges[0];
}

entry make_entry(const transport_id& id, const public_key& a, const public_key& b,
                 std::string_view type, transport_label label) {
  entry e;
  e.id = id;
  e.edges = sort_edges(a, b);
  e.type.assign(type);
  e.label = label;
  return e;
}

caf::error signed_entry::set_signature(const public_key& pk, const signature& sig) {
  auto idx = entry.edge_index(pk);
  if (!idx)
    return make_error(wire_errc::bad_value, "signer is not an edge of the transport");
  signatures[*idx] = sig;
  return {};
}

signature signed_entry::signature_of(const public_key& pk) const {
  auto idx = entry.edge_index(pk);
  return idx ? signatures[*idx] : signature{};
}

// ---- encoding -------------------------------------------------------------------

void append_entry_json(std::string& out, const entry& e) {
  json::writer w{out};
  w.begin_object();
  w.key("t_id").string(e.id.to_string());
  w.key("edges").begin_array();
  w.string(e.edges[0].hex()).string(e.edges[1].hex());
  w.end_array();
  w.key("type").string(e.type);
  w.key("label").string(to_string(e.label));
  w.end_object();
}

std::string encode_entry_json(const entry& e) {
  std::string out;
  append_entry_json(out, e);
  return out;
}

void append_signed_entry_json(std::string& out, const signed_entry& se) {
  json::writer w{out};
  w.begin_object();
  w.key("entry");
  std::string inner;
  append_entry_json(inner, se.entry);
  w.raw(inner);
  w.key("signatures").begin_array();
  w.string(se.signatures[0].hex()).string(se.signatures[1].hex());
  w.end_array();
  if (se.registered != 0)
    w.key("registered").integer(se.registered);
  w.end_object();
}

std::string encode_signed_entry_json(const signed_entry& se) {
  std::string out;
  append_signed_entry_json(out, se);
  return out;
}

std::string encode_signed_entry_line(const signed_entry& se) {
  auto out = encode_signed_entry_json(se);
  out += '\n';
  return out;
}

std::string encode_tpd_post_body(const std::vector<signed_entry>& entries) {
  std::string out = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0)
      out += ',';
    append_signed_entry_json(out, entries[i]);
  }
  out += "]\n";
  return out;
}

// ---- decoding -------------------------------------------------------------------

namespace {

expected<entry> read_entry(const bj::object& obj, std::string what) {
  std::optional<object_reader> o{std::in_place, obj, std::move(what)};
  entry e;
  if (auto err = o->get_transport_id("t_id", e.id))
    return err;
  const bj::array* edges = nullptr;
  if (auto err = o->get_array("edges", edges, 2))
    return err;
  if (edges->size() != 2)
    return o->fail(wire_errc::malformed, "edges", "expected exactly 2 public keys");
  for (size_t i = 0; i < 2; ++i) {
    std::string_view sv;
    if (auto err = json_string((*edges)[i], 66, sv))
      return o->fail(wire_errc::malformed, "edges", "expected public keys in hex");
    auto pk = public_key::from_hex(sv);
    if (!pk)
      return o->fail(wire_errc::bad_value, "edges", describe(pk.error()));
    if (pk->is_null())
      return o->fail(wire_errc::bad_value, "edges", "null public key");
    e.edges[i] = *pk;
  }
  if (!(e.edges[0].bytes < e.edges[1].bytes))
    return o->fail(wire_errc::bad_value, "edges", "edges must be distinct and sorted");
  if (auto err = o->get_string("type", e.type, max_type_name))
    return err;
  if (!valid_type_name(e.type))
    return o->fail(wire_errc::bad_value, "type", "invalid transport type name");
  std::string lbl;
  if (auto err = o->get_string("label", lbl, 16))
    return err;
  auto l = label_from_string(lbl);
  if (!l)
    return o->fail(wire_errc::bad_value, "label", "unknown label");
  e.label = *l;
  return e;
}

expected<signed_entry> read_signed_entry(const bj::value& v, std::string what) {
  auto o = object_reader::from(v, what);
  if (!o)
    return std::move(o.error());
  signed_entry se;
  const bj::object* eo = nullptr;
  if (auto err = o->get_object("entry", eo))
    return err;
  auto e = read_entry(*eo, what + ".entry");
  if (!e)
    return std::move(e.error());
  se.entry = std::move(*e);
  const bj::array* sigs = nullptr;
  if (auto err = o->get_array("signatures", sigs, 2))
    return err;
  if (sigs->size() != 2)
    return o->fail(wire_errc::malformed, "signatures", "expected exactly 2 signatures");
  for (size_t i = 0; i < 2; ++i) {
    std::string_view sv;
    if (auto err = json_string((*sigs)[i], 130, sv))
      return o->fail(wire_errc::malformed, "signatures", "expected signatures in hex");
    auto sig = signature::from_hex(sv);
    if (!sig)
      return o->fail(wire_errc::bad_value, "signatures", describe(sig.error()));
    se.signatures[i] = *sig;
  }
  if (o->has("registered")) {
    if (auto err = o->get_int("registered", se.registered))
      return err;
    if (se.registered < 0)
      return o->fail(wire_errc::bad_value, "registered", "negative timestamp");
  }
  return se;
}

} // namespace

expected<entry> decode_entry_json(std::string_view text) {
  auto v = parse_json(text, max_entry_json);
  if (!v)
    return std::move(v.error());
  if (!v->is_object())
    return make_error(wire_errc::malformed, "Entry: expected a JSON object");
  return read_entry(v->get_object(), "Entry");
}

expected<signed_entry> decode_signed_entry_json(std::string_view text) {
  auto v = parse_json(text, max_signed_entry_json);
  if (!v)
    return std::move(v.error());
  return read_signed_entry(*v, "SignedEntry");
}

expected<std::vector<signed_entry>>
decode_signed_entry_list(std::string_view text, size_t max_entries, size_t max_bytes) {
  auto v = parse_json(text, max_bytes);
  if (!v)
    return std::move(v.error());
  if (!v->is_array())
    return make_error(wire_errc::malformed, "SignedEntry list: expected a JSON array");
  const auto& arr = v->get_array();
  if (arr.size() > max_entries)
    return make_error(wire_errc::oversized, "SignedEntry list: more than "
                                              + std::to_string(max_entries) + " entries");
  std::vector<signed_entry> out;
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    auto se = read_signed_entry(arr[i], "SignedEntry[" + std::to_string(i) + "]");
    if (!se)
      return std::move(se.error());
    out.push_back(std::move(*se));
  }
  return out;
}

expected<std::vector<entry>> decode_entry_list(std::string_view text, size_t max_entries,
                                               size_t max_bytes) {
  auto v = parse_json(text, max_bytes);
  if (!v)
    return std::move(v.error());
  if (v->is_null())
    return std::vector<entry>{};
  if (!v->is_array())
    return make_error(wire_errc::malformed, "Entry list: expected a JSON array");
  const auto& arr = v->get_array();
  if (arr.size() > max_entries)
    return make_error(wire_errc::oversized,
                      "Entry list: more than " + std::to_string(max_entries) + " entries");
  std::vector<entry> out;
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    auto what = "Entry[" + std::to_string(i) + "]";
    if (!arr[i].is_object())
      return make_error(wire_errc::malformed, what + ": expected a JSON object");
    auto e = read_entry(arr[i].get_object(), std::move(what));
    if (!e)
      return std::move(e.error());
    out.push_back(std::move(*e));
  }
  return out;
}

} // namespace skywire::wire::transport
