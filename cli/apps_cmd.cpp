// skywire cli fwd | rev | reward | chat send | chat history (reference §7,
// §5.6, §5.7, §6.5). fwd, rev and reward call the visor over its CLI socket
// (the reference's RPC names: RegisterHTTPPort, DeregisterHTTPPort,
// ListHTTPPorts, Connect, Disconnect, List, Get/Set/DeleteRewardAddress);
// chat talks to the skychat app's local web API (--addr, default
// 127.0.0.1:8001): POST /message and GET /history.
#include <iostream>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/visor_call.hpp"
#include "runtime/http/client.hpp"

namespace po = boost::program_options;
namespace json = boost::json;

namespace skywire::cli {

namespace {

void print_text(const json::value& v) {
  if (v.is_string())
    std::cout << v.get_string() << '\n';
  else
    std::cout << json::serialize(v) << '\n';
}

// ---- fwd -----------------------------------------------------------------------------------

int fwd(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  int reg = 0, dereg = 0;
  bool ls = false;
  auto desc = visor_options(argv0, " -p <port> | -d <port> | -l [options]",
                            "Expose a local port to remote visors over SkyNet forwarding "
                            "(routing port 47), withdraw it, or list the exposed ports.",
                            c);
  desc.add_options()("port,p", po::value(&reg)->value_name("PORT"),
                     "register a local port (something must listen on 127.0.0.1:PORT)")(
    "deregister,d", po::value(&dereg)->value_name("PORT"), "deregister a local port")(
    "ls,l", po::bool_switch(&ls), "list the registered ports");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  if ((reg != 0) + (dereg != 0) + ls != 1)
    return usage_error(argv0, "one of -p, -d or -l", desc);
  if (ls)
    return call_and_print(c, "app-visor.ListHTTPPorts", {}, [](const json::value& v) {
      if (v.is_array())
        for (const auto& p : v.get_array())
          std::cout << json::serialize(p) << '\n';
    });
  int port = reg != 0 ? reg : dereg;
  if (port < 1 || port > 65535)
    return usage_error(argv0, "the port must be 1..65535", desc);
  json::object params;
  params["port"] = port;
  return call_and_print(c, reg != 0 ? "app-visor.RegisterHTTPPort" : "app-visor.DeregisterHTTPPort",
                        params, print_text);
}

// ---- rev -----------------------------------------------------------------------------------

int rev(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  int rport = 0, lport = 0;
  std::string pk, stop;
  bool ls = false;
  auto desc = visor_options(argv0, " -k <pk> -r <remote port> -p <local port> | -l | -d <id> [options]",
                            "Reach a port a remote visor exposes (`cli fwd -p`) on a local "
                            "port (127.0.0.1), over a route to its routing port 47.",
                            c);
  desc.add_options()("pk,k", po::value(&pk)->value_name("PK"), "the remote visor")(
    "remote,r", po::value(&rport)->value_name("PORT"), "the remote visor's registered port")(
    "port,p", po::value(&lport)->value_name("PORT"), "the local port to listen on")(
    "ls,l", po::bool_switch(&ls), "list the connections")(
    "stop,d", po::value(&stop)->value_name("ID"), "disconnect the connection <id>");
  po::positional_options_description pos;
  pos.add("pk", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (ls)
    return call_and_print(c, "app-visor.List", {}, [](const json::value& v) {
      std::vector<std::vector<std::string>> rows{{"id", "local_port", "remote_port", "remote_pk"}};
      if (v.is_object())
        for (const auto& kv : v.get_object())
          rows.push_back({std::string{kv.key()}, json_field(kv.value(), "LocalPort"),
                          json_field(kv.value(), "RemotePort"), json_field(kv.value(), "RemotePK")});
      print_table(rows);
    });
  if (!stop.empty()) {
    json::object params;
    params["id"] = stop;
    return call_and_print(c, "app-visor.Disconnect", params, print_text);
  }
  if (pk.empty())
    return usage_error(argv0, "-k <pk> is required", desc);
  if (rport < 1 || rport > 65535 || lport < 1 || lport > 65535)
    return usage_error(argv0, "port cannot be 0 (-r and -p: 1..65535)", desc);
  json::object params;
  params["pk"] = pk;
  params["remote_port"] = rport;
  params["local_port"] = lport;
  // a route is set up and the remote asked: allow for the route dial
  return call_and_print(c, "app-visor.Connect", params, print_text, std::chrono::seconds(40));
}

// ---- reward --------------------------------------------------------------------------------

int reward(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  std::string address;
  bool del = false;
  auto desc = visor_options(argv0, " [<skycoin address>] [-d] [options]",
                            "Show or set the visor's skycoin reward address "
                            "(<local_path>/reward.txt, served on the dmsghttp log server to "
                            "whitelisted keys), or delete it (-d: opt out of rewards).",
                            c);
  desc.add_options()("address,a", po::value(&address)->value_name("ADDR"), "reward address")(
    "delete,d", po::bool_switch(&del), "delete the reward address file");
  po::positional_options_description pos;
  pos.add("address", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (del)
    return call_and_print(c, "app-visor.DeleteRewardAddress", {}, print_text);
  if (address.empty())
    return call_and_print(c, "app-visor.GetRewardAddress", {}, [](const json::value& v) {
      if (v.is_string() && v.get_string().empty())
        std::cout << "reward address not set\n";
      else
        print_text(v);
    });
  json::object params;
  params["address"] = address;
  return call_and_print(c, "app-visor.SetRewardAddress", params, [](const json::value& v) {
    std::cout << "reward address set to: ";
    print_text(v);
  });
}

// ---- chat ----------------------------------------------------------------------------------

struct chat_flags {
  std::string addr = "127.0.0.1:8001";
  bool json = false;
};

po::options_description chat_options(const std::string& argv0, const std::string& usage,
                                     const std::string& what, chat_flags& f) {
  po::options_description desc("usage: " + argv0 + usage + "\n\n" + what + "\n\noptions");
  desc.add_options()("help,h", "this help")(
    "addr", po::value(&f.addr)->value_name("HOST:PORT"),
    "the skychat app's web API (its --addr; default 127.0.0.1:8001)")(
    "json", po::bool_switch(&f.json), "JSON output");
  return desc;
}

/// One request to the chat's web API; prints the failure and returns nullopt.
std::optional<http::response> chat_request(const chat_flags& f, http::verb method,
                                           const std::string& path, std::string body = {}) {
  auto req = http::make_client_request(method, "http://" + f.addr + path, std::move(body));
  if (!req) {
    std::cerr << "skywire cli chat: bad --addr " << f.addr << '\n';
    return std::nullopt;
  }
  req->timeout = std::chrono::seconds(30);
  auto r = http::request_sync(std::move(*req));
  if (!r) {
    std::cerr << "skywire cli chat: " << describe(r.error()) << " (is skychat running on "
              << f.addr << "?)\n";
    return std::nullopt;
  }
  return std::move(*r);
}

int chat_send(const std::string& argv0, const std::vector<std::string>& args) {
  chat_flags f;
  std::string pk;
  std::vector<std::string> words;
  auto desc = chat_options(argv0, " <pk> <text…> [options]",
                           "Send a chat message to a visor (through the local skychat app).", f);
  desc.add_options()("pk", po::value(&pk), "recipient")("text", po::value(&words), "message");
  po::positional_options_description pos;
  pos.add("pk", 1).add("text", -1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  std::string text;
  for (const auto& w : words)
    text += (text.empty() ? "" : " ") + w;
  if (pk.empty() || text.empty())
    return usage_error(argv0, "a recipient key and a message are required", desc);
  json::object body;
  body["recipient"] = pk;
  body["message"] = text;
  auto r = chat_request(f, http::verb::post, "/message", json::serialize(body));
  if (!r)
    return exit_failure;
  if (r->status != 200) {
    std::cerr << "skywire cli chat send: " << r->body;
    return exit_failure;
  }
  std::cout << (f.json ? "\"OK\"\n" : "sent\n");
  return exit_ok;
}

int chat_history(const std::string& argv0, const std::vector<std::string>& args) {
  chat_flags f;
  auto desc = chat_options(argv0, " [options]", "Print the chat history kept by skychat.", f);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  auto r = chat_request(f, http::verb::get, "/history");
  if (!r)
    return exit_failure;
  if (r->status != 200) {
    std::cerr << "skywire cli chat history: " << r->body;
    return exit_failure;
  }
  if (f.json) {
    std::cout << r->body << '\n';
    return exit_ok;
  }
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  if (ec || !v.is_array()) {
    std::cerr << "skywire cli chat history: not a history\n";
    return exit_failure;
  }
  for (const auto& e : v.get_array()) {
    auto dir = json_field(e, "dir");
    std::cout << (dir == "in" ? "<- " : "-> ") << json_field(e, "peer") << "  "
              << json_field(e, "message") << '\n';
  }
  return exit_ok;
}

SKYWIRE_CLI_COMMAND("cli fwd", "expose a local port to remote visors (SkyNet forwarding)", fwd);
SKYWIRE_CLI_COMMAND("cli rev", "reach a remote visor's forwarded port locally", rev);
SKYWIRE_CLI_COMMAND("cli reward", "show or set the skycoin reward address", reward);
SKYWIRE_CLI_COMMAND("cli chat send", "send a chat message (skychat)", chat_send);
SKYWIRE_CLI_COMMAND("cli chat history", "print the chat history (skychat)", chat_history);

} // namespace

} // namespace skywire::cli
