#pragma once
// runtime/crypto/avx512.hpp: the AVX-512 intrinsics for the AEAD's vector code
// (chachapoly.cpp, poly1305.cpp), where the compiler targets x86-64; each
// function that uses them says so with target("avx512f"), and the code picks
// it at run time only on a CPU that has it. SKYWIRE_HAVE_AVX512_CHACHA says
// whether the vector code is built.

#if defined(__x86_64__)
// GCC 12's AVX-512 intrinsics start from a self-initialised "undefined"
// vector, which -Wuninitialized reports at the header's lines (GCC bug
// 105593); the warning is off for the header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#pragma GCC diagnostic pop
#define SKYWIRE_HAVE_AVX512_CHACHA 1
#endif
