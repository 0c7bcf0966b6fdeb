#include "layers/lstm_kernels.h"

namespace pedal::layers {

namespace {

template <std::size_t Inputs, std::size_t Hidden>
LstmKernelChoice fixed(const std::vector<float> &weights, const std::vector<float> &bias) {
    using Kernel = FixedLstm<Inputs, Hidden>;
    return {&Kernel::run, Kernel::pack_weights(weights), Kernel::pack_bias(bias)};
}

struct Entry {
    std::size_t inputs, hidden;
    LstmKernelChoice (*choose)(const std::vector<float> &, const std::vector<float> &);
};

// Shapes found in published captures: NAM LSTM presets (1 input; hidden 8 to
// 40; the second layer of 2x8 and 2x16) and AIDA-X / Proteus / RTNeural
// guitar LSTMs (1 or 2 inputs, the second a knob). Other shapes use lstm_generic.
#define PEDAL_LSTM_SHAPE(inputs, hidden) {inputs, hidden, &fixed<inputs, hidden>}
const Entry kFixedShapes[] = {
    PEDAL_LSTM_SHAPE(1, 8),  PEDAL_LSTM_SHAPE(1, 12), PEDAL_LSTM_SHAPE(1, 16), PEDAL_LSTM_SHAPE(1, 20),
    PEDAL_LSTM_SHAPE(1, 24), PEDAL_LSTM_SHAPE(1, 32), PEDAL_LSTM_SHAPE(1, 40), PEDAL_LSTM_SHAPE(8, 8),
    PEDAL_LSTM_SHAPE(16, 16), PEDAL_LSTM_SHAPE(2, 16), PEDAL_LSTM_SHAPE(2, 20), PEDAL_LSTM_SHAPE(2, 40),
};
#undef PEDAL_LSTM_SHAPE

}  // namespace

LstmKernelChoice select_lstm_kernel(std::size_t inputs, std::size_t hidden, const std::vector<float> &weights,
                                    const std::vector<float> &bias) {
    for (const Entry &entry : kFixedShapes)
        if (entry.inputs == inputs && entry.hidden == hidden) return entry.choose(weights, bias);
    return {&lstm_generic, weights, bias};
}

}  // namespace pedal::layers
