// Flush denormals to zero while the core computes. A decaying note tail drives
// recurrent and residual states towards 1e-38 and below, where x86 and some ARM
// cores slow down by 10-100x; flushing them costs nothing audible (-760 dB).
// The caller's floating-point mode is restored on scope exit, so Python's
// maths outside the core is untouched.
#pragma once

#include <cstdint>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace pedal::engine {

class DenormalsFlushed {
public:
#if defined(__SSE__) || defined(__x86_64__)
    DenormalsFlushed() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero); }
    ~DenormalsFlushed() { _mm_setcsr(saved_); }

private:
    static constexpr unsigned kFlushToZero = 0x8000;
    static constexpr unsigned kDenormalsAreZero = 0x0040;
    unsigned saved_;
#elif defined(__aarch64__)
    DenormalsFlushed() {
        __asm__ __volatile__("mrs %0, fpcr" : "=r"(saved_));
        const std::uint64_t flushed = saved_ | kFlushToZero;
        __asm__ __volatile__("msr fpcr, %0" : : "r"(flushed));
    }
    ~DenormalsFlushed() { __asm__ __volatile__("msr fpcr, %0" : : "r"(saved_)); }

private:
    static constexpr std::uint64_t kFlushToZero = 1ull << 24;
    std::uint64_t saved_;
#elif defined(__arm__) && defined(__ARM_FP)
    DenormalsFlushed() {
        __asm__ __volatile__("vmrs %0, fpscr" : "=r"(saved_));
        const std::uint32_t flushed = saved_ | kFlushToZero;
        __asm__ __volatile__("vmsr fpscr, %0" : : "r"(flushed));
    }
    ~DenormalsFlushed() { __asm__ __volatile__("vmsr fpscr, %0" : : "r"(saved_)); }

private:
    static constexpr std::uint32_t kFlushToZero = 1u << 24;
    std::uint32_t saved_;
#else
    DenormalsFlushed() = default;
#endif
    DenormalsFlushed(const DenormalsFlushed &) = delete;
    DenormalsFlushed &operator=(const DenormalsFlushed &) = delete;
};

}  // namespace pedal::engine
