#include "actors/transport/registrar.hpp"

#include "actors/transport/errors.hpp"

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

} // namespace

registrar_ptr make_null_registrar(std::string why) {
  return std::make_shared<null_registrar>(std::move(why));
}

} // namespace skywire::transport
