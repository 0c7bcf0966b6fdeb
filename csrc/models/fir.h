// A finite impulse response: y[t] = bias + sum_k taps[k] * x[t - k]. This is
// Neural Amp Modeler's "Linear" architecture as its C++ player runs it (taps[0]
// on the current sample).
#pragma once

#include <cstddef>
#include <vector>

#include "layers/conv1d.h"
#include "layers/history.h"
#include "models/model.h"

namespace pedal::models {

class Fir final : public Model {
public:
    // taps[k] multiplies the input k samples ago; taps must not be empty.
    Fir(const std::vector<float> &taps, float bias);

    void process(const float *in, float *out, std::size_t frames) noexcept override;
    void reset() noexcept override { input_.reset(); }
    std::size_t receptive_field() const noexcept override { return conv_.lookback() + 1; }

private:
    layers::Conv1d conv_;
    layers::History input_;
};

}  // namespace pedal::models
