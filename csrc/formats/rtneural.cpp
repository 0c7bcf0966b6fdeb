#include "formats/rtneural.h"

#include <cmath>
#include <string_view>
#include <utility>

#include "formats/json_fields.h"
#include "formats/tensor_fields.h"
#include "json/writer.h"
#include "models/sequential.h"

namespace pedal::formats {

namespace {

using layers::ActivationKind;

// Bounds far above any published model (AIDA-X tops out at LSTM 80), low
// enough that a hostile file cannot ask for more memory than a Pi has.
constexpr long long kMaxLayers = 64;
constexpr long long kMaxWidth = 1024;
constexpr long long kMaxKernel = 256;
constexpr long long kMaxDilation = 65536;
constexpr long long kMaxInputs = 3;                        // audio + AIDA-X's two knobs
constexpr long long kMaxStateFloats = 16ll * 1024 * 1024;   // 64 MiB of convolution history
constexpr long long kMaxWeightFloats = 16ll * 1024 * 1024;  // 64 MiB once groups are expanded

// AIDA-X targets the MOD Dwarf at 48 kHz and does not resample (spec §1.1).
constexpr double kDefaultSampleRate = 48000.0;
// AIDA-X's PARAM1/PARAM2, which feed the knob inputs, default to 0.
constexpr float kKnobDefault = 0.0f;

const std::pair<const char *, ActivationKind> kActivations[] = {
    {"", ActivationKind::Linear},   {"tanh", ActivationKind::Tanh}, {"relu", ActivationKind::ReLU},
    {"sigmoid", ActivationKind::Sigmoid}, {"softmax", ActivationKind::Softmax}, {"elu", ActivationKind::Elu},
};

std::string at_layer(std::size_t n) { return "layers[" + std::to_string(n) + "]"; }

// "an lstm layer", "a gru layer": the layer types as a reader says them (kLayerTypes).
std::string a_layer(const std::string &type);

std::string supported_activations() {
    std::vector<std::string> names;
    for (const auto &[name, kind] : kActivations) names.emplace_back(*name ? name : "\"\" (linear)");
    return join(names);
}

// "shape": [null, null, 8] and "kernel_size": [3] keep their meaning in the
// last element; kernel_size and dilation may also be a bare integer.
long long last_integer(const json::Value &value, const std::string &path, long long min, long long max,
                       bool bare_allowed) {
    if (bare_allowed && value.is_number()) return require_integer(value, path, min, max);
    if (!value.is_array() || value.array().empty())
        fail_at(path, value, std::string("expected a non-empty array") + (bare_allowed ? " or an integer" : "") +
                                 ", got " + (value.is_array() ? "an empty array" : json::Value::type_name(value.type())));
    const auto &items = value.array();
    return require_integer(items.back(), path + "[" + std::to_string(items.size() - 1) + "]", min, max);
}

// One layer's entry in info "config".
struct Summary {
    std::string type;
    std::size_t outputs = 0;
    std::string activation;
    std::size_t kernel = 0, dilation = 0, groups = 0;

    std::string json() const {
        json::ObjectWriter w;
        w.text("type", type).integer("outputs", static_cast<long long>(outputs));
        if (!activation.empty()) w.text("activation", activation);
        if (kernel) {
            w.integer("kernel", static_cast<long long>(kernel)).integer("dilation", static_cast<long long>(dilation));
            w.integer("groups", static_cast<long long>(groups));
        }
        return w.str();
    }
};

// What a layer's "activation" key means for its type (spec §1.2).
enum class ActivationRole {
    After,    // an activation layer that follows it
    Cell,     // the recurrent cell's own, not a layer after it
    Refused,  // none allowed
    Whole,    // the layer is its activation: the key is required, and there are no weights
};

// One layer of the file, as its type's reader gets it.
struct LayerEntry {
    const json::Value &layer;
    const json::Value *weights;  // null only for an activation layer that has none
    const std::string &path;
    std::size_t outputs;         // the last element of "shape"
    Summary &summary;
};

class NetworkReader;

// What the reader knows of each layer type; kLayerTypes below lists them.
struct LayerType {
    const char *name;
    const char *article;  // "a" or "an", as a reader says the name
    ActivationRole activation;
    bool keeps_width;     // declares as many outputs as it takes inputs
    void (NetworkReader::*read)(const LayerEntry &);
};

const LayerType *find_layer_type(const std::string &name);
std::string supported_layer_types();

// Reads the layer list into a Sequential spec, checking every shape against
// the width the previous layer hands on.
class NetworkReader {
public:
    NetworkReader(std::size_t inputs, models::SequentialSpec &spec) : spec_(spec), width_(inputs) {}

    void read(const json::Value &layer, std::size_t n) {
        const std::string path = at_layer(n);
        if (!layer.is_object())
            fail_at(path, layer, std::string("expected a layer object, got ") + json::Value::type_name(layer.type()));
        const std::string &name = require_string(layer, path, "type");
        const LayerType *type = find_layer_type(name);
        if (!type)
            fail_at(path + ".type", require(layer, path, "type"),
                    "unsupported layer type '" + name + "' at layer " + std::to_string(n) +
                        "; supported: " + supported_layer_types());
        const std::size_t outputs = static_cast<std::size_t>(
            last_integer(require(layer, path, "shape"), path + ".shape", 1, kMaxWidth, false));
        const ActivationKind activation = parse_activation(layer, path, *type);
        const json::Value *weights = layer.find("weights");
        if (type->activation != ActivationRole::Whole) weights = &require_array(layer, path, "weights");

        const bool recurrent = type->activation == ActivationRole::Cell;
        Summary summary{name, outputs, recurrent ? "" : activation_name(layer), 0, 0, 0};
        if (type->keeps_width) keep_width(layer, path, name, outputs);
        (this->*type->read)(LayerEntry{layer, weights, path, outputs, summary});
        // The activation follows the layer for every kind but the recurrent ones (spec §1.2).
        if (!recurrent && activation != ActivationKind::Linear)
            spec_.layers.emplace_back(layers::ActivationLayer(activation, width_));
        summaries_.push_back(summary);
    }

    // One reader per layer type (kLayerTypes names which), each adding its
    // layer to the spec and handing its output width on.
    void read_dense(const LayerEntry &entry) {
        const json::Value &weights = *entry.weights;
        const std::string &path = entry.path;
        const std::size_t outputs = entry.outputs;
        expect_arrays(weights, path, "dense", 1, 2, "kernel, optional bias");
        spend_weights(static_cast<long long>(width_ * outputs), path + ".weights", weights);
        std::vector<float> kernel = read_tensor(weight(weights, 0), path + ".weights[0]", {width_, outputs},
                                                "dense kernel (inputs, outputs)");
        std::vector<float> bias(outputs, 0.0f);
        if (weights.array().size() == 2)
            bias = read_tensor(weight(weights, 1), path + ".weights[1]", {outputs}, "dense bias (outputs)");
        parameters_ += width_ * outputs + (weights.array().size() == 2 ? outputs : 0);
        spec_.layers.emplace_back(layers::Conv1d(width_, outputs, 1, 1, std::move(kernel), std::move(bias)));
        width_ = outputs;
    }

    void read_conv1d(const LayerEntry &entry) {
        const json::Value &layer = entry.layer, &weights = *entry.weights;
        const std::string &path = entry.path;
        const std::size_t outputs = entry.outputs;
        const std::size_t kernel =
            static_cast<std::size_t>(last_integer(require(layer, path, "kernel_size"), path + ".kernel_size", 1, kMaxKernel, true));
        const std::size_t dilation =
            static_cast<std::size_t>(last_integer(require(layer, path, "dilation"), path + ".dilation", 1, kMaxDilation, true));
        std::size_t groups = 1;
        if (layer.find("groups")) groups = static_cast<std::size_t>(require_integer(layer, path, "groups", 1, kMaxWidth));
        if (width_ % groups != 0 || outputs % groups != 0)
            fail_at(path + ".groups", require(layer, path, "groups"),
                    "groups " + std::to_string(groups) + " must divide both the input width " + std::to_string(width_) +
                        " and the output width " + std::to_string(outputs));
        expect_arrays(weights, path, "conv1d", 2, 2, "kernel, bias");
        const long long lookback = static_cast<long long>((kernel - 1) * dilation);
        state_floats_ += lookback * static_cast<long long>(width_);
        if (state_floats_ > kMaxStateFloats)
            fail_at(path + ".dilation", require(layer, path, "dilation"),
                    "the network would keep " + std::to_string(state_floats_ / (1024 * 1024 / 4)) +
                        " MiB of history; the limit is " + std::to_string(kMaxStateFloats / (1024 * 1024 / 4)) + " MiB");
        spend_weights(static_cast<long long>(kernel * width_ * outputs), path + ".weights", weights);

        const std::size_t group_in = width_ / groups, group_out = outputs / groups;
        const std::vector<float> packed = read_tensor(weight(weights, 0), path + ".weights[0]",
                                                      {kernel, group_in, outputs}, "conv1d kernel (taps, inputs/groups, outputs)");
        std::vector<float> bias = read_tensor(weight(weights, 1), path + ".weights[1]", {outputs}, "conv1d bias (outputs)");
        // Expanded to the full [tap][in][out] block with zeros between groups: a
        // grouped layer costs `groups` times more, but the one convolution kernel stays simple.
        std::vector<float> full(kernel * width_ * outputs, 0.0f);
        for (std::size_t k = 0; k < kernel; ++k)
            for (std::size_t i = 0; i < width_; ++i)
                for (std::size_t o = 0; o < outputs; ++o)
                    if (i / group_in == o / group_out)
                        full[(k * width_ + i) * outputs + o] = packed[(k * group_in + i % group_in) * outputs + o];
        parameters_ += kernel * group_in * outputs + outputs;
        spec_.layers.emplace_back(layers::Conv1d(width_, outputs, kernel, dilation, std::move(full), std::move(bias)));
        width_ = outputs;
        entry.summary.kernel = kernel;
        entry.summary.dilation = dilation;
        entry.summary.groups = groups;
    }

    void read_lstm(const LayerEntry &entry) {
        const json::Value &weights = *entry.weights;
        const std::string &path = entry.path;
        const std::size_t hidden = entry.outputs;
        expect_arrays(weights, path, "lstm", 3, 3, "kernel, recurrent kernel, bias");
        std::vector<float> stacked = recurrent_weights(weights, path, "lstm", hidden, 4);
        // Column blocks i, f, c, o: Keras' order is the layer's (PyTorch's i, f, g, o).
        std::vector<float> bias = read_tensor(weight(weights, 2), path + ".weights[2]", {4 * hidden}, "lstm bias (4*units)");
        parameters_ += 4 * hidden * (width_ + hidden) + 4 * hidden;
        spec_.layers.emplace_back(layers::Lstm(width_, hidden, std::move(stacked), std::move(bias)));
        width_ = hidden;
    }

    void read_gru(const LayerEntry &entry) {
        const json::Value &weights = *entry.weights;
        const std::string &path = entry.path;
        const std::size_t hidden = entry.outputs;
        expect_arrays(weights, path, "gru", 3, 3, "kernel, recurrent kernel, bias");
        const json::Value &bias_value = weight(weights, 2);
        if (bias_value.is_array() && !bias_value.array().empty() && bias_value.array()[0].is_number())
            fail_at(path + ".weights[2]", bias_value,
                    "a 1-D gru bias is Keras' reset_after=False GRU, which RTNeural and AIDA-X cannot run either; "
                    "supported: reset_after=True (bias of shape (2, 3*units))");
        std::vector<float> stacked = recurrent_weights(weights, path, "gru", hidden, 3);
        std::vector<float> biases = read_tensor(bias_value, path + ".weights[2]", {2, 3 * hidden},
                                                "gru bias (input and recurrent rows, 3*units)");
        const std::size_t inputs = width_, width = 3 * hidden;
        std::vector<float> input_weights(stacked.begin(), stacked.begin() + static_cast<std::ptrdiff_t>(inputs * width));
        std::vector<float> hidden_weights(stacked.begin() + static_cast<std::ptrdiff_t>(inputs * width), stacked.end());
        std::vector<float> input_bias(biases.begin(), biases.begin() + static_cast<std::ptrdiff_t>(width));
        std::vector<float> hidden_bias(biases.begin() + static_cast<std::ptrdiff_t>(width), biases.end());
        parameters_ += 3 * hidden * (inputs + hidden) + 6 * hidden;
        spec_.layers.emplace_back(layers::Gru(inputs, hidden, std::move(input_weights), std::move(hidden_weights),
                                              std::move(input_bias), std::move(hidden_bias)));
        width_ = hidden;
    }

    void read_prelu(const LayerEntry &entry) {
        const json::Value &weights = *entry.weights;
        const std::string &path = entry.path;
        expect_arrays(weights, path, "prelu", 1, 1, "alpha");
        const json::Value &alpha_value = weight(weights, 0);
        // One alpha per channel, or one shared by all (Keras shared_axes over channels).
        const bool shared = alpha_value.is_array() && alpha_value.array().size() == 1 &&
                            alpha_value.array()[0].is_array() && alpha_value.array()[0].array().size() == 1;
        std::vector<float> alpha =
            read_tensor(alpha_value, path + ".weights[0]", {1, shared ? 1 : width_}, "prelu alpha (1, channels or 1)");
        parameters_ += alpha.size();
        if (shared) alpha.assign(width_, alpha[0]);
        spec_.layers.emplace_back(layers::PRelu(std::move(alpha)));
    }

    void read_batchnorm(const LayerEntry &entry) {
        const json::Value &layer = entry.layer, &weights = *entry.weights;
        const std::string &path = entry.path;
        expect_arrays(weights, path, "batchnorm", 2, 4, "gamma, beta, mean, variance; or mean, variance");
        const std::size_t count = weights.array().size();
        if (count == 3)
            fail_at(path + ".weights", weights,
                    "a batchnorm layer needs 4 arrays (gamma, beta, mean, variance) or 2 (mean, variance), got 3");
        const json::Value &epsilon_value = require(layer, path, "epsilon");
        if (!epsilon_value.is_number() || epsilon_value.number() < 0.0)
            fail_at(path + ".epsilon", epsilon_value, "expected a number >= 0");
        const double epsilon = epsilon_value.number();
        std::vector<std::vector<float>> arrays;
        static const char *const kNames[] = {"gamma", "beta", "moving mean", "moving variance"};
        for (std::size_t i = 0; i < count; ++i) {
            const std::string name = kNames[i + 4 - count];
            arrays.push_back(read_tensor(weight(weights, i), path + ".weights[" + std::to_string(i) + "]", {width_},
                                         "batchnorm " + name + " (channels)"));
        }
        const std::vector<float> &variance = arrays.back();
        for (std::size_t c = 0; c < width_; ++c)
            if (!(static_cast<double>(variance[c]) + epsilon > 0.0))
                fail_at(path + ".weights[" + std::to_string(count - 1) + "][" + std::to_string(c) + "]",
                        weights.array()[count - 1].array()[c], "moving variance + epsilon must be > 0");
        const std::vector<float> none;
        parameters_ += count * width_;
        spec_.layers.emplace_back(layers::BatchNorm(count == 4 ? arrays[0] : none, count == 4 ? arrays[1] : none,
                                                    arrays[count - 2], arrays[count - 1], epsilon));
    }

    // Its "activation" is the layer (read() adds it); any weights would be a misunderstanding.
    void read_activation(const LayerEntry &entry) {
        const json::Value *weights = entry.weights;
        if (weights && !(weights->is_array() && weights->array().empty()))
            fail_at(entry.path + ".weights", *weights, "an activation layer has no weights");
    }

    std::size_t parameters() const { return parameters_; }
    std::string config_layers() const {
        json::ArrayWriter layers;
        for (const Summary &summary : summaries_) layers.raw(summary.json());
        return layers.str();
    }

private:
    static std::string activation_name(const json::Value &layer) {
        const json::Value *value = layer.find("activation");
        return value && value->is_string() ? value->string() : "";
    }

    static ActivationKind parse_activation(const json::Value &layer, const std::string &path, const LayerType &type) {
        const json::Value *value = layer.find("activation");
        if (!value) {
            if (type.activation == ActivationRole::Whole) require(layer, path, "activation");
            return ActivationKind::Linear;
        }
        if (!value->is_string())
            fail_at(path + ".activation", *value,
                    std::string("expected a string, got ") + json::Value::type_name(value->type()));
        const std::string &name = value->string();
        if (type.activation == ActivationRole::Cell) {
            // Keras writes the cell activation here; RTNeural and AIDA-X always use
            // tanh, so anything else would load and play wrong.
            if (name.empty() || name == "tanh") return ActivationKind::Linear;
            fail_at(path + ".activation", *value,
                    a_layer(type.name) + " with cell activation '" + name + "' is not supported; supported: \"\", tanh");
        }
        if (type.activation == ActivationRole::Refused && !name.empty()) {
            // No exporter writes one, and RTNeural would skip it: which was meant is unknowable.
            fail_at(path + ".activation", *value,
                    a_layer(type.name) + " takes no activation (RTNeural skips it), got '" + name + "'");
        }
        for (const auto &[known, kind] : kActivations)
            if (name == known) return kind;
        fail_at(path + ".activation", *value,
                "unsupported activation '" + name + "'; supported: " + supported_activations());
    }

    static const json::Value &weight(const json::Value &weights, std::size_t i) { return weights.array()[i]; }

    static void expect_arrays(const json::Value &weights, const std::string &path, const std::string &type,
                              std::size_t min, std::size_t max, const std::string &names) {
        const std::size_t count = weights.array().size();
        if (count < min || count > max) {
            const std::string needed = min == max ? std::to_string(min) : std::to_string(min) + " or " + std::to_string(max);
            fail_at(path + ".weights", weights,
                    a_layer(type) + " needs " + needed + " arrays (" + names + "), got " + std::to_string(count));
        }
    }

    void spend_weights(long long floats, const std::string &path, const json::Value &where_) {
        weight_floats_ += floats;
        if (weight_floats_ > kMaxWeightFloats)
            fail_at(path, where_, "the network would hold " + std::to_string(weight_floats_ / (1024 * 1024 / 4)) +
                                      " MiB of weights; the limit is " +
                                      std::to_string(kMaxWeightFloats / (1024 * 1024 / 4)) + " MiB");
    }

    // Keras kernel (in, G*H) and recurrent kernel (H, G*H), stacked into the
    // [(in + H)][G*H] rows the recurrent layers read.
    std::vector<float> recurrent_weights(const json::Value &weights, const std::string &path, const std::string &type,
                                         std::size_t hidden, std::size_t gates) {
        spend_weights(static_cast<long long>((width_ + hidden) * gates * hidden), path + ".weights", weights);
        std::vector<float> stacked = read_tensor(weight(weights, 0), path + ".weights[0]",
                                                 {width_, gates * hidden}, type + " kernel (inputs, " + std::to_string(gates) + "*units)");
        const std::vector<float> recurrent = read_tensor(weight(weights, 1), path + ".weights[1]", {hidden, gates * hidden},
                                                         type + " recurrent kernel (units, " + std::to_string(gates) + "*units)");
        stacked.insert(stacked.end(), recurrent.begin(), recurrent.end());
        return stacked;
    }

    void keep_width(const json::Value &layer, const std::string &path, const std::string &type, std::size_t outputs) const {
        if (outputs != width_)
            fail_at(path + ".shape", require(layer, path, "shape"),
                    "declares " + std::to_string(outputs) + " outputs, but " + a_layer(type) + " keeps its input width " +
                        std::to_string(width_));
    }

    models::SequentialSpec &spec_;
    std::size_t width_;
    std::size_t parameters_ = 0;
    long long state_floats_ = 0, weight_floats_ = 0;
    std::vector<Summary> summaries_;
};

// Every layer type the format defines (spec §1.2), each named once, in the
// order the "supported:" messages list them.
const LayerType kLayerTypes[] = {
    {"dense", "a", ActivationRole::After, false, &NetworkReader::read_dense},
    {"time-distributed-dense", "a", ActivationRole::After, false, &NetworkReader::read_dense},
    {"conv1d", "a", ActivationRole::After, false, &NetworkReader::read_conv1d},
    {"lstm", "an", ActivationRole::Cell, false, &NetworkReader::read_lstm},
    {"gru", "a", ActivationRole::Cell, false, &NetworkReader::read_gru},
    {"prelu", "a", ActivationRole::Refused, true, &NetworkReader::read_prelu},
    {"batchnorm", "a", ActivationRole::Refused, true, &NetworkReader::read_batchnorm},
    {"activation", "an", ActivationRole::Whole, true, &NetworkReader::read_activation},
};

const LayerType *find_layer_type(const std::string &name) {
    for (const LayerType &type : kLayerTypes)
        if (name == type.name) return &type;
    return nullptr;
}

std::string supported_layer_types() {
    std::vector<std::string> names;
    for (const LayerType &type : kLayerTypes) names.emplace_back(type.name);
    return join(names);
}

std::string a_layer(const std::string &type) {
    const LayerType *known = find_layer_type(type);
    return std::string(known ? known->article : "a") + " " + type + " layer";
}

std::size_t read_inputs(const json::Value &root) {
    const json::Value &in_shape = require_array(root, "", "in_shape");
    const auto &items = in_shape.array();
    if (items.size() == 4)
        fail_at("in_shape", in_shape, "4 elements describe a conv2d model; supported: 1-D models ([null, null, inputs])");
    if (items.empty() || items.size() > 3)
        fail_at("in_shape", in_shape, "expected 1 to 3 elements ([null, null, inputs]), got " + std::to_string(items.size()));
    const json::Value &last = items.back();
    const std::string path = "in_shape[" + std::to_string(items.size() - 1) + "]";
    if (last.is_number() && last.number() > static_cast<double>(kMaxInputs) && last.number() < 1e9 &&
        last.number() == std::floor(last.number()))
        fail_at(path, last, "an input vector of " + std::to_string(static_cast<long long>(last.number())) +
                                " values; the pedal feeds mono audio plus at most 2 knob values (1..3)");
    return static_cast<std::size_t>(require_integer(last, path, 1, kMaxInputs));
}

// AIDA-X gains are in dB; at or below -90 dB AIDA-X treats them as silence.
float read_gain(const json::Value &root, std::string_view key, double &decibels) {
    decibels = 0.0;
    const json::Value *value = root.find(key);
    if (!value) return 1.0f;
    if (!value->is_number() || value->number() > 120.0)
        fail_at(std::string(key), *value, "expected a gain in dB (a number up to 120)");
    decibels = value->number();
    return decibels <= -90.0 ? 0.0f : static_cast<float>(std::pow(10.0, decibels / 20.0));
}

double sample_rate_from(const json::Value &value, const std::string &path) {
    double rate = 0.0;
    const bool parsed = value.is_number() ? (rate = value.number(), true)
                                          : value.is_string() && json::parse_number_text(value.string(), rate);
    if (!parsed || rate < 8000.0 || rate > 384000.0)
        fail_at(path, value, "expected a sample rate in Hz (8000..384000), such as \"48000\"");
    return rate;
}

}  // namespace

LayerList read_layer_list(const json::Value &layer_list, const std::string &path, std::size_t inputs) {
    const auto &items = layer_list.array();
    if (items.empty() || items.size() > static_cast<std::size_t>(kMaxLayers))
        fail_at(path, layer_list,
                "expected 1.." + std::to_string(kMaxLayers) + " layers, got " + std::to_string(items.size()));
    LayerList list;
    list.spec.inputs = inputs;
    list.spec.knob_values.assign(inputs - 1, 0.0f);
    NetworkReader reader(inputs, list.spec);
    for (std::size_t n = 0; n < items.size(); ++n) reader.read(items[n], n);
    list.parameters = reader.parameters();
    list.config_layers = reader.config_layers();
    return list;
}

bool is_rtneural(const json::Value &root) {
    return root.is_object() && root.find("in_shape") && root.find("layers");
}

LoadedModel load_rtneural(const json::Value &root) {
    models::SequentialSpec spec;
    spec.inputs = read_inputs(root);
    spec.knob_values.assign(spec.inputs - 1, kKnobDefault);

    LayerList list = read_layer_list(require_array(root, "", "layers"), "layers", spec.inputs);
    spec.layers = std::move(list.spec.layers);

    bool aidax = false;
    int skip = 0;
    if (root.find("in_skip")) {
        skip = static_cast<int>(require_integer(root, "", "in_skip", 0, 1));
        aidax = true;
    }
    double in_db = 0.0, out_db = 0.0;
    spec.skip = skip == 1;
    spec.input_gain = read_gain(root, "in_gain", in_db);
    spec.output_gain = read_gain(root, "out_gain", out_db);
    aidax = aidax || root.find("in_gain") || root.find("out_gain") || root.find("metadata") || root.find("input_batch");

    // Sample rate: AIDA-X writes it as a string in metadata, NeuralAudio reads a
    // top-level number; either, both agreeing, or the 48 kHz default.
    double sample_rate = kDefaultSampleRate;
    std::string rate_source = "default (the file names none)";
    // The file's own metadata first, then ours; a file key that names one of ours gives way.
    json::ObjectWriter metadata_fields;
    const std::vector<std::string> ours = {"dialect", "in_skip", "in_gain_db", "out_gain_db", "knob_inputs",
                                           "knob_values", "knob_values_source", "sample_rate_source"};
    if (const json::Value *metadata = root.find("metadata")) {
        if (!metadata->is_object())
            fail_at("metadata", *metadata, std::string("expected an object, got ") + json::Value::type_name(metadata->type()));
        if (const json::Value *rate = metadata->find("samplerate")) {
            sample_rate = sample_rate_from(*rate, "metadata.samplerate");
            rate_source = "metadata.samplerate";
        }
        for (std::size_t i = 0; i < metadata->size(); ++i) {
            const std::string &key = metadata->key(i);
            const json::Value &value = metadata->member(i);
            bool clash = false;
            for (const std::string &name : ours) clash = clash || name == key;
            if (clash) continue;
            if (value.is_string()) metadata_fields.text(key, value.string());
            else if (value.is_number()) metadata_fields.number(key, value.number());
        }
    }
    if (const json::Value *rate = root.find("samplerate")) {
        const double top_level = sample_rate_from(*rate, "samplerate");
        if (rate_source == "metadata.samplerate" && top_level != sample_rate)
            fail_at("samplerate", *rate, "disagrees with metadata.samplerate");
        sample_rate = top_level;
        rate_source = rate_source == "metadata.samplerate" ? "samplerate and metadata.samplerate" : "samplerate";
    }

    LoadedModel loaded;
    loaded.format = "rtneural";
    loaded.architecture = "Sequential";
    loaded.sample_rate = sample_rate;
    loaded.parameters = list.parameters;
    loaded.config_json = json::ObjectWriter()
                             .integer("inputs", static_cast<long long>(spec.inputs))
                             .raw("layers", list.config_layers)
                             .str();
    metadata_fields.text("dialect", aidax ? "aida-x" : "keras")
        .integer("in_skip", skip)
        .number("in_gain_db", in_db)
        .number("out_gain_db", out_db)
        .integer("knob_inputs", static_cast<long long>(spec.inputs - 1))
        .raw("knob_values", json_number_list(spec.knob_values));
    if (spec.inputs > 1) metadata_fields.text("knob_values_source", "AIDA-X PARAM1/PARAM2 defaults (0)");
    metadata_fields.text("sample_rate_source", rate_source);
    loaded.metadata_json = metadata_fields.str();
    // AIDA-X names the knob inputs PARAM1 and PARAM2 (its plugin's two parameters, 0..1).
    for (std::size_t k = 0; k + 1 < spec.inputs; ++k)
        loaded.knobs.push_back({"param" + std::to_string(k + 1), 0.0f, 1.0f, kKnobDefault});
    spec.knob_glide_frames = models::knob_glide_frames(sample_rate);
    loaded.model = std::make_unique<models::Sequential>(std::move(spec));
    return loaded;
}

}  // namespace pedal::formats
