// A list of layers run in order, the shape of every RTNeural-family network
// (Keras-style layer lists, AIDA-X captures, GuitarML's LSTM + linear).
//
// Each frame's input vector is [audio, knob values...]: a model trained with
// knob inputs hears them at the values its knobs are turned to (knob_inputs.h:
// set from the control side, glided to frame by frame).
// The output sample is element 0 of the last layer's output, plus the
// (gain-scaled) input sample when the model was trained to predict the
// difference ("skip"), times the output gain:
//   a = in * input_gain;  y = (net([a, knobs])[0] + (skip ? a : 0)) * output_gain
//
// Layers run one after another over a chunk of frames: a recurrent layer steps
// frame by frame inside its chunk, the others work on the whole chunk.
#pragma once

#include <cstddef>
#include <variant>
#include <vector>

#include "layers/activation_layer.h"
#include "layers/batchnorm.h"
#include "layers/conv1d.h"
#include "layers/gru.h"
#include "layers/history.h"
#include "layers/lstm.h"
#include "layers/prelu.h"
#include "models/knob_inputs.h"
#include "models/model.h"

namespace pedal::models {

// A dense layer is a Conv1d of one tap; a grouped convolution arrives with its
// weights already expanded to the full [tap][in][out] block (zeros between groups).
using SequentialLayer =
    std::variant<layers::Conv1d, layers::Lstm, layers::Gru, layers::PRelu, layers::BatchNorm, layers::ActivationLayer>;

struct SequentialSpec {
    std::size_t inputs = 1;          // values per input frame: audio + knobs
    std::vector<float> knob_values;  // inputs - 1 values: the knobs' starting positions
    std::size_t knob_glide_frames = 480;  // frames (at the model's rate) a knob takes to reach a new value
    std::vector<SequentialLayer> layers;
    float input_gain = 1.0f;
    float output_gain = 1.0f;
    bool skip = false;
};

class Sequential final : public Model {
public:
    // Throws std::invalid_argument when the layers' widths do not chain (a
    // loader bug: loaders check every shape against the file first).
    explicit Sequential(SequentialSpec spec);

    void process(const float *in, float *out, std::size_t frames) noexcept override;
    void reset() noexcept override;
    // 0 when a recurrent layer makes the memory unbounded.
    std::size_t receptive_field() const noexcept override { return receptive_field_; }
    std::size_t knob_count() const noexcept override { return knobs_.count(); }
    bool set_knob(std::size_t knob, float value) noexcept override { return knobs_.set(knob, value); }
    void settle_knobs() noexcept override { knobs_.reset(); }

    // Runs one chunk (<= kMaxChunk frames) of whole input vectors and returns
    // the last layer's output frames ([frames][output_width()], valid until the
    // next call). For tests of multi-channel layers; process() is built on it.
    const float *forward(const float *input_frames, std::size_t frames) noexcept;
    std::size_t output_width() const { return widths_.back(); }

private:
    void process_chunk(const float *in, float *out, std::size_t frames) noexcept;

    SequentialSpec spec_;
    KnobInputs knobs_;
    std::vector<std::size_t> widths_;           // widths_[0] = inputs, widths_[n + 1] = layer n's output
    std::vector<layers::History> histories_;   // look-back of each layer's input (used by convolutions)
    std::size_t receptive_field_ = 1;
    // Scratch for one chunk, sized at construction.
    std::vector<float> ping_, pong_;  // [chunk][widest layer]
    std::vector<float> audio_;        // [chunk]: the gain-scaled input, for the skip
};

}  // namespace pedal::models
