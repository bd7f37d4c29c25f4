#pragma once
// The Highway targets the CPU kernels are compiled for, included before any Highway header.
// SSSE3/SSE4 add compile time and nothing over the EMU128 fallback for this work; the scalable
// targets (SVE, RVV) cannot hold the register tiles, which are arrays of vectors.
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_SSE4 | HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128 | HWY_RVV)
#endif
