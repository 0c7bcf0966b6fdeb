// A block the engine forgot to prepare must not take the audio thread down:
// it outputs something bounded (a copy, silence or a clip) and returns.
#include <cmath>
#include <vector>

#include "check.h"
#include "dsp/convolver.h"
#include "dsp/fft.h"
#include "dsp/limiter.h"
#include "dsp/rate_bridge.h"
#include "dsp/resampler.h"

using namespace pedal::dsp;

PEDAL_TEST(dsp_blocks_used_before_prepare_stay_safe) {
    std::vector<float> in(64, 2.0f), out(128, 7.0f);
    in[3] = NAN;

    Limiter limiter;
    limiter.process(in.data(), out.data(), 64);
    CHECK_EQ(out[0], 1.0f);  // clipped to full scale
    CHECK_EQ(out[3], 0.0f);

    Resampler resampler;
    CHECK_EQ(resampler.process(in.data(), 64, out.data()), std::size_t{0});

    Convolver convolver;
    ImpulseResponse ir;
    const float one = 1.0f;
    ir.prepare(&one, 1, 48000, 48000, 64, 64);
    CHECK(!convolver.set_ir(&ir));
    convolver.process(in.data(), out.data(), 64);
    CHECK_EQ(out[0], 2.0f);  // passed through

    RateBridge bridge;
    CHECK_EQ(bridge.to_inner(in.data(), 64), std::size_t{0});
    bridge.from_inner(out.data(), 64);
    CHECK_EQ(out[0], 0.0f);  // silence

    RealFft fft;
    fft.forward(in.data(), out.data(), out.data() + 64);  // nothing happens
}
