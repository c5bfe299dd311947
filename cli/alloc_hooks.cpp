// Counts every allocation of the `skywire` process (runtime/system/alloc_stats):
// the replaceable global operator new forms, each one relaxed atomic add on top
// of malloc. The matching deletes stay the library's (they call free).
#include <cstdlib>
#include <new>

#include "runtime/system/alloc_stats.hpp"

namespace {

struct enable_counting {
  enable_counting() { skywire::system::alloc_stats().enabled.store(true); }
} enable_counting_at_start;

void* counted_alloc(std::size_t n) noexcept {
  auto& c = skywire::system::alloc_stats();
  c.allocations.fetch_add(1, std::memory_order_relaxed);
  c.bytes.fetch_add(n, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}

} // namespace

void* operator new(std::size_t n) {
  if (auto* p = counted_alloc(n))
    return p;
  throw std::bad_alloc{};
}

void* operator new[](std::size_t n) {
  if (auto* p = counted_alloc(n))
    return p;
  throw std::bad_alloc{};
}

void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted_alloc(n);
}

void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted_alloc(n);
}

void operator delete(void* p) noexcept {
  std::free(p);
}

void operator delete[](void* p) noexcept {
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
