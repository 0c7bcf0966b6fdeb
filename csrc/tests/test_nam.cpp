// Neural Amp Modeler files without Python: networks small enough to work out
// by hand, NAM's identity fixtures, and the streaming guarantees. The
// comparison with NAM's own forward pass lives in tests/test_nam_matches_nam.py.
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>

#include "nam_fixtures.h"
#include "test_support.h"

using namespace pedal;

namespace {

std::vector<float> run(models::Model &model, const std::vector<float> &input, std::size_t block) {
    std::vector<float> out(input.size());
    for (std::size_t start = 0; start < input.size(); start += block) {
        const std::size_t n = std::min(block, input.size() - start);
        model.process(input.data() + start, out.data() + start, n);
    }
    return out;
}

std::vector<float> guitarish(std::size_t n) {
    std::mt19937 random(7);
    std::uniform_real_distribution<float> noise(-0.05f, 0.05f);
    std::vector<float> x(n);
    for (std::size_t t = 0; t < n; ++t)
        x[t] = 0.6f * std::sin(0.031f * static_cast<float>(t)) * std::exp(-0.002f * static_cast<float>(t % 900)) +
               noise(random);
    return x;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// One array, one channel, kernel 1: y = fn(x) exactly when the activation is fn.
std::string one_activation(const std::string &activation) {
    const std::string config = R"({"layers": [{"input_size": 1, "condition_size": 1, "channels": 1, "head_size": 1,
        "kernel_size": 1, "dilations": [1], "activation": )" + activation +
                               R"(, "gated": false, "head_bias": false}], "head": null, "head_scale": 1.0})";
    // rechannel 1; conv w 1, b 0; mixin 0; layer1x1 1, 0; head 1; head_scale 1
    return test::nam_document("WaveNet", config, {1, 1, 0, 0, 1, 0, 1, 1});
}

const std::string kIdentityFolder = "../shared/models/neural-amp-modeler/identity/";

}  // namespace

PEDAL_TEST(nam_wavenet_by_hand_reads_taps_oldest_first_and_adds_the_raw_input) {
    // rechannel 2; conv taps (0.5 on x[t-1], 1 on x[t]), bias 0.1; mixin -1;
    // layer1x1 1, 0; head 3 + 0.25; head_scale 0.5. So with r = 2x:
    //   y[t] = 0.5 * (3 * relu(0.1 + 0.5 * 2x[t-1] + 2x[t] - x[t]) + 0.25)
    const std::string config = R"({"layers": [{"input_size": 1, "condition_size": 1, "channels": 1, "head_size": 1,
        "kernel_size": 2, "dilations": [1], "activation": "ReLU", "gated": false, "head_bias": true}],
        "head": null, "head_scale": 0.5})";
    auto loaded = test::load_or_fail(test::nam_document("WaveNet", config, {2, 0.5, 1, 0.1, -1, 1, 0, 3, 0.25, 0.5}));
    if (!loaded.model) return;
    const auto y = run(*loaded.model, {1.0f, -2.0f, 0.5f, 0.0f}, 4);
    CHECK_NEAR(y[0], 1.775, 1e-6);  // relu(1.1)
    CHECK_NEAR(y[1], 0.125, 1e-6);  // relu(-0.9)
    CHECK_NEAR(y[2], 0.125, 1e-6);  // relu(-1.4)
    CHECK_NEAR(y[3], 1.025, 1e-6);  // relu(0.6)
    CHECK_EQ(loaded.model->receptive_field(), std::size_t{2});
    CHECK_EQ(loaded.parameters, std::size_t{10});
}

PEDAL_TEST(nam_wavenet_by_hand_chains_arrays_gates_top_half_and_takes_head_scale_from_the_weights) {
    const std::string config = R"({"layers": [
        {"input_size": 1, "condition_size": 1, "channels": 1, "head_size": 1, "kernel_size": 1,
         "dilations": [1], "activation": "ReLU", "gated": true, "head_bias": false},
        {"input_size": 1, "condition_size": 1, "channels": 1, "head_size": 1, "kernel_size": 1,
         "dilations": [1], "activation": "ReLU", "gated": false, "head_bias": true}],
        "head": null, "head_scale": 99})";
    const double a0 = 1.5, p = 0.8, q = -0.6, bp = 0.1, bq = 0.2, mp = 0.5, mq = 0.3, l = 2.0, lb = -0.1, h0 = 1.2;
    const double a1 = 0.7, w = -1.1, b1 = 0.4, m1 = 0.25, h1 = 2.0, hb1 = 0.05, scale = 0.5;
    // The last array's layer1x1 (9, 9) feeds nothing.
    auto loaded = test::load_or_fail(test::nam_document(
        "WaveNet", config, {a0, p, q, bp, bq, mp, mq, l, lb, h0, a1, w, b1, m1, 9, 9, h1, hb1, scale}));
    if (!loaded.model) return;
    const std::vector<float> x = {0.3f, -0.7f, 1.0f, 0.05f};
    const auto y = run(*loaded.model, x, 1);
    for (std::size_t t = 0; t < x.size(); ++t) {
        const double r = a0 * x[t];
        const double s = std::max(0.0, p * r + bp + mp * x[t]) * sigmoid(q * r + bq + mq * x[t]);
        const double residual = r + l * s + lb;  // array 1 reads array 0's residual stream
        const double s1 = std::max(0.0, w * a1 * residual + b1 + m1 * x[t]);
        const double head_sum = h0 * s + s1;     // seeded with array 0's head output
        CHECK_NEAR(y[t], scale * (h1 * head_sum + hb1), 1e-6);
    }
}

PEDAL_TEST(nam_activations_follow_nam_with_their_parameters) {
    struct Case {
        const char *activation;
        std::function<double(double)> expected;
    };
    const auto fast_tanh = [](double v) {  // NeuralAmpModelerCore's rational approximation
        const double ax = std::fabs(v), v2 = v * v;
        return v * (2.45550750702956 + 2.45550750702956 * ax + (0.893229853513558 + 0.821226666969744 * ax) * v2) /
               (2.44506634652299 + (2.44506634652299 + v2) * std::fabs(v + 0.814642734961073 * v * ax));
    };
    const Case cases[] = {
        {R"("Tanh")", [](double v) { return std::tanh(v); }},
        {R"("Fasttanh")", fast_tanh},
        {R"("Hardtanh")", [](double v) { return std::min(1.0, std::max(-1.0, v)); }},
        {R"({"type": "Hardtanh", "min_val": -0.5, "max_val": 0.25})",
         [](double v) { return std::min(0.25, std::max(-0.5, v)); }},
        {R"("ReLU")", [](double v) { return std::max(0.0, v); }},
        {R"("LeakyReLU")", [](double v) { return v > 0 ? v : 0.01 * v; }},
        {R"({"type": "LeakyReLU", "negative_slope": 0.2})", [](double v) { return v > 0 ? v : 0.2 * v; }},
        {R"("PReLU")", [](double v) { return v > 0 ? v : 0.01 * v; }},
        {R"({"type": "PReLU", "negative_slopes": [0.3]})", [](double v) { return v > 0 ? v : 0.3 * v; }},
        {R"("Sigmoid")", sigmoid},
        {R"("SiLU")", [](double v) { return v * sigmoid(v); }},
        {R"("Hardswish")", [](double v) { return v * std::min(6.0, std::max(0.0, v + 3)) / 6; }},
        {R"({"type": "LeakyHardTanh", "min_val": -0.5, "max_val": 0.5, "min_slope": 0.1, "max_slope": 0.2})",
         [](double v) { return v < -0.5 ? (v + 0.5) * 0.1 - 0.5 : (v > 0.5 ? (v - 0.5) * 0.2 + 0.5 : v); }},
        {R"("Softsign")", [](double v) { return v / (1 + std::fabs(v)); }},
    };
    std::vector<float> x;
    for (int i = -40; i <= 40; ++i) x.push_back(0.1f * static_cast<float>(i));
    for (const Case &c : cases) {
        auto loaded = test::load_or_fail(one_activation(c.activation));
        if (!loaded.model) continue;
        const auto y = run(*loaded.model, x, x.size());
        double worst = 0;
        for (std::size_t t = 0; t < x.size(); ++t) worst = std::max(worst, std::fabs(y[t] - c.expected(x[t])));
        // float32 against double; tanh and sigmoid are fast_math's (< 1e-6).
        if (!(worst <= 2e-6)) test::fail(__FILE__, __LINE__, std::string(c.activation) + ": " + std::to_string(worst));
    }
    // Fasttanh is an approximation of tanh, kept because files trained with it expect it.
    auto fast = test::load_or_fail(one_activation(R"("Fasttanh")"));
    if (fast.model) {
        const auto y = run(*fast.model, x, x.size());
        double off = 0;
        for (std::size_t t = 0; t < x.size(); ++t) off = std::max(off, std::fabs(static_cast<double>(y[t]) - std::tanh(static_cast<double>(x[t]))));
        CHECK(off > 1e-5 && off < 5e-4);
    }
}

PEDAL_TEST(nam_lstm_by_hand_starts_from_the_stored_state) {
    // One unit: W rows i, f, g, o over [x, h]; bias; h0; c0; head 2 + 0.1.
    const double wi[2] = {0.5, -0.3}, wf[2] = {0.2, 0.4}, wg[2] = {-0.7, 0.6}, wo[2] = {0.9, 0.1};
    const double b[4] = {0.1, 0.5, -0.2, 0.05}, h0 = 0.3, c0 = -0.4, head = 2.0, head_bias = 0.1;
    auto loaded = test::load_or_fail(test::nam_document(
        "LSTM", R"({"input_size": 1, "hidden_size": 1, "num_layers": 1})",
        {wi[0], wi[1], wf[0], wf[1], wg[0], wg[1], wo[0], wo[1], b[0], b[1], b[2], b[3], h0, c0, head, head_bias}));
    if (!loaded.model) return;
    const std::vector<float> x = {0.0f, 0.8f, -0.5f, 0.25f};
    const auto y = run(*loaded.model, x, 3);
    double h = h0, c = c0;
    for (std::size_t t = 0; t < x.size(); ++t) {
        const double i = sigmoid(wi[0] * x[t] + wi[1] * h + b[0]);
        const double f = sigmoid(wf[0] * x[t] + wf[1] * h + b[1]);
        const double g = std::tanh(wg[0] * x[t] + wg[1] * h + b[2]);
        const double o = sigmoid(wo[0] * x[t] + wo[1] * h + b[3]);
        c = f * c + i * g;
        h = o * std::tanh(c);
        CHECK_NEAR(y[t], head * h + head_bias, 2e-6);
    }
    CHECK_EQ(loaded.architecture, std::string("LSTM"));
}

PEDAL_TEST(nam_linear_puts_the_first_tap_on_the_current_sample_as_nams_player_does) {
    auto loaded = test::load_or_fail(
        test::nam_document("Linear", R"({"receptive_field": 3, "bias": true})", {1, 0.5, 0.25, 0.1}));
    if (!loaded.model) return;
    const auto y = run(*loaded.model, {1, 0, 0, 2, 0}, 2);
    const float expected[] = {1.1f, 0.6f, 0.35f, 2.1f, 1.1f};
    for (std::size_t t = 0; t < 5; ++t) CHECK_NEAR(y[t], expected[t], 1e-6);
}

PEDAL_TEST(nam_identity_fixtures_play_the_input_back) {
    int found = 0;
    for (const char *name : {"wavenet_minimal.nam", "wavenet_standard.nam", "linear_1.nam", "linear_10.nam"}) {
        const std::string text = test::read_file(kIdentityFolder + name);
        if (text.empty()) continue;  // ../shared is not part of the repository
        ++found;
        auto loaded = test::load_or_fail(text);
        if (!loaded.model) continue;
        const auto x = guitarish(6000);
        const auto y = run(*loaded.model, x, 333);
        if (!(test::max_abs_difference(x, y) <= 1e-7))
            test::fail(__FILE__, __LINE__, std::string(name) + ": " + std::to_string(test::max_abs_difference(x, y)));
    }
    if (found == 0) std::fprintf(stderr, "  (nam identity fixtures not found under %s: skipped)\n", kIdentityFolder.c_str());
}

PEDAL_TEST(nam_wavenet_is_prewarmed_so_silence_gives_a_constant_from_the_first_sample) {
    // NAM's reference pads with receptive_field - 1 zeros; a model that started
    // from zero histories would wobble here for that many samples.
    auto loaded = test::load_or_fail(test::small_nam_wavenet());
    if (!loaded.model) return;
    CHECK_EQ(loaded.model->receptive_field(), std::size_t{1 + 2 * 1 + 2 * 2 + 2 * 4});
    const auto y = run(*loaded.model, std::vector<float>(200, 0.0f), 17);
    CHECK(std::fabs(y[0]) > 1e-4);  // the biases make silence non-zero
    for (float v : y) CHECK_EQ(v, y[0]);
}

PEDAL_TEST(nam_models_give_the_same_samples_for_every_block_size_and_after_reset) {
    for (const std::string &text : {test::small_nam_wavenet(), test::small_nam_lstm(), test::small_nam_a2_wavenet()}) {
        const auto x = guitarish(3000);
        auto whole = test::load_or_fail(text);
        if (!whole.model) continue;
        const auto reference = run(*whole.model, x, x.size());
        for (std::size_t block : {1, 7, 64, 65, 1000}) {
            auto streamed = test::load_or_fail(text);
            CHECK(test::max_abs_difference(run(*streamed.model, x, block), reference) == 0.0);
        }
        whole.model->reset();
        CHECK(test::max_abs_difference(run(*whole.model, x, 100), reference) == 0.0);
        // in == out
        std::vector<float> in_place = x;
        whole.model->reset();
        whole.model->process(in_place.data(), in_place.data(), in_place.size());
        CHECK(test::max_abs_difference(in_place, reference) == 0.0);
    }
}

PEDAL_TEST(nam_a2_wavenet_counts_its_condition_dsp_in_parameters_and_receptive_field) {
    const auto loaded = test::load_or_fail(test::small_nam_a2_wavenet());
    if (!loaded.model) return;
    CHECK_EQ(loaded.parameters, std::size_t{204 + 25});
    // 1 + layers (1*1 + 2*2) + array head (3-1) + post-stack head (2-1 + 0) + condition_dsp (2-1)
    CHECK_EQ(loaded.model->receptive_field(), std::size_t{1 + 5 + 2 + 1 + 1});
    const auto y = run(*loaded.model, guitarish(2000), 64);
    double peak = 0.0;
    for (float v : y) peak = std::max(peak, static_cast<double>(std::fabs(v)));
    CHECK(peak > 1e-3 && peak < 100.0);
}

PEDAL_TEST(nam_file_facts_reach_the_loaded_model) {
    auto with_rate = test::load_or_fail(test::small_nam_wavenet());
    CHECK_EQ(with_rate.format, std::string("nam"));
    CHECK_EQ(with_rate.sample_rate, 48000.0);
    CHECK_EQ(with_rate.parameters, std::size_t{197});
    CHECK_CONTAINS(with_rate.metadata_json, R"("sample_rate_source":"file")");
    CHECK_CONTAINS(with_rate.config_json, R"("dilations":[1,2])");

    auto without = test::load_or_fail(test::nam_document(
        "LSTM", R"({"input_size": 1, "hidden_size": 3, "num_layers": 2})", test::wavy_weights(160, 0.1),
        R"("metadata": {"loudness": -12.5, "gear_type": "amp", "name": null, "input_level_dbu": 18.3})"));
    CHECK_EQ(without.sample_rate, 48000.0);
    CHECK_CONTAINS(without.metadata_json, R"x("sample_rate_source":"assumed (the file stores none)")x");
    CHECK_CONTAINS(without.metadata_json, R"("loudness":-12.5)");
    CHECK_CONTAINS(without.metadata_json, R"("input_level_dbu":18.3)");
    CHECK_CONTAINS(without.metadata_json, R"("gear_type":"amp")");
    CHECK(without.metadata_json.find("\"name\"") == std::string::npos);  // null means absent
}

PEDAL_TEST(nam_refusals_name_the_key_and_both_weight_counts) {
    std::string wavenet = test::small_nam_wavenet();
    const std::string short_by_one = test::nam_document(
        "LSTM", R"({"input_size": 1, "hidden_size": 3, "num_layers": 2})", test::wavy_weights(159, 0.1));
    CHECK_CONTAINS(test::load_error(short_by_one), "has 159 weights; the LSTM config (2 x 3) needs 160");
    CHECK_CONTAINS(test::load_error(R"({"version": "0.7.0", "architecture": "ConvNet", "config": {},
                                        "weights": []})"),
                   "nam: unsupported nam architecture 'ConvNet'; supported: WaveNet, LSTM, Linear, SlimmableContainer");
    std::string mixed = wavenet;
    mixed.replace(mixed.find(R"("gated": true)"), 13, R"("gating_mode": "mixed")");
    CHECK_CONTAINS(test::load_error(mixed),
                   "config.layers[0].gating_mode (line 3, column 68): unknown gating_mode; expected \"none\", \"gated\" or \"blended\"");
    std::string future = wavenet;
    future.replace(future.find("0.5.4"), 5, "0.8.0");
    CHECK_CONTAINS(test::load_error(future), "unsupported nam file version 0.8.0");
}
