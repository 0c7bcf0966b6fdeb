// Batch normalisation as it runs at inference: the trained statistics are
// folded into one scale and one offset per channel when the layer is built,
//   y = gamma * (x - mean) / sqrt(var + eps) + beta  =  scale * x + offset,
// so playing it costs one multiply-add per value.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

namespace pedal::layers {

class BatchNorm {
public:
    BatchNorm() = default;

    // gamma and beta may be empty (a non-"affine" layer: 1 and 0). The caller
    // has checked var + eps > 0 for every channel. Folded in double so the
    // float result is the correctly rounded scale and offset.
    BatchNorm(const std::vector<float> &gamma, const std::vector<float> &beta, const std::vector<float> &mean,
              const std::vector<float> &variance, double epsilon)
        : scale_(mean.size()), offset_(mean.size()) {
        for (std::size_t c = 0; c < mean.size(); ++c) {
            const double g = gamma.empty() ? 1.0 : gamma[c];
            const double b = beta.empty() ? 0.0 : beta[c];
            const double s = g / std::sqrt(static_cast<double>(variance[c]) + epsilon);
            scale_[c] = static_cast<float>(s);
            offset_[c] = static_cast<float>(b - static_cast<double>(mean[c]) * s);
        }
    }

    std::size_t channels() const { return scale_.size(); }

    void process(float *x, std::size_t frames) const {
        const std::size_t channels = scale_.size();
        for (std::size_t t = 0; t < frames; ++t) {
            float *frame = x + t * channels;
            for (std::size_t c = 0; c < channels; ++c) frame[c] = scale_[c] * frame[c] + offset_[c];
        }
    }

private:
    std::vector<float> scale_, offset_;
};

}  // namespace pedal::layers
