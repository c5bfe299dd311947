#include "cli/stop_signal.hpp"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace skywire::cli {

namespace {

sigset_t stop_set() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}

} // namespace

void block_stop_signals() {
  auto s = stop_set();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

int wait_for_stop(const std::function<bool()>& keep_running) {
  auto s = stop_set();
  for (;;) {
    timespec ts{0, 100 * 1000 * 1000};
    siginfo_t info{};
    int sig = sigtimedwait(&s, &info, &ts);
    if (sig > 0)
      return sig;
    if (keep_running && !keep_running())
      return 0;
  }
}

} // namespace skywire::cli
