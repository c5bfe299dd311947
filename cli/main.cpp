// skywire: the single binary. Subcommands register themselves (command.hpp);
// this file only dispatches and prints the overview.
#include <algorithm>
#include <cstring>
#include <iostream>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "cli/command.hpp"
#include "runtime/system/build_info.hpp"
#include "runtime/system/memory.hpp"

using namespace skywire::cli;

namespace {

std::vector<std::string> split_words(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in{path};
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

// The command groups under `prefix` (its direct children), with a summary.
void print_children(std::ostream& out, const std::vector<std::string>& prefix) {
  std::vector<std::pair<std::string, std::string>> rows; // name, summary
  std::set<std::string> shown;
  size_t width = 0;
  for (const auto& c : commands()) {
    if (c.hidden)
      continue;
    auto words = split_words(c.path);
    if (words.size() <= prefix.size()
        || !std::equal(prefix.begin(), prefix.end(), words.begin()))
      continue;
    auto child = words[prefix.size()];
    if (!shown.insert(child).second)
      continue;
    bool leaf = words.size() == prefix.size() + 1;
    width = std::max(width, child.size());
    rows.emplace_back(child, leaf ? c.summary : "(" + child + " commands)");
  }
  for (const auto& [name, summary] : rows)
    out << "  " << name << std::string(width + 2 - name.size(), ' ') << summary << '\n';
}

void usage(std::ostream& out, const std::vector<std::string>& prefix) {
  std::string p = "skywire";
  for (auto& w : prefix)
    p += " " + w;
  out << "usage: " << p << " <command> [options]\n\ncommands:\n";
  print_children(out, prefix);
  out << "\n'" << p << " <command> --help' describes a command; 'skywire tree' lists them all.\n";
}

int tree(const std::string&, const std::vector<std::string>&) {
  // prints every group once, then its commands, indented by depth
  std::cout << "skywire\n";
  std::vector<std::string> last;
  for (const auto& c : commands()) {
    if (c.hidden)
      continue;
    auto words = split_words(c.path);
    size_t common = 0;
    while (common < last.size() && common + 1 < words.size() && last[common] == words[common])
      ++common;
    for (size_t d = common; d + 1 < words.size(); ++d)
      std::cout << std::string(2 * d, ' ') << "├─ " << words[d] << '\n';
    std::string line = std::string(2 * (words.size() - 1), ' ') + "├─ " + words.back();
    std::cout << line << std::string(line.size() < 34 ? 34 - line.size() : 1, ' ') << c.summary
              << '\n';
    last = words;
  }
  return exit_ok;
}

SKYWIRE_CLI_COMMAND("tree", "print the command tree", tree);

} // namespace

int main(int argc, char** argv) {
  skywire::system::tune_allocator(); // before any thread starts
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    usage(args.empty() ? std::cerr : std::cout, {});
    return args.empty() ? exit_usage : exit_ok;
  }
  if (args[0] == "--version" || args[0] == "-v" || args[0] == "version") {
    std::cout << "skywire " << skywire::system::version() << " ("
              << skywire::system::build_description() << ")\n";
    return exit_ok;
  }
  // longest command path that prefixes the arguments
  const command* best = nullptr;
  size_t best_len = 0;
  auto all = commands();
  for (const auto& c : all) {
    auto words = split_words(c.path);
    if (words.size() > args.size() || words.size() <= best_len)
      continue;
    if (std::equal(words.begin(), words.end(), args.begin())) {
      best = &c;
      best_len = words.size();
    }
  }
  if (best == nullptr) {
    // a group name ("skywire cli config") or an unknown word
    std::vector<std::string> prefix;
    for (const auto& a : args) {
      if (a.empty() || a[0] == '-')
        break;
      auto trial = prefix;
      trial.push_back(a);
      bool is_group = false;
      for (const auto& c : all) {
        auto words = split_words(c.path);
        if (words.size() > trial.size() && std::equal(trial.begin(), trial.end(), words.begin()))
          is_group = true;
      }
      if (!is_group)
        break;
      prefix = trial;
    }
    bool asked_help = false;
    if (prefix.size() < args.size())
      asked_help = args[prefix.size()] == "--help" || args[prefix.size()] == "-h";
    if (!prefix.empty() && (prefix.size() == args.size() || asked_help)) {
      usage(asked_help ? std::cout : std::cerr, prefix);
      return asked_help ? exit_ok : exit_usage;
    }
    std::cerr << "skywire: unknown command '";
    for (size_t i = 0; i <= prefix.size() && i < args.size(); ++i)
      std::cerr << (i ? " " : "") << args[i];
    std::cerr << "'\n\n";
    usage(std::cerr, prefix);
    return exit_usage;
  }
  std::vector<std::string> rest(args.begin() + static_cast<long>(best_len), args.end());
  try {
    return best->run("skywire " + best->path, rest);
  } catch (const std::exception& e) {
    std::cerr << "skywire " << best->path << ": " << e.what() << '\n';
    return exit_failure;
  }
}
