// Bounded waits shared by the tests. Wait on an event (a future, a
// callback, a log line: port_from_log, the actor's answer) wherever one
// exists; these polls are for states that announce themselves by no event
// (a remote table, a file's content, a CLI answer, a counter another thread
// bumps) and are the only place a test sleeps between looks.
#pragma once

#include <chrono>
#include <thread>

namespace skywire::test {

/// Polls `fn` every `every` until it is true or `limit` passed; its last
/// answer.
template <class F>
bool eventually(F fn, std::chrono::milliseconds limit,
                std::chrono::milliseconds every = std::chrono::milliseconds{50}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fn())
      return true;
    std::this_thread::sleep_for(every);
  }
  return fn();
}

/// Calls `fn` (returning an expected<T> or anything testable as bool) up to
/// `times` times, `gap` apart, until it succeeds or `keep_trying(result)`
/// says no (default: retry every failure); the last result.
template <class F, class Keep>
auto retry(F fn, int times, std::chrono::milliseconds gap, Keep keep_trying) {
  auto r = fn();
  for (int i = 1; i < times && !r && keep_trying(r); ++i) {
    std::this_thread::sleep_for(gap);
    r = fn();
  }
  return r;
}

template <class F>
auto retry(F fn, int times, std::chrono::milliseconds gap) {
  return retry(std::move(fn), times, gap, [](const auto&) { return true; });
}

} // namespace skywire::test
