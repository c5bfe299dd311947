#include "cli/options.hpp"

#include <iostream>

#include "cli/command.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

int parse_options(const std::string& argv0, const std::vector<std::string>& args,
                  const po::options_description& desc, po::variables_map& vm,
                  const po::positional_options_description* pos) {
  try {
    po::command_line_parser p{args};
    p.options(desc);
    if (pos)
      p.positional(*pos);
    po::store(p.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << argv0 << ": " << e.what() << "\n\n" << desc << '\n';
    return exit_usage;
  }
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return exit_ok;
  }
  return -1;
}

} // namespace skywire::cli
