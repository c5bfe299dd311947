// JSON of the transport manager's answers, as the CLI and `visor info` show
// them. A summary keeps the reference's TransportSummary fields
// ({"id","local_pk","remote_pk","type","log":{"recv","sent"},"is_setup",
// "label"}) and adds ours ("state","role","remote_addr","wire_in",
// "wire_out","up_seconds"); an entry is the reference's Entry
// ({"t_id","edges","type","label"}).
#pragma once

#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "messages/api/transport.hpp"

namespace skywire::transport {

boost::json::object to_json(const api::transport_summary& s);
boost::json::array to_json(const std::vector<api::transport_summary>& list);
boost::json::object to_json(const api::transport_entry& e);
boost::json::array to_json(const std::vector<api::transport_entry>& list);

} // namespace skywire::transport
