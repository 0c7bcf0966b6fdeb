// RTNeural-family files (Keras-style layer lists incl. AIDA-X; NeuralPi/Proteus
// SimpleRNNs) against their frameworks: golden vectors PyTorch wrote for small random networks (always
// present), and, when ../shared/models is there, RTNeural's TensorFlow/PyTorch
// test vectors and AIDA-X's training batches. Absent shared files are skipped
// with a note, so the ARM and sanitizer runs need nothing outside the repo.
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "formats/rtneural.h"
#include "models/sequential.h"
#include "test_support.h"

using namespace pedal;
using test::GoldenCase;
using test::run_in_blocks;

namespace {

// float32 against the framework's float32 (or float64): only rounding and the
// order of sums differ, and every case stays well inside this.
constexpr double kTolerance = 1e-5;

const std::string kShared = "../shared/models/";

bool shared_present(const std::string &relative) {
    if (std::ifstream(kShared + relative).good()) return true;
    std::fprintf(stderr, "  skip: %s%s is absent\n", kShared.c_str(), relative.c_str());
    return false;
}

// Rows of comma-separated numbers.
std::vector<std::vector<double>> read_csv(const std::string &path) {
    std::vector<std::vector<double>> rows;
    std::ifstream file(path);
    std::string line;
    while (std::getline(file, line)) {
        std::vector<double> row;
        const char *p = line.c_str();
        char *end = nullptr;
        while (*p) {
            row.push_back(std::strtod(p, &end));
            if (end == p) break;
            p = *end == ',' ? end + 1 : end;
        }
        if (!row.empty()) rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<float> column(const std::vector<std::vector<double>> &rows, std::size_t c = 0) {
    std::vector<float> out;
    for (const auto &row : rows) out.push_back(static_cast<float>(row.at(c)));
    return out;
}

void expect_close(const std::vector<float> &actual, const std::vector<float> &expected, const std::string &what) {
    const double error = test::max_abs_difference(actual, expected);
    if (!(error <= kTolerance)) test::fail(__FILE__, __LINE__, what + ": max abs error " + std::to_string(error));
}

json::Value parse_or_fail(const std::string &text) {
    json::Value value;
    std::string error;
    if (!json::parse(text, value, error)) test::fail(__FILE__, __LINE__, "unparsable: " + error);
    return value;
}

std::string number(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", v);
    return text;
}

// A PyTorch Conv1d state_dict ({"weight": (out, in/g, K), "bias": (out)}) as the
// one-layer Keras list RTNeural's exporter would write: kernel (K, in/g, out).
std::string keras_conv_from_torch(const json::Value &state, std::size_t dilation, std::size_t groups) {
    const auto &weight = state.find("weight")->array();
    const std::size_t outputs = weight.size(), group_in = weight[0].array().size(),
                      taps = weight[0].array()[0].array().size();
    std::string kernel = "[";
    for (std::size_t k = 0; k < taps; ++k) {
        kernel += k ? ",[" : "[";
        for (std::size_t i = 0; i < group_in; ++i) {
            kernel += i ? ",[" : "[";
            for (std::size_t o = 0; o < outputs; ++o)
                kernel += (o ? "," : "") + number(weight[o].array()[i].array()[k].number());
            kernel += "]";
        }
        kernel += "]";
    }
    kernel += "]";
    std::string bias = "[";
    const auto &bias_items = state.find("bias")->array();
    for (std::size_t o = 0; o < bias_items.size(); ++o) bias += (o ? "," : "") + number(bias_items[o].number());
    bias += "]";
    return "[{\"type\":\"conv1d\",\"activation\":\"\",\"shape\":[null,null," + std::to_string(outputs) +
           "],\"kernel_size\":[" + std::to_string(taps) + "],\"dilation\":[" + std::to_string(dilation) +
           "],\"groups\":" + std::to_string(groups) + ",\"weights\":[" + kernel + "," + bias + "]}]";
}

// Every output channel of a multi-channel network over whole input frames,
// [frame][channel], streamed through Sequential::forward in chunks.
std::vector<float> forward_all(models::Sequential &net, const std::vector<std::vector<double>> &frames) {
    const std::size_t inputs = frames.at(0).size(), outputs = net.output_width();
    std::vector<float> out, chunk;
    for (std::size_t start = 0; start < frames.size(); start += models::kMaxChunk) {
        const std::size_t n = std::min(models::kMaxChunk, frames.size() - start);
        chunk.clear();
        for (std::size_t t = 0; t < n; ++t)
            for (std::size_t i = 0; i < inputs; ++i) chunk.push_back(static_cast<float>(frames[start + t][i]));
        const float *y = net.forward(chunk.data(), n);
        out.insert(out.end(), y, y + n * outputs);
    }
    return out;
}

// PyTorch's 'valid' convolution output n is the streaming output at n + lookback.
void check_torch_conv(const std::string &model, const std::string &x_csv, const std::string &y_csv, std::size_t dilation,
                      std::size_t groups) {
    if (!shared_present(model) || !shared_present(x_csv) || !shared_present(y_csv)) return;
    const json::Value state = parse_or_fail(test::read_file(kShared + model));
    const json::Value layers = parse_or_fail(keras_conv_from_torch(state, dilation, groups));
    const auto x = read_csv(kShared + x_csv), y = read_csv(kShared + y_csv);
    formats::LayerList list = formats::read_layer_list(layers, "layers", x.at(0).size());
    models::Sequential net(std::move(list.spec));
    const std::vector<float> out = forward_all(net, x);
    const std::size_t channels = y.size(), lookback = x.size() - y.at(0).size();
    CHECK_EQ(net.output_width(), channels);
    double worst = 0.0;
    for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t n = 0; n < y[c].size(); ++n)
            worst = std::max(worst, std::fabs(out[(n + lookback) * channels + c] - y[c][n]));
    if (!(worst <= kTolerance)) test::fail(__FILE__, __LINE__, model + ": max abs error " + std::to_string(worst));
}

}  // namespace

PEDAL_TEST(rtneural_golden_models_match_pytorch) {
    const auto cases = test::rtneural_golden_cases();
    CHECK_EQ(cases.size(), std::size_t{5});
    for (const GoldenCase &c : cases) {
        auto loaded = test::load_or_fail(c.model_json);
        if (loaded.model) expect_close(run_in_blocks(*loaded.model, c.input, {c.input.size()}), c.output, c.name);
    }
}

PEDAL_TEST(rtneural_gives_the_same_samples_for_every_block_size_and_in_place) {
    for (const GoldenCase &c : test::rtneural_golden_cases()) {
        auto whole = test::load_or_fail(c.model_json);
        if (!whole.model) continue;
        const auto reference = run_in_blocks(*whole.model, c.input, {c.input.size()});
        for (const auto &blocks : test::block_size_plans(7)) {
            auto streamed = test::load_or_fail(c.model_json);
            CHECK(run_in_blocks(*streamed.model, c.input, blocks) == reference);  // bit for bit
        }
        auto in_place = test::load_or_fail(c.model_json);
        std::vector<float> buffer = c.input;
        for (std::size_t start = 0; start < buffer.size(); start += 100)
            in_place.model->process(buffer.data() + start, buffer.data() + start,
                                    std::min<std::size_t>(100, buffer.size() - start));
        CHECK(buffer == reference);
    }
}

PEDAL_TEST(rtneural_reset_restores_the_initial_state_exactly) {
    for (const GoldenCase &c : test::rtneural_golden_cases()) {
        auto loaded = test::load_or_fail(c.model_json);
        if (!loaded.model) continue;
        const auto first = run_in_blocks(*loaded.model, c.input, {100});
        loaded.model->reset();
        CHECK(run_in_blocks(*loaded.model, c.input, {37}) == first);
    }
}

PEDAL_TEST(rtneural_reports_what_it_loaded) {
    const auto cases = test::rtneural_golden_cases();
    if (cases.size() != 5) return;
    // conv1d 1->3 (K=3) 12 + gru 3->4 3*4*(3+4) + 6*4 = 108 + lstm 4->3 4*3*(4+3) + 12 = 96 + dense 3->1 4.
    auto conv_gru_lstm = test::load_or_fail(cases[0].model_json);
    CHECK_EQ(conv_gru_lstm.format, std::string("rtneural"));
    CHECK_EQ(conv_gru_lstm.architecture, std::string("Sequential"));
    CHECK_EQ(conv_gru_lstm.parameters, std::size_t{12 + 108 + 96 + 4});
    CHECK_EQ(conv_gru_lstm.sample_rate, 48000.0);
    CHECK_EQ(conv_gru_lstm.model->receptive_field(), std::size_t{0});  // recurrent: unbounded
    CHECK_CONTAINS(conv_gru_lstm.config_json, R"({"type":"conv1d","outputs":3,"activation":"tanh","kernel":3,"dilation":2,"groups":1})");
    // Only convolutions: 1 + (K-1)*d of the one conv1d (K=2, d=3).
    auto zoo = test::load_or_fail(cases[1].model_json);
    CHECK_EQ(zoo.model->receptive_field(), std::size_t{4});
    auto aidax = test::load_or_fail(cases[2].model_json);
    CHECK_EQ(aidax.sample_rate, 44100.0);
    CHECK_CONTAINS(aidax.metadata_json, R"("dialect":"aida-x","in_skip":1,"in_gain_db":-3,"out_gain_db":2.5,"knob_inputs":2,"knob_values":[0,0])");
    // GRU 2->6: 3*6*(2+6) + 2*18 = 180, GRU 6->6: 3*6*12 + 36 = 252, linear 6->1: 7.
    auto proteus = test::load_or_fail(cases[3].model_json);
    CHECK_EQ(proteus.format, std::string("proteus"));
    CHECK_EQ(proteus.architecture, std::string("SimpleRNN"));
    CHECK_EQ(proteus.parameters, std::size_t{180 + 252 + 7});
    CHECK_EQ(proteus.sample_rate, 44100.0);
    CHECK_CONTAINS(proteus.metadata_json, R"("knob_inputs":1,"knob_values":[0.5])");
}

PEDAL_TEST(neuralpi_files_load_with_their_published_shapes) {
    // No reference vectors exist upstream (tests/test_proteus_matches_pytorch.py
    // compares them with PyTorch); here: they load, and the skip is played.
    for (const auto &[name, parameters] : {std::pair<const char *, std::size_t>{"NeuralPi/TS9.json", 1941},
                                           std::pair<const char *, std::size_t>{"NeuralPi/BluesJR_FullD.json", 1861}}) {
        if (!shared_present(name)) continue;
        auto loaded = test::load_or_fail(test::read_file(kShared + name));
        if (!loaded.model) continue;
        CHECK_EQ(loaded.parameters, parameters);
        CHECK_CONTAINS(loaded.config_json, R"("unit_type":"LSTM","input_size")");
        CHECK_CONTAINS(loaded.config_json, R"("hidden_size":20,"num_layers":1,"output_size":1,"skip":1)");
    }
}

PEDAL_TEST(rtneural_keras_files_match_tensorflow_vectors) {
    for (const char *name : {"dense", "conv", "lstm", "lstm_1d", "gru", "gru_1d"}) {
        const std::string model = std::string("RTNeural/models/") + name + ".json";
        const std::string x = std::string("RTNeural/test_data/") + name + "_x_python.csv";
        const std::string y = std::string("RTNeural/test_data/") + name + "_y_python.csv";
        if (!shared_present(model) || !shared_present(x) || !shared_present(y)) continue;
        auto loaded = test::load_or_fail(test::read_file(kShared + model));
        if (!loaded.model) continue;
        const auto input = column(read_csv(kShared + x));
        expect_close(run_in_blocks(*loaded.model, input, {input.size()}), column(read_csv(kShared + y)), name);
    }
}

PEDAL_TEST(aidax_files_match_their_training_batches) {
    for (const char *name : {"aida-x/tw40_california_clean_deerinkstudios.json",
                             "NeuralAudio/tw40_blues_deluxe_deerinkstudios.json"}) {
        if (!shared_present(name)) continue;
        const std::string text = test::read_file(kShared + name);
        auto loaded = test::load_or_fail(text);
        if (!loaded.model) continue;
        const json::Value doc = parse_or_fail(text);
        const auto input = test::floats_of(*doc.find("input_batch"));
        expect_close(run_in_blocks(*loaded.model, input, {input.size()}), test::floats_of(*doc.find("output_batch")), name);
    }
}

PEDAL_TEST(conv1d_matches_pytorch_on_all_twelve_output_channels) {
    check_torch_conv("RTNeural/models/conv1d_torch.json", "RTNeural/test_data/conv1d_torch_x_python.csv",
                     "RTNeural/test_data/conv1d_torch_y_python.csv", 1, 1);
}

PEDAL_TEST(grouped_dilated_conv1d_matches_pytorch_on_six_input_channels) {
    // Conv1d(6 -> 3, K=4, dilation 10, groups 3), per the file name.
    check_torch_conv("RTNeural/models/conv1d_torch_group_6_3_4_10_3.json",
                     "RTNeural/test_data/conv1d_torch_group_x_python.csv",
                     "RTNeural/test_data/conv1d_torch_group_y_python_6_3_4_10_3.csv", 10, 3);
}

PEDAL_TEST(proteus_refuses_shapes_its_tensors_contradict) {
    const std::string data = R"("model_data":{"model":"SimpleRNN","input_size":1,"skip":1,"output_size":1,"unit_type":"LSTM","num_layers":1,"hidden_size":1,"bias_fl":true})";
    const std::string state = R"("rec.weight_ih_l0":[[0.1],[0.2],[0.3],[0.4]],"rec.weight_hh_l0":[[0.1],[0.2],[0.3],[0.4]],)"
                              R"("rec.bias_ih_l0":[0,0,0,0],"rec.bias_hh_l0":[0,0,0,0],"lin.weight":[[1]],"lin.bias":[0])";
    CHECK(test::load_or_fail("{" + data + R"(,"state_dict":{)" + state + "}}").model != nullptr);
    std::string wrong_hidden = data;
    wrong_hidden.replace(wrong_hidden.find(R"("hidden_size":1)"), 15, R"("hidden_size":2)");
    CHECK_CONTAINS(test::load_error("{" + wrong_hidden + R"(,"state_dict":{)" + state + "}}"),
                   "proteus: state_dict.rec.weight_ih_l0 (line 1, column 175): has 4 entries; LSTM weight_ih "
                   "(4*hidden_size, input_size) = (8, 1) needs 8");
    std::string rnn = data;
    rnn.replace(rnn.find(R"("LSTM")"), 6, R"("RNN" )");
    CHECK_CONTAINS(test::load_error("{" + rnn + R"(,"state_dict":{)" + state + "}}"),
                   "proteus: model_data.unit_type (line 1, column 88): unsupported unit_type 'RNN'; supported: LSTM, GRU");
}

PEDAL_TEST(bare_torch_state_dicts_are_refused_for_want_of_a_topology) {
    CHECK_CONTAINS(test::load_error(R"({"weight":[[[0.1,0.2]]],"bias":[0.0]})"),
                   "pytorch: a bare PyTorch state_dict (keys such as \"weight\") names tensors but not the network");
    // Not every object of arrays is one: the keys must be PyTorch parameter paths.
    CHECK_CONTAINS(test::load_error(R"({"weights":[1],"gain":[2]})"), "unrecognised model file");
}

PEDAL_TEST(rtneural_refuses_layers_it_cannot_play_faithfully) {
    const auto doc = [](const std::string &layers, const std::string &in = "1") {
        return R"({"in_shape":[null,null,)" + in + R"(],"layers":)" + layers + "}";
    };
    const std::string dense = R"({"type":"dense","activation":"","shape":[null,null,1],"weights":[[[0.5]],[0.0]]})";
    CHECK(test::load_or_fail(doc("[" + dense + "]")).model != nullptr);
    CHECK_CONTAINS(test::load_error(doc(R"([{"type":"conv2d","shape":[null,1],"weights":[]}])")),
                   "rtneural: layers[0].type (line 1, column 45): unsupported layer type 'conv2d' at layer 0; supported: dense,");
    CHECK_CONTAINS(test::load_error(doc(R"([{"type":"dense","activation":"swish","shape":[null,1],"weights":[[[1]]]}])")),
                   "layers[0].activation (line 1, column 66): unsupported activation 'swish'; supported: \"\" (linear), tanh");
    CHECK_CONTAINS(test::load_error(doc(R"([{"type":"lstm","shape":[null,1000000000],"weights":[]}])")),
                   "layers[0].shape[1] (line 1, column 66): expected an integer in 1..1024, got 1000000000");
    CHECK_CONTAINS(test::load_error(doc(R"([{"type":"dense","shape":[null,2],"weights":[[[1,2,3]]]}])")),
                   "layers[0].weights[0][0] (line 1, column 82): has 3 entries; dense kernel (inputs, outputs) = (1, 2) needs 2 at this depth");
    CHECK_CONTAINS(test::load_error(doc("[" + dense + "]", "7")),
                   "in_shape[2] (line 1, column 24): an input vector of 7 values; the pedal feeds mono audio plus at most 2 knob values");
}
