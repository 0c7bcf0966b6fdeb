// Neural Amp Modeler's LSTM: a stack of LSTM layers and a linear head from the
// last hidden state to the output sample. Each layer starts from the state the
// file stores (the exporter's response to a second of silence), so no
// warm-up is needed to match the trainer from the first sample.
#pragma once

#include <cstddef>
#include <vector>

#include "layers/lstm.h"
#include "models/model.h"

namespace pedal::models {

struct NamLstmLayer {
    std::size_t inputs = 1;
    std::size_t hidden = 0;
    std::vector<float> weights;  // [inputs + hidden][4 * hidden], gates i, f, g, o
    std::vector<float> bias;     // [4 * hidden]
    std::vector<float> initial_hidden, initial_cell;  // [hidden]
};

struct NamLstmSpec {
    std::vector<NamLstmLayer> layers;
    std::vector<float> head_weights;  // [hidden of the last layer]
    float head_bias = 0.0f;
};

class NamLstm final : public Model {
public:
    explicit NamLstm(NamLstmSpec spec);

    void process(const float *in, float *out, std::size_t frames) noexcept override;
    void reset() noexcept override;
    std::size_t receptive_field() const noexcept override { return 1; }

private:
    void process_chunk(const float *in, float *out, std::size_t frames) noexcept;

    std::vector<layers::Lstm> layers_;
    std::vector<float> head_weights_;
    float head_bias_ = 0.0f;
    std::vector<float> ping_, pong_;  // [kMaxChunk][widest hidden]: one layer's hidden states
};

}  // namespace pedal::models
