// skywire cli rtfind <pk1> <pk2> | <pk>
//
// The reference's `cli rtfind` (§7.4): asks a route finder directly (no
// visor) for the routes from pk1 to pk2, with the reference's flags
// (-n min hops, default 1; -x max hops, default 1000; -t timeout; -a the
// route finder's URL); with one key the source is the running visor (asked
// over its CLI socket). Prints one line per path, or with --json the
// route finder's answer as it came (the reference's JSON shape), after the
// same strict checks a visor applies (actors/routing/rf_client.hpp).
#include <iostream>

#include "actors/routing/rf_client.hpp"
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/visor_call.hpp"
#include "runtime/config/duration.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

namespace {

int rtfind(const std::string& argv0, const std::vector<std::string>& args) {
  std::vector<std::string> keys;
  uint16_t min_hops = 1, max_hops = 1000;
  std::string rf_url = "http://rf.skywire.skycoin.com", timeout = "10s";
  visor_flags vf;
  auto desc = visor_options(
    argv0, " <pk1> <pk2> | <pk> [-n N] [-x N] [-a URL] [-t DUR] [--json]",
    "Asks the route finder for up to 5 loop-free routes from pk1 to pk2, shortest first.\n"
    "With one key: from the running visor (found as `cli visor` commands find it) to it.",
    vf);
  desc.add_options()("min-hops,n", po::value(&min_hops)->value_name("N"),
                     "minimum hops (default 1)")(
    "max-hops,x", po::value(&max_hops)->value_name("N"), "maximum hops (default 1000)")(
    "rfaddr,a", po::value(&rf_url)->value_name("URL"),
    "route finder URL (http://; default http://rf.skywire.skycoin.com)")(
    "timeout,t", po::value(&timeout)->value_name("DUR"), "request timeout (default 10s)")(
    "keys", po::value(&keys)->composing(), "the public keys");
  po::positional_options_description pos;
  pos.add("keys", -1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  auto usage = [&](const std::string& why) {
    std::cerr << argv0 << ": " << why << '\n' << desc << '\n';
    return exit_usage;
  };
  if (keys.empty() || keys.size() > 2)
    return usage("give two public keys <pk1> <pk2>, or one (from the running visor)");
  std::vector<public_key> pks;
  for (const auto& k : keys) {
    auto pk = public_key::from_hex(k);
    if (!pk || pk->is_null())
      return usage("not a public key: " + k);
    pks.push_back(*pk);
  }
  if (min_hops > max_hops)
    return usage("--min-hops is larger than --max-hops");
  auto t = config::parse_go_duration(timeout);
  if (!t || t->count() <= 0)
    return usage("--timeout: not a Go duration > 0: " + timeout);
  if (!rf_url.starts_with("http://"))
    return usage("--rfaddr: an http:// URL: " + rf_url);
  if (pks.size() == 1) { // the source is the running visor
    int rc = 0;
    auto v = visor_call(vf, "visor.pk", {}, rc);
    if (!v)
      return rc;
    auto local = v->is_string() ? public_key::from_hex(std::string_view{v->get_string()})
                                : expected<public_key>{caf::error{}};
    if (!local || local->is_null()) {
      std::cerr << argv0 << ": the visor answered no public key\n";
      return exit_failure;
    }
    pks.insert(pks.begin(), *local);
  }

  // One blocking request: the sender answers on this thread.
  std::string raw;
  routing::rf_client::options o;
  o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*t);
  o.send = [&raw](http::client_request req, http::client_callback cb) {
    auto r = http::request_sync(std::move(req));
    if (r)
      raw = r->body;
    cb(std::move(r));
  };
  auto c = routing::rf_client::make(rf_url, std::move(o));
  if (!c)
    return usage(describe(c.error()));
  expected<routing::routes_map> got = caf::error{};
  c->find_routes({{pks[0], pks[1]}}, min_hops, max_hops,
                 [&got](expected<routing::routes_map> r) { got = std::move(r); });
  if (!got) {
    std::cerr << argv0 << ": " << describe(got.error()) << '\n';
    return exit_failure;
  }
  if (vf.json) {
    std::cout << raw;
    return exit_ok;
  }
  for (const auto& [edge, paths] : *got) {
    std::cout << wire::routing::to_string(edge) << '\n';
    for (const auto& p : paths) {
      std::cout << "  " << p.size() << (p.size() == 1 ? " hop: " : " hops: ") << p[0].from.hex();
      for (const auto& h : p)
        std::cout << " -[" << h.tp_id.to_string() << "]-> " << h.to.hex();
      std::cout << '\n';
    }
  }
  return exit_ok;
}

} // namespace

SKYWIRE_CLI_COMMAND("cli rtfind", "find routes between two visors (asks the route finder)",
                    rtfind);

} // namespace skywire::cli
