#include "runtime/io/io_runtime.hpp"

namespace skywire::io {

io_runtime::io_runtime(unsigned threads) : guard_(ctx_.get_executor()) {
  if (threads == 0)
    threads = 1;
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] { ctx_.run(); });
}

io_runtime::~io_runtime() {
  stop();
}

void io_runtime::stop() {
  guard_.reset();
  ctx_.stop();
  for (auto& t : threads_)
    if (t.joinable() && t.get_id() != std::this_thread::get_id())
      t.join();
  threads_.clear();
}

} // namespace skywire::io
