// Waits on the process's own log lines: a test that runs actors in-process
// learns that something happened (an app listening, the port the kernel gave
// it) from the line the code logs when it happens, not by probing a port.
// Installs the logger's sink for its lifetime; every line still goes to
// stderr, so a failing test shows it.
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "runtime/log/logger.hpp"

namespace skywire::test {

class log_watch {
public:
  log_watch() {
    log::set_sink([this](std::string_view line) {
      {
        std::lock_guard<std::mutex> guard{mtx_};
        if (lines_.size() < max_lines)
          lines_.emplace_back(line);
        else
          ++dropped_;
      }
      cv_.notify_all();
      auto n = ::write(2, line.data(), line.size());
      (void)n;
    });
  }
  ~log_watch() { log::set_sink(nullptr); }
  log_watch(const log_watch&) = delete;
  log_watch& operator=(const log_watch&) = delete;

  /// The first group of the first line (from line `from` on) that matches
  /// `pattern`, waiting up to `limit` for it; nothing when none came.
  std::optional<std::string> wait_for(const std::string& pattern, std::chrono::milliseconds limit,
                                      size_t from = 0) {
    std::regex re{pattern};
    std::unique_lock<std::mutex> lock{mtx_};
    std::optional<std::string> found;
    cv_.wait_for(lock, limit, [&] {
      for (size_t i = from; i < lines_.size(); ++i) {
        std::smatch m;
        if (std::regex_search(lines_[i], m, re)) {
          found = m.size() > 1 ? m[1].str() : m[0].str();
          return true;
        }
      }
      return false;
    });
    return found;
  }

  /// How many lines came so far (a `from` for a later wait_for).
  size_t size() {
    std::lock_guard<std::mutex> guard{mtx_};
    return lines_.size();
  }

  /// Lines past the cap (a test that logs this much has another problem).
  size_t dropped() {
    std::lock_guard<std::mutex> guard{mtx_};
    return dropped_;
  }

private:
  static constexpr size_t max_lines = 100000;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  size_t dropped_ = 0;
};

} // namespace skywire::test
