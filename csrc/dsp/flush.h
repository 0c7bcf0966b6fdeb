// Shared by the recursive blocks (biquad, DC blocker, gate): how they keep
// denormals and non-finite values out of their state.
//
// Denormals: a filter ringing down to silence walks its state towards 1e-308,
// where arithmetic slows down by 10-100x on x86 and some ARM cores. The engine
// flushes them in hardware, but the blocks do not rely on it: each recursion
// flushes its output to zero below kFlushBelow (-600 dBFS, far under anything
// audible or representable in a 24-bit sample), so it dies within a couple of
// samples instead of lingering, and never emits a subnormal float.
#pragma once

#include <cmath>

namespace pedal::dsp {

constexpr double kFlushBelow = 1e-30;

inline double flush_tiny(double v) noexcept { return std::fabs(v) < kFlushBelow ? 0.0 : v; }

// A state holding NaN or Inf would poison every later sample of a recursive
// filter. The blocks check their state once per call and start afresh when it
// is not finite: the call that saw a bad sample may output garbage (the engine
// mutes it), the next one is clean.
inline bool all_finite(double a, double b = 0.0) noexcept { return std::isfinite(a) && std::isfinite(b); }

}  // namespace pedal::dsp
