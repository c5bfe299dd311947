#include "runtime/system/memory.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace skywire::system {

void release_free_memory() noexcept {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

} // namespace skywire::system
