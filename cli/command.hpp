// The `skywire` binary's subcommand registry. Each file cli/<group>_cmd.cpp
// registers its commands with SKYWIRE_CLI_COMMAND; main.cpp dispatches on the
// longest matching word path ("cli config gen"). Adding `skywire dmsg …` or
// `skywire svc …` is one new file, no edit elsewhere.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace skywire::cli {

/// Exit codes of every command.
enum exit_code : int { exit_ok = 0, exit_failure = 1, exit_usage = 2 };

struct command {
  std::string path;    ///< words after `skywire`, e.g. "cli config gen"
  std::string summary; ///< one line for `skywire --help` and `skywire tree`
  /// Runs with the arguments after the path; `argv0` is "skywire <path>".
  std::function<int(const std::string& argv0, const std::vector<std::string>& args)> run;
  bool hidden = false; ///< not listed by --help/tree
};

void register_command(command c);

/// Every registered command, sorted by path.
std::vector<command> commands();

struct registrar {
  explicit registrar(command c) { register_command(std::move(c)); }
};

} // namespace skywire::cli

#define SKYWIRE_CLI_CONCAT2(a, b) a##b
#define SKYWIRE_CLI_CONCAT(a, b) SKYWIRE_CLI_CONCAT2(a, b)
/// SKYWIRE_CLI_COMMAND("cli visor pk", "print the visor's public key", run_fn);
#define SKYWIRE_CLI_COMMAND(path, summary, fn)                                                    \
  static ::skywire::cli::registrar SKYWIRE_CLI_CONCAT(skywire_cli_cmd_, __LINE__) {               \
    ::skywire::cli::command { path, summary, fn }                                                 \
  }
