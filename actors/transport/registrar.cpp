#include "actors/transport/registrar.hpp"

#include "actors/transport/client_errors.hpp"
#include "actors/transport/errors.hpp"
#include "actors/transport/tpd_client.hpp"

namespace skywire::transport {

namespace {

class null_registrar final : public registrar {
public:
  explicit null_registrar(std::string why) : why_(std::move(why)) {}
  void register_entry(const wire::transport::signed_entry&, done_fn cb) override { cb({}); }
  void deregister(const transport_id&, done_fn cb) override { cb({}); }
  void get_by_id(const transport_id&, entries_fn cb) override {
    cb(make_error(transport_errc::unreachable, why_));
  }
  void get_by_edge(const public_key&, entries_fn cb) override {
    cb(make_error(transport_errc::unreachable, why_));
  }
  std::string describe() const override { return "none (" + why_ + ")"; }

private:
  std::string why_;
};

class tpd_registrar final : public registrar {
public:
  tpd_registrar(tpd_client c, std::string where) : c_(std::move(c)), where_(std::move(where)) {}

  void register_entry(const wire::transport::signed_entry& e, done_fn cb) override {
    c_.register_transports({e}, [cb = std::move(cb)](caf::error err) {
      // 409: the entry is there already (the peer or an earlier connection)
      cb(http_status(err) == 409 ? caf::error{} : std::move(err));
    });
  }

  void deregister(const transport_id& id, done_fn cb) override {
    c_.deregister(id, [cb = std::move(cb)](caf::error err) {
      // 404: the other edge deleted it first
      cb(is(err, client_errc::not_found) ? caf::error{} : std::move(err));
    });
  }

  void get_by_id(const transport_id& id, entries_fn cb) override {
    c_.get_by_id(id, [cb = std::move(cb)](expected<wire::transport::entry> r) {
      if (!r)
        return cb(std::move(r.error()));
      cb(std::vector<wire::transport::entry>{std::move(*r)});
    });
  }

  void get_by_edge(const public_key& pk, entries_fn cb) override {
    c_.get_by_edge(pk, std::move(cb));
  }

  std::string describe() const override { return where_; }

private:
  tpd_client c_;
  std::string where_;
};

} // namespace

registrar_ptr make_tpd_registrar(tpd_client client, std::string where) {
  return std::make_shared<tpd_registrar>(std::move(client), std::move(where));
}

registrar_ptr make_null_registrar(std::string why) {
  return std::make_shared<null_registrar>(std::move(why));
}

} // namespace skywire::transport
