// Shared flag parsing for the `skywire` subcommands (Boost.Program_options).
#pragma once

#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace skywire::cli {

/// Parses `args` into `vm`. Returns -1 to go on; otherwise the exit code to
/// return at once (0 after printing --help, 2 after a usage error, which is
/// printed with the usage to stderr).
int parse_options(const std::string& argv0, const std::vector<std::string>& args,
                  const boost::program_options::options_description& desc,
                  boost::program_options::variables_map& vm,
                  const boost::program_options::positional_options_description* pos = nullptr);

} // namespace skywire::cli
