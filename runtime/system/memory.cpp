#include "runtime/system/memory.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace skywire::system {

void tune_allocator() noexcept {
#if defined(__GLIBC__)
  ::mallopt(M_TRIM_THRESHOLD, static_cast<int>(allocator_trim_threshold));
  ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(allocator_mmap_threshold));
#endif
}

void release_free_memory() noexcept {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

} // namespace skywire::system
