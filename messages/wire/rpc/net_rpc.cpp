#include "messages/wire/rpc/net_rpc.hpp"

namespace skywire::wire::rpc {

namespace {

using gob::schema;
using gob::value;
using tag = gob::value::tag;

caf::error header_error(const char* what) {
  return make_error(wire_errc::bad_value, std::string("net/rpc: ") + what);
}

/// The next header + body pair from `in`: nullopt until both are complete;
/// a header already read waits in `pending`.
template <class Inbound, class Header, class FromGob>
expected<std::optional<Inbound>> next_message(gob::stream_decoder& in,
                                              std::optional<Header>& pending, FromGob from_gob) {
  if (!pending) {
    auto hv = in.next();
    if (!hv)
      return std::move(hv.error());
    if (!*hv)
      return std::optional<Inbound>{};
    auto h = from_gob(in.dec(), **hv);
    if (!h)
      return std::move(h.error());
    pending = std::move(*h);
  }
  auto body = in.next();
  if (!body)
    return std::move(body.error());
  if (!*body)
    return std::optional<Inbound>{};
  Inbound out{std::move(*pending), std::move(**body)};
  pending.reset();
  return std::optional<Inbound>{std::move(out)};
}

caf::error read_string(const gob::decoder& dec, const value& v, const char* name,
                       std::string& out, size_t max) {
  auto* f = dec.field(v, name);
  if (!f || f->is_none())
    return {};
  if (f->t != tag::string)
    return header_error("header field has the wrong type");
  if (f->data.size() > max)
    return make_error(wire_errc::oversized, std::string("net/rpc: ") + name + " too long");
  out = f->as_string();
  return {};
}

caf::error read_seq(const gob::decoder& dec, const value& v, uint64_t& out) {
  auto* f = dec.field(v, "Seq");
  if (!f || f->is_none())
    return {};
  if (f->t != tag::uint_)
    return header_error("Seq has the wrong type");
  out = f->u;
  return {};
}

caf::error check_header_struct(const gob::decoder& dec, const value& v) {
  auto* t = dec.type_of(v);
  if (v.t != tag::struct_ || !t || t->k != gob::kind::struct_)
    return header_error("header is not a struct");
  if (gob::type_table::field_index(*t, "ServiceMethod") < 0
      && gob::type_table::field_index(*t, "Seq") < 0)
    return header_error("header shares no field with net/rpc's");
  return {};
}

} // namespace

const gob::schema_ptr& request_schema() {
  static const auto s = schema::struct_("Request", {{"ServiceMethod", schema::string()},
                                                    {"Seq", schema::uint_()}});
  return s;
}

const gob::schema_ptr& response_schema() {
  static const auto s = schema::struct_("Response", {{"ServiceMethod", schema::string()},
                                                     {"Seq", schema::uint_()},
                                                     {"Error", schema::string()}});
  return s;
}

const gob::schema_ptr& invalid_request_schema() {
  static const auto s = schema::struct_("", {});
  return s;
}

expected<request_header> request_header_from_gob(const gob::decoder& dec, const value& v) {
  if (auto err = check_header_struct(dec, v))
    return err;
  request_header h;
  if (auto err = read_string(dec, v, "ServiceMethod", h.service_method, max_service_method))
    return err;
  if (auto err = read_seq(dec, v, h.seq))
    return err;
  return h;
}

expected<response_header> response_header_from_gob(const gob::decoder& dec, const value& v) {
  if (auto err = check_header_struct(dec, v))
    return err;
  response_header h;
  if (auto err = read_string(dec, v, "ServiceMethod", h.service_method, max_service_method))
    return err;
  if (auto err = read_seq(dec, v, h.seq))
    return err;
  if (auto err = read_string(dec, v, "Error", h.error, dec.lims().max_message))
    return err;
  return h;
}

client_codec::client_codec(std::shared_ptr<gob::process_types> proc, gob::limits lim)
  : out_(std::move(proc)), in_(lim) {
}

caf::error client_codec::write_request(const request_header& h, const gob::schema_ptr& arg_schema,
                                       const gob::value& arg, std::vector<uint8_t>& out) {
  // Work on a copy so that a value that does not fit its schema leaves the
  // connection's "types sent" state untouched.
  std::vector<uint8_t> tmp;
  gob::encoder trial = out_;
  auto hv = value::of_struct({value::of_string(h.service_method), value::of_uint(h.seq)});
  if (auto err = trial.encode(request_schema(), hv, tmp))
    return err;
  if (auto err = trial.encode(arg_schema, arg, tmp))
    return err;
  out_ = std::move(trial);
  out.insert(out.end(), tmp.begin(), tmp.end());
  return {};
}

expected<std::optional<inbound_response>> client_codec::next_response() {
  return next_message<inbound_response>(in_, pending_, response_header_from_gob);
}

server_codec::server_codec(std::shared_ptr<gob::process_types> proc, gob::limits lim)
  : out_(std::move(proc)), in_(lim) {
}

expected<std::optional<inbound_request>> server_codec::next_request() {
  return next_message<inbound_request>(in_, pending_, request_header_from_gob);
}

caf::error server_codec::write_response(const response_header& h,
                                        const gob::schema_ptr& reply_schema,
                                        const gob::value& reply, std::vector<uint8_t>& out) {
  std::vector<uint8_t> tmp;
  gob::encoder trial = out_;
  auto hv = value::of_struct({value::of_string(h.service_method), value::of_uint(h.seq),
                              value::of_string(h.error)});
  if (auto err = trial.encode(response_schema(), hv, tmp))
    return err;
  if (!h.error.empty()) {
    if (auto err = trial.encode(invalid_request_schema(), value::of_struct({}), tmp))
      return err;
  } else if (auto err = trial.encode(reply_schema, reply, tmp)) {
    return err;
  }
  out_ = std::move(trial);
  out.insert(out.end(), tmp.begin(), tmp.end());
  return {};
}

caf::error server_codec::write_error(const request_header& req, std::string_view error,
                                     std::vector<uint8_t>& out) {
  response_header h{req.service_method, req.seq, std::string(error)};
  if (h.error.empty())
    h.error = "error";
  return write_response(h, invalid_request_schema(), value::of_struct({}), out);
}

} // namespace skywire::wire::rpc
