#include "formats/proteus.h"

#include <cmath>
#include <set>
#include <utility>

#include "formats/json_fields.h"
#include "formats/tensor_fields.h"
#include "json/writer.h"
#include "models/sequential.h"

namespace pedal::formats {

namespace {

// Bounds far above any published model (NeuralPi H=20, Proteus H=40), low
// enough that a hostile file cannot ask for more memory than a Pi has.
constexpr long long kMaxHidden = 1024;
constexpr long long kMaxLayers = 8;
constexpr long long kMaxOutputs = 16;
constexpr long long kMaxInputs = 3;  // audio + NeuralPi's gain and master knobs

// NeuralPi and Proteus run these models at 44.1 kHz; the format stores no rate.
constexpr double kSampleRate = 44100.0;
// NeuralPi's gain/master and Proteus' drive knobs, which feed the extra inputs, start at 0.5.
constexpr float kKnobDefault = 0.5f;

struct Shape {
    std::string unit;  // "LSTM" or "GRU"
    std::size_t gates = 0, inputs = 0, hidden = 0, layers = 0, outputs = 0;
    int skip = 0;
    bool linear_bias = true;
};

const json::Value &require_object(const json::Value &parent, const std::string &path, const char *key) {
    const json::Value &value = require(parent, path, key);
    if (!value.is_object())
        fail_at(path.empty() ? key : path + "." + key, value,
                std::string("expected an object, got ") + json::Value::type_name(value.type()));
    return value;
}

Shape read_shape(const json::Value &data) {
    Shape shape;
    shape.unit = require_string(data, "model_data", "unit_type");
    if (shape.unit != "LSTM" && shape.unit != "GRU")
        fail_at("model_data.unit_type", require(data, "model_data", "unit_type"),
                "unsupported unit_type '" + shape.unit + "'; supported: LSTM, GRU");
    shape.gates = shape.unit == "LSTM" ? 4 : 3;
    const json::Value &inputs = require(data, "model_data", "input_size");
    if (inputs.is_number() && inputs.number() > static_cast<double>(kMaxInputs) && inputs.number() < 1e9 &&
        inputs.number() == std::floor(inputs.number()))
        fail_at("model_data.input_size", inputs,
                "an input vector of " + std::to_string(static_cast<long long>(inputs.number())) +
                    " values; the pedal feeds mono audio plus at most 2 knob values (1..3)");
    shape.inputs = static_cast<std::size_t>(require_integer(inputs, "model_data.input_size", 1, kMaxInputs));
    shape.hidden = static_cast<std::size_t>(require_integer(data, "model_data", "hidden_size", 1, kMaxHidden));
    shape.layers = static_cast<std::size_t>(require_integer(data, "model_data", "num_layers", 1, kMaxLayers));
    shape.outputs = static_cast<std::size_t>(require_integer(data, "model_data", "output_size", 1, kMaxOutputs));
    // The trainer adds the first `skip` inputs to the output; only the audio may be.
    shape.skip = static_cast<int>(require_integer(data, "model_data", "skip", 0, 1));
    if (const json::Value *bias = data.find("bias_fl")) {
        if (!bias->is_bool()) fail_at("model_data.bias_fl", *bias, "expected true or false");
        shape.linear_bias = bias->boolean();
    }
    return shape;
}

// The tensors a SimpleRNN of this shape has: nothing missing, nothing more.
std::set<std::string> expected_tensors(const Shape &shape) {
    std::set<std::string> names = {"lin.weight"};
    if (shape.linear_bias) names.insert("lin.bias");
    for (std::size_t n = 0; n < shape.layers; ++n)
        for (const char *kind : {"weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l"})
            names.insert("rec." + std::string(kind) + std::to_string(n));
    return names;
}

class StateDict {
public:
    StateDict(const json::Value &state, const Shape &shape) : state_(state) {
        const std::set<std::string> expected = expected_tensors(shape);
        for (std::size_t i = 0; i < state.size(); ++i)
            if (!expected.count(state.key(i)))
                fail_at("state_dict." + state.key(i), state.member(i),
                        "unexpected tensor \"" + state.key(i) + "\" for a " + std::to_string(shape.layers) + "-layer " +
                            shape.unit + " SimpleRNN" + (shape.linear_bias ? "" : " without a linear bias"));
    }

    std::vector<float> take(const std::string &name, const std::vector<std::size_t> &dims, const std::string &what) const {
        return read_tensor(require(state_, "state_dict", name), "state_dict." + name, dims, what);
    }

private:
    const json::Value &state_;
};

// PyTorch (rows, columns) -> [column][row]: each input then scales one contiguous row.
std::vector<float> transpose(const std::vector<float> &rows_by_columns, std::size_t rows, std::size_t columns) {
    std::vector<float> out(rows * columns);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < columns; ++c) out[c * rows + r] = rows_by_columns[r * columns + c];
    return out;
}

// PyTorch's GRU gate blocks r, z, n -> the layer's z, r, n, for every row of `values`.
std::vector<float> gru_gate_order(const std::vector<float> &values, std::size_t hidden) {
    std::vector<float> out(values.size());
    const std::size_t width = 3 * hidden;
    for (std::size_t row = 0; row < values.size() / width; ++row) {
        const float *in = values.data() + row * width;
        float *o = out.data() + row * width;
        std::copy(in + hidden, in + 2 * hidden, o);
        std::copy(in, in + hidden, o + hidden);
        std::copy(in + 2 * hidden, in + 3 * hidden, o + 2 * hidden);
    }
    return out;
}

models::SequentialLayer recurrent_layer(const StateDict &state, const Shape &shape, std::size_t n, std::size_t inputs,
                                        std::size_t &parameters) {
    const std::size_t rows = shape.gates * shape.hidden, h = shape.hidden;
    const std::string suffix = "_l" + std::to_string(n), gates = std::to_string(shape.gates);
    const std::string input_axes = n == 0 ? "input_size" : "hidden_size";
    const auto w_ih = state.take("rec.weight_ih" + suffix, {rows, inputs},
                                 shape.unit + " weight_ih (" + gates + "*hidden_size, " + input_axes + ")");
    const auto w_hh = state.take("rec.weight_hh" + suffix, {rows, h},
                                 shape.unit + " weight_hh (" + gates + "*hidden_size, hidden_size)");
    const auto b_ih = state.take("rec.bias_ih" + suffix, {rows}, shape.unit + " bias_ih (" + gates + "*hidden_size)");
    const auto b_hh = state.take("rec.bias_hh" + suffix, {rows}, shape.unit + " bias_hh (" + gates + "*hidden_size)");
    parameters += rows * (inputs + h) + 2 * rows;
    std::vector<float> input_weights = transpose(w_ih, rows, inputs), hidden_weights = transpose(w_hh, rows, h);
    if (shape.unit == "LSTM") {
        // Same gate order (i, f, g, o); one bias, the sum of PyTorch's two.
        input_weights.insert(input_weights.end(), hidden_weights.begin(), hidden_weights.end());
        std::vector<float> bias(rows);
        for (std::size_t g = 0; g < rows; ++g) bias[g] = b_ih[g] + b_hh[g];
        return layers::Lstm(inputs, h, std::move(input_weights), std::move(bias));
    }
    return layers::Gru(inputs, h, gru_gate_order(input_weights, h), gru_gate_order(hidden_weights, h),
                       gru_gate_order(b_ih, h), gru_gate_order(b_hh, h));
}

}  // namespace

bool is_proteus(const json::Value &root) {
    return root.is_object() && root.find("model_data") && root.find("state_dict");
}

std::string proteus_architecture(const json::Value &root) {
    return require_string(require_object(root, "", "model_data"), "model_data", "model");
}

LoadedModel load_proteus(const json::Value &root) {
    const Shape shape = read_shape(require_object(root, "", "model_data"));
    const StateDict state(require_object(root, "", "state_dict"), shape);

    models::SequentialSpec spec;
    spec.inputs = shape.inputs;
    spec.knob_values.assign(shape.inputs - 1, kKnobDefault);
    spec.knob_glide_frames = models::knob_glide_frames(kSampleRate);
    spec.skip = shape.skip == 1;
    std::size_t parameters = 0, width = shape.inputs;
    for (std::size_t n = 0; n < shape.layers; ++n) {
        spec.layers.push_back(recurrent_layer(state, shape, n, width, parameters));
        width = shape.hidden;
    }
    const std::size_t h = shape.hidden, out = shape.outputs;
    const auto lin = state.take("lin.weight", {out, h}, "linear weight (output_size, hidden_size)");
    std::vector<float> lin_bias(out, 0.0f);
    if (shape.linear_bias) lin_bias = state.take("lin.bias", {out}, "linear bias (output_size)");
    parameters += out * h + (shape.linear_bias ? out : 0);
    spec.layers.emplace_back(layers::Conv1d(h, out, 1, 1, transpose(lin, out, h), std::move(lin_bias)));

    LoadedModel loaded;
    loaded.format = "proteus";
    loaded.architecture = "SimpleRNN";
    loaded.sample_rate = kSampleRate;
    loaded.parameters = parameters;
    loaded.config_json = json::ObjectWriter()
                             .text("unit_type", shape.unit)
                             .integer("input_size", static_cast<long long>(shape.inputs))
                             .integer("hidden_size", static_cast<long long>(h))
                             .integer("num_layers", static_cast<long long>(shape.layers))
                             .integer("output_size", static_cast<long long>(out))
                             .integer("skip", shape.skip)
                             .str();
    json::ObjectWriter metadata;
    metadata.integer("knob_inputs", static_cast<long long>(shape.inputs - 1)).raw("knob_values", json_number_list(spec.knob_values));
    if (shape.inputs > 1) metadata.text("knob_values_source", "NeuralPi/Proteus knob defaults (0.5)");
    metadata.text("sample_rate_source", "assumed (NeuralPi and Proteus play these at 44.1 kHz; the format stores none)");
    if (shape.skip == 0)
        metadata.text("skip_note", "trained without skip and played so; the NeuralPi/Proteus players would add the input anyway");
    loaded.metadata_json = metadata.str();
    // NeuralPi conditions on its gain knob, and its two-knob models on gain and master.
    const char *names[] = {"gain", "master"};
    for (std::size_t k = 0; k + 1 < shape.inputs; ++k) loaded.knobs.push_back({names[k], 0.0f, 1.0f, kKnobDefault});
    loaded.model = std::make_unique<models::Sequential>(std::move(spec));
    return loaded;
}

}  // namespace pedal::formats
