// Helpers shared by the self-tests: reading files, loading models through the
// registry, golden-vector cases, and random test signals.
#pragma once

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "check.h"
#include "formats/registry.h"
#include "json/json.h"

namespace pedal::test {

// `count` values uniform in [-1, 1), drawn from `random` in order.
inline std::vector<float> random_values(std::size_t count, std::mt19937 &random) {
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> out(count);
    for (float &v : out) v = uniform(random);
    return out;
}

// The same from a fresh generator seeded with `seed`.
inline std::vector<float> random_signal(std::size_t count, unsigned seed) {
    std::mt19937 random(seed);
    return random_values(count, random);
}

inline std::string read_file(const std::string &path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

inline formats::LoadedModel load_or_fail(const std::string &text) {
    formats::LoadedModel loaded;
    std::string error;
    if (!formats::load_model(text, loaded, error)) fail(__FILE__, __LINE__, "load failed: " + error);
    return loaded;
}

inline std::string load_error(const std::string &text) {
    formats::LoadedModel loaded;
    std::string error;
    if (formats::load_model(text, loaded, error)) fail(__FILE__, __LINE__, "expected a load error");
    return error;
}

inline std::vector<float> floats_of(const json::Value &array) {
    std::vector<float> out;
    for (const json::Value &v : array.array()) out.push_back(static_cast<float>(v.number()));
    return out;
}

struct GoldenCase {
    std::string name;
    std::string model_json;
    std::vector<float> input, output;
};

// One case written by tests/reference/make_golden.py (PyTorch's output).
inline bool read_golden_case(const std::string &name, GoldenCase &c) {
    c.name = name;
    c.model_json = read_file(data_dir() + "/" + name + ".model.json");
    json::Value io;
    std::string error;
    if (!json::parse(read_file(data_dir() + "/" + name + ".io.json"), io, error)) {
        fail(__FILE__, __LINE__, name + ": golden file unreadable: " + error);
        return false;
    }
    c.input = floats_of(*io.find("input"));
    c.output = floats_of(*io.find("output"));
    return true;
}

inline std::vector<GoldenCase> golden_cases_named(std::initializer_list<const char *> names) {
    std::vector<GoldenCase> cases;
    for (const char *name : names) {
        GoldenCase c;
        if (read_golden_case(name, c)) cases.push_back(std::move(c));
    }
    return cases;
}

// The WaveNet cases.
inline std::vector<GoldenCase> golden_cases() {
    return golden_cases_named({"pedalnet_c4_d4_k3", "pedalnet_c3_d2_r2_k2", "wavenetva_c5_d3_k4_numbers",
                               "wavenetva_c2_d3_softgated"});
}

// The RTNeural family from random torch modules: Keras-style layer lists
// (RTNeural, AIDA-X), then CoreAudioML SimpleRNNs (NeuralPi/Proteus).
inline std::vector<GoldenCase> rtneural_golden_cases() {
    return golden_cases_named({"rtneural_conv_gru_lstm", "rtneural_dense_zoo", "aidax_lstm_two_knobs_skip",
                               "proteus_gru_two_layers_knob", "proteus_lstm_no_skip_no_bias"});
}

// Runs `input` through `model` in blocks of the given sizes, cycling through them.
inline std::vector<float> run_in_blocks(models::Model &model, const std::vector<float> &input,
                                        const std::vector<std::size_t> &blocks) {
    std::vector<float> out(input.size());
    std::size_t start = 0, next = 0;
    while (start < input.size()) {
        const std::size_t n = std::min(blocks[next++ % blocks.size()], input.size() - start);
        model.process(input.data() + start, out.data() + start, n);
        start += n;
    }
    return out;
}

// Block sizes a model must give the same samples for: single frames, odd and
// even sizes around the internal chunk (64), one long block, and a random mix.
inline std::vector<std::vector<std::size_t>> block_size_plans(unsigned seed) {
    std::mt19937 random(seed);
    std::vector<std::size_t> mixed;
    for (int i = 0; i < 64; ++i) mixed.push_back(1 + random() % 300);
    return {{1}, {7}, {64}, {65}, {128}, {4096}, mixed};
}

inline double max_abs_difference(const std::vector<float> &a, const std::vector<float> &b) {
    if (a.size() != b.size()) return 1e30;
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
        if (!(d <= worst)) worst = d;  // NaN also lands here
    }
    return worst;
}

}  // namespace pedal::test
