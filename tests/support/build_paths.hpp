// Where the build put what the tests read: the test vectors, the source tree
// and the `skywire` binary. Resolved at run time from one generated file
// (tests/build_paths.cpp), so that no other test object depends on
// where the checkout lies: a compiler cache serves a clone in any folder.
#pragma once

namespace skywire::test_paths {

const char* vectors_dir(); ///< tests/vectors of this checkout
const char* source_dir();  ///< the checkout
const char* binary();      ///< the skywire executable of this build

} // namespace skywire::test_paths

#define SKYWIRE_VECTORS_DIR (::skywire::test_paths::vectors_dir())
#define SKYWIRE_SOURCE_DIR (::skywire::test_paths::source_dir())
#define SKYWIRE_BINARY (::skywire::test_paths::binary())
