// Knob inputs: a model trained with knobs (NeuralPi/Proteus, AIDA-X) names them in its
// info, starts them where its own player does, and glides to a knob's new value over
// 10 ms, whether it is turned on a free model or on a chain playing in the engine.
#include <cmath>
#include <string>
#include <vector>

#include "capi/pedal.h"
#include "check.h"
#include "models/knob_inputs.h"
#include "test_support.h"

using pedal::models::KnobInputs;
using pedal::test::data_dir;
using pedal::test::read_file;

namespace {

pedal_model *load(const std::string &name) {
    const std::string text = read_file(data_dir() + "/" + name + ".model.json");
    char error[256];
    pedal_model *model = pedal_model_load(text.data(), text.size(), error, sizeof error);
    if (!model) pedal::test::fail(__FILE__, __LINE__, std::string("load failed: ") + error);
    return model;
}

std::vector<float> column(const std::vector<float> &frames, std::size_t stride, std::size_t k) {
    std::vector<float> out;
    for (std::size_t i = k; i < frames.size(); i += stride) out.push_back(frames[i]);
    return out;
}

}  // namespace

PEDAL_TEST(a_knob_glides_linearly_to_its_new_value_and_lands_on_it) {
    KnobInputs knobs;
    knobs.configure({0.5f, 0.0f}, 100);
    std::vector<float> frames(2 * 150);
    knobs.fill(frames.data(), 2, 0, 150);
    for (float v : column(frames, 2, 0)) CHECK_EQ(v, 0.5f);  // untouched: where it started
    CHECK(knobs.set(0, 1.0f));
    CHECK(!knobs.set(2, 1.0f));
    CHECK(!knobs.set(1, NAN));
    knobs.fill(frames.data(), 2, 0, 150);
    const auto glide = column(frames, 2, 0), other = column(frames, 2, 1);
    for (std::size_t t = 0; t < 99; ++t) CHECK_NEAR(glide[t], 0.5f + 0.5f * static_cast<float>(t + 1) / 100.0f, 1e-6);
    for (std::size_t t = 99; t < 150; ++t) CHECK_EQ(glide[t], 1.0f);  // exactly there after 100 frames
    for (float v : other) CHECK_EQ(v, 0.0f);
    // Turned again mid-glide: from where it is, never a jump.
    knobs.set(1, 1.0f);
    knobs.fill(frames.data(), 2, 0, 50);
    knobs.set(1, 0.0f);
    knobs.fill(frames.data() + 100, 2, 0, 1);
    CHECK(std::fabs(frames[101] - frames[99]) <= 0.5f / 100.0f + 1e-6f);
    knobs.reset();  // a setting, not state: at its target at once
    knobs.fill(frames.data(), 2, 0, 1);
    CHECK_EQ(frames[1], 0.0f);
}

PEDAL_TEST(a_model_with_knobs_names_them_and_a_free_one_takes_a_new_position_at_once) {
    pedal_model *model = load("aidax_lstm_two_knobs_skip");
    const std::string info = pedal_model_info_json(model);
    CHECK_CONTAINS(info, "\"knobs\":[{\"name\":\"param1\",\"min\":0,\"max\":1,\"default\":0}");
    CHECK_CONTAINS(info, "{\"name\":\"param2\"");
    const auto x = pedal::test::random_signal(512, 4);
    std::vector<float> at_zero(x.size()), turned(x.size()), fresh(x.size());
    pedal_model_process(model, x.data(), at_zero.data(), x.size());
    CHECK(pedal_model_set_knob(model, 1, 0.8f));
    CHECK(!pedal_model_set_knob(model, 2, 0.8f));
    pedal_model_reset(model);
    pedal_model_process(model, x.data(), turned.data(), x.size());
    pedal_model *other = load("aidax_lstm_two_knobs_skip");
    CHECK(pedal_model_set_knob(other, 1, 0.8f));  // before it ever plays: from the first sample
    pedal_model_process(other, x.data(), fresh.data(), x.size());
    CHECK(turned == fresh);
    CHECK(turned != at_zero);
    CHECK(pedal_model_set_knob(other, 0, 7.0f));  // clamped to its range: the same as 1
    pedal_model_reset(other);
    pedal_model_process(other, x.data(), fresh.data(), x.size());
    CHECK(pedal_model_set_knob(model, 0, 1.0f));
    pedal_model_reset(model);
    pedal_model_process(model, x.data(), turned.data(), x.size());
    CHECK(turned == fresh);
    pedal_model_free(model);
    pedal_model_free(other);
    pedal_model *plain = load("pedalnet_c4_d4_k3");
    CHECK_CONTAINS(std::string(pedal_model_info_json(plain)), "\"knobs\":[]");
    CHECK(!pedal_model_set_knob(plain, 0, 0.5f));
    pedal_model_free(plain);
}

PEDAL_TEST(a_knob_turned_on_the_chain_playing_reaches_the_capture_in_the_engine) {
    pedal_engine *engine = pedal_engine_new(44100.0, 64, nullptr, 0);
    pedal_model *models[2] = {load("pedalnet_c4_d4_k3"), load("proteus_gru_two_layers_knob")};
    CHECK(pedal_engine_set_chain(engine, models, nullptr, nullptr, 2) != 0);
    CHECK(!pedal_engine_set_knob(engine, 0, 0, 0.5f));   // the first capture has no knobs
    CHECK(!pedal_engine_set_knob(engine, 2, 0, 0.5f));   // there is no third
    std::vector<float> x = pedal::test::random_signal(64, 5), y(64);
    for (int i = 0; i < 40; ++i) pedal_engine_process(engine, x.data(), y.data(), 64);  // warmed up, faded in
    const std::vector<float> before = y;
    CHECK(pedal_engine_set_knob(engine, 1, 0, 1.0f));
    for (int i = 0; i < 20; ++i) pedal_engine_process(engine, x.data(), y.data(), 64);
    CHECK(y != before);
    pedal_engine_free(engine);
}
