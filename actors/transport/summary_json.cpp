#include "actors/transport/summary_json.hpp"

namespace skywire::transport {

boost::json::object to_json(const api::transport_summary& s) {
  boost::json::object o;
  o["id"] = s.id.to_string();
  o["local_pk"] = s.local_pk.hex();
  o["remote_pk"] = s.remote_pk.hex();
  o["type"] = s.type;
  boost::json::object log;
  log["recv"] = s.recv;
  log["sent"] = s.sent;
  o["log"] = std::move(log);
  o["is_setup"] = s.is_setup;
  o["label"] = s.label;
  o["state"] = s.state;
  o["role"] = s.role;
  o["remote_addr"] = s.remote_addr;
  o["wire_in"] = s.wire_in;
  o["wire_out"] = s.wire_out;
  o["up_seconds"] = s.up_seconds;
  return o;
}

boost::json::array to_json(const std::vector<api::transport_summary>& list) {
  boost::json::array a;
  for (const auto& s : list)
    a.emplace_back(to_json(s));
  return a;
}

boost::json::object to_json(const api::transport_entry& e) {
  boost::json::object o;
  o["t_id"] = e.id.to_string();
  o["edges"] =
    boost::json::array{boost::json::value(e.edge_a.hex()), boost::json::value(e.edge_b.hex())};
  o["type"] = e.type;
  o["label"] = e.label;
  return o;
}

boost::json::array to_json(const std::vector<api::transport_entry>& list) {
  boost::json::array a;
  for (const auto& e : list)
    a.emplace_back(to_json(e));
  return a;
}

} // namespace skywire::transport
