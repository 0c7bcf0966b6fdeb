#include "dsp/impulse_response.h"

#include <algorithm>
#include <cmath>

#include "dsp/fft.h"
#include "dsp/resampler.h"

namespace pedal::dsp {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Offline rate change of a whole IR: the resampler's latency is dropped but
// for `lead` samples, so time 0 lands on sample `lead`, and its tail is
// flushed with silence.
bool resample_ir(const float *ir, std::size_t frames, unsigned from, unsigned to, std::size_t &lead,
                 std::vector<float> &out) {
    Resampler r;
    if (!r.prepare(from, to, 4096)) return false;
    const std::size_t latency = static_cast<std::size_t>(r.latency());
    lead = std::min(lead, latency);
    const std::size_t skip = latency - lead;
    const std::size_t keep = r.max_output_frames(frames) + latency + lead;  // pre-ringing, IR, ringing after
    std::vector<float> produced(skip + keep + r.max_output_frames(4096));
    std::vector<float> silence(4096, 0.0f);
    std::size_t made = r.process(ir, frames, produced.data());
    while (made < skip + keep) made += r.process(silence.data(), silence.size(), produced.data() + made);
    const float scale = static_cast<float>(static_cast<double>(from) / to);  // keeps the frequency response
    out.assign(produced.begin() + static_cast<long>(skip), produced.begin() + static_cast<long>(skip + keep));
    for (float &v : out) v *= scale;
    // The ringing of the filter past the IR's end is kept; trailing silence is not.
    while (out.size() > 1 && std::fabs(out.back()) < 1e-9f) out.pop_back();
    return true;
}

}  // namespace

bool ImpulseResponse::prepare(const float *ir, std::size_t frames, unsigned ir_rate, unsigned engine_rate,
                              std::size_t partition, std::size_t max_frames, std::size_t pre_ring) {
    if (frames == 0 || max_frames == 0 || partition < kMinPartition || partition > kMaxPartition ||
        (partition & (partition - 1)) != 0)
        return false;
    for (std::size_t i = 0; i < frames; ++i)
        if (!std::isfinite(ir[i])) return false;

    std::vector<float> samples;
    std::size_t lead = 0;
    if (ir_rate == engine_rate) {
        samples.assign(ir, ir + frames);
    } else {
        lead = pre_ring;
        if (!resample_ir(ir, frames, ir_rate, engine_rate, lead, samples)) return false;
    }
    if (samples.size() > max_frames) {
        samples.resize(max_frames);
        // A cut tail would click at every note's end: fade the last 5 ms (or an eighth).
        const std::size_t fade = std::max<std::size_t>(1, std::min<std::size_t>(engine_rate / 200, max_frames / 8));
        for (std::size_t i = 0; i < fade; ++i)
            samples[max_frames - 1 - i] *= static_cast<float>(0.5 - 0.5 * std::cos(kPi * static_cast<double>(i) / static_cast<double>(fade)));
    }

    partition_ = partition;
    lead_ = lead;
    frames_ = samples.size();
    partitions_ = (frames_ + partition - 1) / partition;
    stride_ = (partition + 1 + 15) / 16 * 16;
    samples_ = std::move(samples);

    head_.assign(partition, 0.0f);
    for (std::size_t j = 0; j < partition && j < frames_; ++j) head_[partition - 1 - j] = samples_[j];

    RealFft fft;
    fft.prepare(2 * partition);
    spectra_.assign(partitions_ * 2 * stride_, 0.0f);
    std::vector<float> block(2 * partition);
    for (std::size_t p = 0; p < partitions_; ++p) {
        std::fill(block.begin(), block.end(), 0.0f);
        const std::size_t begin = p * partition, end = std::min(frames_, begin + partition);
        std::copy(samples_.begin() + static_cast<long>(begin), samples_.begin() + static_cast<long>(end), block.begin());
        float *re = spectra_.data() + p * 2 * stride_;
        fft.forward(block.data(), re, re + stride_);
    }
    return true;
}

}  // namespace pedal::dsp
