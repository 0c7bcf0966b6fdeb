// The pitch detector's edges: notes at and below its lowest, silence, and a
// detector used before prepare, all within its buffers (the ASan build checks).
#include <cmath>
#include <vector>

#include "check.h"
#include "dsp/pitch_detector.h"

using namespace pedal::dsp;

namespace {

std::vector<float> tone(double hz, double rate, double seconds) {
    std::vector<float> x(static_cast<std::size_t>(seconds * rate));
    for (std::size_t t = 0; t < x.size(); ++t)
        x[t] = static_cast<float>(0.3 * std::sin(2.0 * 3.14159265358979 * hz * static_cast<double>(t) / rate));
    return x;
}

}  // namespace

PEDAL_TEST(pitch_detector_reads_down_to_its_lowest_note_and_stays_in_bounds_below_it) {
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        PitchDetector ear;
        CHECK(ear.prepare(rate));
        for (double hz : {20.0, 23.0, 24.5, 25.5, 30.87}) {
            ear.reset();
            const std::vector<float> x = tone(hz, rate, 1.0);
            for (std::size_t at = 0; at + 512 <= x.size(); at += 512) {
                ear.push(x.data() + at, 512);
                const Pitch pitch = ear.analyse(-60.0);
                CHECK(pitch.hz == 0.0 || (pitch.hz >= 0.9 * PitchDetector::kLowestHz && pitch.hz < 2000.0));
            }
            if (hz > 30.0) CHECK(std::fabs(ear.analyse(-60.0).hz - hz) < 0.05);
        }
    }
}

PEDAL_TEST(pitch_detector_before_prepare_and_in_silence_says_no_note) {
    PitchDetector unprepared;
    std::vector<float> x(256, 0.5f);
    unprepared.push(x.data(), x.size());
    CHECK_EQ(unprepared.analyse().hz, 0.0);
    PitchDetector ear;
    CHECK(ear.prepare(48000.0));
    CHECK(!ear.prepare(1000.0));  // refused before anything changes: it stays prepared at 48 kHz
    std::vector<float> silence(48000, 0.0f);
    ear.push(silence.data(), silence.size());
    CHECK_EQ(ear.analyse(-50.0).hz, 0.0);
}
