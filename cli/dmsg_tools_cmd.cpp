// skywire dmsg curl | http | web | web srv — client tools on a dmsg client.
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>

#include <caf/scoped_actor.hpp>

#include "actors/dmsg/errors.hpp"
#include "actors/dmsg_tools/dmsghttp_file_server.hpp"
#include "actors/dmsg_tools/http_fetch.hpp"
#include "actors/dmsg_tools/port_forward.hpp"
#include "actors/dmsg_tools/socks5_session.hpp"
#include "cli/command.hpp"
#include "cli/dmsg_client_setup.hpp"
#include "cli/options.hpp"
#include "cli/stop_signal.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/tcp_listener.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/io_thread_spawn.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

namespace {

constexpr const char* component = "dmsg";

std::optional<std::vector<public_key>> parse_pk_list(const std::string& text) {
  std::vector<public_key> out;
  std::stringstream ss{text};
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty())
      continue;
    auto pk = public_key::from_hex(item);
    if (!pk || !crypto::is_valid(*pk))
      return std::nullopt;
    out.push_back(*pk);
  }
  return out;
}

/// Waits (at most 15 s) until `server` (it answers ok_atom once it listens)
/// listens on its dmsg port; prints why not.
bool listening(const std::string& argv0, caf::actor_system& sys, const caf::actor& server,
               int port) {
  bool ok = false;
  caf::scoped_actor self{sys};
  self->request(server, std::chrono::seconds(15), caf::ok_atom::value)
    .receive([&](caf::ok_atom) { ok = true; },
             [&](caf::error& err) {
               std::cerr << argv0 << ": cannot listen on dmsg port " << port << ": "
                         << dmsg::failure_cause(err) << " (" << describe(err) << ")\n";
             });
  return ok;
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

/// A progress bar on stderr, redrawn in place.
class progress_bar {
public:
  void operator()(uint64_t got, std::optional<uint64_t> total) {
    auto now = std::chrono::steady_clock::now();
    if (!started_) {
      start_ = now;
      started_ = true;
    }
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? static_cast<double>(got) / secs : 0;
    std::string line = "\r";
    if (total && *total > 0) {
      int pct = static_cast<int>(100.0 * static_cast<double>(got) / static_cast<double>(*total));
      int filled = pct * 30 / 100;
      line += "[" + std::string(static_cast<size_t>(filled), '#')
              + std::string(static_cast<size_t>(30 - filled), ' ') + "] "
              + std::to_string(pct) + "% " + human_bytes(static_cast<double>(got)) + " / "
              + human_bytes(static_cast<double>(*total));
    } else {
      line += human_bytes(static_cast<double>(got));
    }
    line += "  " + human_bytes(rate) + "/s   ";
    std::cerr << line << std::flush;
    drawn_ = true;
  }
  ~progress_bar() {
    if (drawn_)
      std::cerr << '\n';
  }

private:
  bool started_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

/// `dmsg curl -o FILE`: the body is written to a temporary file in FILE's
/// folder and renamed over FILE only by commit(); discard() (or destruction
/// without commit) removes it, so a failed fetch leaves FILE as it was.
class partial_file {
public:
  partial_file() = default;
  partial_file(const partial_file&) = delete;
  partial_file& operator=(const partial_file&) = delete;
  ~partial_file() { discard(); }

  bool open(const std::string& path, std::string& err) {
    std::filesystem::path p{path};
    if (p.filename().empty()) {
      err = path + ": not a file name";
      return false;
    }
    auto dir = p.parent_path().empty() ? std::filesystem::path{"."} : p.parent_path();
    std::string tmpl = (dir / ("." + p.filename().string() + ".part-XXXXXX")).string();
    int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd < 0) {
      err = path + ": " + std::strerror(errno);
      return false;
    }
    // the mode of the file it replaces, else what curl would create
    struct stat st {};
    mode_t mode;
    if (::stat(path.c_str(), &st) == 0) {
      mode = st.st_mode & 07777;
    } else {
      mode_t mask = ::umask(0);
      ::umask(mask);
      mode = 0666 & ~mask;
    }
    ::fchmod(fd, mode);
    file_ = ::fdopen(fd, "wb");
    if (!file_) {
      err = path + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmpl.c_str());
      return false;
    }
    path_ = path;
    tmp_ = std::move(tmpl);
    return true;
  }

  bool is_open() const { return file_ != nullptr; }
  std::FILE* file() const { return file_; }

  /// Flushes, closes and renames over the target.
  bool commit(std::string& err) {
    bool ok = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
    if (!ok)
      err = path_ + ": " + std::strerror(errno);
    ok = std::fclose(file_) == 0 && ok;
    file_ = nullptr;
    if (ok && ::rename(tmp_.c_str(), path_.c_str()) != 0) {
      err = path_ + ": " + std::strerror(errno);
      ok = false;
    }
    if (!ok) {
      if (err.empty())
        err = path_ + ": " + std::strerror(errno);
      ::unlink(tmp_.c_str());
    }
    tmp_.clear();
    return ok;
  }

  void discard() {
    if (file_) {
      std::fclose(file_);
      file_ = nullptr;
    }
    if (!tmp_.empty()) {
      ::unlink(tmp_.c_str());
      tmp_.clear();
    }
  }

private:
  std::FILE* file_ = nullptr;
  std::string path_, tmp_;
};

int run_curl(const std::string& argv0, const std::vector<std::string>& args) {
  dmsg_client_flags flags;
  std::string url_text, out_path, data;
  bool quiet = false, fail = false, json = false;
  int timeout_s = 60;
  po::options_description desc{
    "usage: " + argv0 + " [options] dmsg://<pk>[:port]/path\n"
    "Fetches a URL over dmsghttp (GET, or POST with -d) to stdout or a file.\n"
    "With -o the body goes to a temporary file beside FILE, renamed over it only\n"
    "on success: a failed fetch leaves FILE as it was.\n"
    "Exit codes as curl's: 3 bad URL, 6 peer not found (no such key in discovery,\n"
    "or the discovery is unreachable), 7 cannot connect (no session, dial refused\n"
    "or reset), 8 not an HTTP reply, 22 HTTP status >= 400 with -f, 23 write error,\n"
    "28 timeout, 56 the stream failed after connecting; 1 a config error (-s, -D,\n"
    "-l), 2 a usage error. What failed is printed in words.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "output,o", po::value(&out_path)->value_name("FILE"), "write the body to FILE")(
    "data,d", po::value(&data)->value_name("TEXT"), "POST TEXT as the body")(
    "quiet,q", po::bool_switch(&quiet), "no progress bar")(
    "fail,f", po::bool_switch(&fail), "exit 22 on an HTTP status >= 400")(
    "timeout,t", po::value(&timeout_s)->value_name("S"),
    "give up after S seconds without data (default 60)")(
    "json", po::bool_switch(&json), "print a JSON summary on stderr at the end");
  flags.add_to(desc);
  po::options_description hidden;
  hidden.add_options()("url", po::value(&url_text));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("url", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, all, vm, &pos); rc >= 0)
    return rc;
  if (url_text.empty()) {
    std::cerr << argv0 << ": missing URL\n\n" << desc << '\n';
    return exit_usage;
  }
  auto url = dmsg_tools::parse_dmsg_url(url_text);
  if (!url) {
    std::cerr << argv0 << ": " << describe(url.error()) << '\n';
    return 3; // curl: URL malformed
  }
  std::FILE* out = stdout;
  partial_file part;
  if (!out_path.empty()) {
    // a failed fetch must not destroy a good copy: the body goes to a
    // temporary file beside FILE, renamed over it only on success
    std::string err;
    if (!part.open(out_path, err)) {
      std::cerr << argv0 << ": cannot write " << err << '\n';
      return 23; // curl: write error
    }
    out = part.file();
  }
  block_stop_signals();
  start_failure why{};
  auto proc = dmsg_client_process::start(argv0, flags, &why);
  if (!proc)
    return exit_code_for(why); // 1 config, 6 discovery, 7 no session (the cause is printed)
  dmsg_tools::fetch_request req;
  req.url = *url;
  if (vm.count("data")) {
    req.method = "POST";
    req.body = data;
  }
  req.idle_timeout = std::chrono::seconds(timeout_s);
  bool show_progress = !quiet && out != stdout && isatty(STDERR_FILENO);
  auto bar = std::make_shared<progress_bar>();
  dmsg_tools::progress_fn progress;
  if (show_progress)
    progress = [bar](uint64_t got, std::optional<uint64_t> total) { (*bar)(got, total); };
  auto fetch = dmsg_tools::spawn_http_fetch(
    proc->system(), proc->client(), req,
    [out](const uint8_t* p, size_t n) { return std::fwrite(p, 1, n, out) == n; }, progress);
  int rc = exit_ok;
  {
    caf::scoped_actor self{proc->system()};
    self->request(fetch, caf::infinite, caf::ok_atom::value)
      .receive(
        [&](dmsg_tools::fetch_result& res) {
          if (json)
            std::cerr << boost::json::serialize(boost::json::object{
                           {"status", res.status},
                           {"bytes", res.body_bytes},
                           {"content_type", res.content_type}})
                      << '\n';
          if (fail && res.status >= 400) {
            std::cerr << argv0 << ": HTTP " << res.status << '\n';
            rc = 22;
          }
        },
        [&](caf::error& err) {
          // curl's exit codes: 6 resolve, 7 connect, 8 bad reply, 23 write,
          // 28 timeout, 56 receive
          rc = dmsg_tools::curl_exit_code(err);
          std::cerr << argv0 << ": " << dmsg_tools::fetch_failure_text(err) << '\n';
        });
  }
  bar.reset();
  if (!part.is_open()) {
    if (std::fflush(out) != 0) {
      std::cerr << argv0 << ": cannot write the output: " << std::strerror(errno) << '\n';
      rc = 23;
    }
    return rc;
  }
  if (rc != exit_ok) {
    part.discard(); // the previous FILE, if any, stays as it was
    return rc;
  }
  std::string err;
  if (!part.commit(err)) {
    std::cerr << argv0 << ": cannot write " << err << '\n';
    return 23;
  }
  return rc;
}

int run_http(const std::string& argv0, const std::vector<std::string>& args) {
  dmsg_client_flags flags;
  std::string dir = ".", wl;
  int port = 80;
  po::options_description desc{"usage: " + argv0 + " [-d DIR] [-p PORT] [-w PKS]\n"
                               "Serves a directory over dmsghttp until SIGINT/SIGTERM.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "dir,d", po::value(&dir)->value_name("DIR"), "directory to serve (default .)")(
    "port,p", po::value(&port)->value_name("PORT"), "dmsg port (default 80)")(
    "wl,w", po::value(&wl)->value_name("PKS"), "comma-separated PKs allowed (default: all)");
  flags.add_to(desc);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  auto whitelist = parse_pk_list(wl);
  if (!whitelist || port < 1 || port > 65535 || !std::filesystem::is_directory(dir)) {
    std::cerr << argv0 << ": need an existing directory, a port 1..65535 and valid PKs\n";
    return exit_usage;
  }
  block_stop_signals();
  start_failure why{};
  auto proc = dmsg_client_process::start(argv0, flags, &why);
  if (!proc)
    return exit_code_for(why);
  dmsg_tools::file_server_config fc;
  fc.root = std::filesystem::absolute(dir);
  fc.dmsg_port = static_cast<uint16_t>(port);
  fc.whitelist = *whitelist;
  auto srv = dmsg_tools::spawn_dmsghttp_file_server(proc->system(), proc->client(), fc);
  if (!listening(argv0, proc->system(), srv, port))
    return exit_failure;
  std::cout << "serving " << fc.root.string() << " at dmsg://" << proc->pk().hex() << ":" << port
            << "/" << std::endl;
  wait_for_stop();
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
  return exit_ok;
}

int run_web(const std::string& argv0, const std::vector<std::string>& args) {
  dmsg_client_flags flags;
  std::string addr = "127.0.0.1";
  int socks_port = 4445;
  po::options_description desc{
    "usage: " + argv0 + " [-q PORT]\n"
    "A local SOCKS5 proxy that resolves <pk>.dmsg[:port] names to dmsg streams\n"
    "(default dmsg port 80), e.g.\n"
    "  curl --socks5-hostname 127.0.0.1:4445 http://<pk>.dmsg/\n"
    "Other host names are refused. Runs until SIGINT/SIGTERM.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "proxy,q", po::value(&socks_port)->value_name("PORT"), "SOCKS5 port (default 4445)")(
    "addr", po::value(&addr)->value_name("IP"), "SOCKS5 listen address (default 127.0.0.1)");
  flags.add_to(desc);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  if (socks_port < 0 || socks_port > 65535) {
    std::cerr << argv0 << ": bad port\n";
    return exit_usage;
  }
  block_stop_signals();
  start_failure why{};
  auto proc = dmsg_client_process::start(argv0, flags, &why);
  if (!proc)
    return exit_code_for(why);
  auto* sys = &proc->system();
  auto client = proc->client();
  dmsg_tools::socks5_config sc;
  auto listener = io::tcp_listener::start(
    proc->io(), addr, static_cast<uint16_t>(socks_port),
    [sys, client, sc](io::stream_connection_ptr conn) {
      system::spawn_from_io_thread(
        [&] { return dmsg_tools::spawn_socks5_session(*sys, client, std::move(conn), sc); });
    });
  if (!listener) {
    std::cerr << argv0 << ": cannot listen on " << addr << ":" << socks_port << ": "
              << describe(listener.error()) << '\n';
    return exit_failure;
  }
  std::cout << "SOCKS5 on " << addr << ":" << (*listener)->port() << " resolving *.dmsg"
            << std::endl;
  wait_for_stop();
  (*listener)->stop();
  return exit_ok;
}

int run_web_srv(const std::string& argv0, const std::vector<std::string>& args) {
  dmsg_client_flags flags;
  int dmsg_port = 80, local_port = 8086;
  std::string wl;
  po::options_description desc{
    "usage: " + argv0 + " [-d DMSGPORT] [-p LOCALPORT] [-w PKS]\n"
    "Exposes the local TCP port 127.0.0.1:LOCALPORT on a dmsg port until\n"
    "SIGINT/SIGTERM.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "dport,d", po::value(&dmsg_port)->value_name("PORT"), "dmsg port (default 80)")(
    "lport,p", po::value(&local_port)->value_name("PORT"), "local TCP port (default 8086)")(
    "wl,w", po::value(&wl)->value_name("PKS"), "comma-separated PKs allowed (default: all)");
  flags.add_to(desc);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  auto whitelist = parse_pk_list(wl);
  if (!whitelist || dmsg_port < 1 || dmsg_port > 65535 || local_port < 1 || local_port > 65535) {
    std::cerr << argv0 << ": need ports 1..65535 and valid PKs\n";
    return exit_usage;
  }
  block_stop_signals();
  start_failure why{};
  auto proc = dmsg_client_process::start(argv0, flags, &why);
  if (!proc)
    return exit_code_for(why);
  dmsg_tools::port_forward_config pc;
  pc.dmsg_port = static_cast<uint16_t>(dmsg_port);
  pc.local_port = static_cast<uint16_t>(local_port);
  pc.whitelist = *whitelist;
  auto fwd = dmsg_tools::spawn_port_forward(proc->system(), proc->io(), proc->client(), pc);
  if (!listening(argv0, proc->system(), fwd, dmsg_port))
    return exit_failure;
  std::cout << "dmsg://" << proc->pk().hex() << ":" << dmsg_port << " -> 127.0.0.1:"
            << local_port << std::endl;
  wait_for_stop();
  caf::anon_send_exit(fwd, caf::exit_reason::user_shutdown);
  return exit_ok;
}

} // namespace

SKYWIRE_CLI_COMMAND("dmsg curl", "fetch a dmsg:// URL over dmsghttp", run_curl);
SKYWIRE_CLI_COMMAND("dmsg http", "serve a directory over dmsghttp", run_http);
SKYWIRE_CLI_COMMAND("dmsg web", "SOCKS5 proxy resolving <pk>.dmsg names", run_web);
SKYWIRE_CLI_COMMAND("dmsg web srv", "expose a local TCP port on a dmsg port", run_web_srv);

} // namespace skywire::cli
