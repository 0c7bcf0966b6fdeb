// The C ABI over the core. No entry point lets an exception out: a C++ exception
// reaching Python (or any C caller) would abort the daemon.
#include "capi/pedal.h"
#include "capi/version.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "dsp/pitch_detector.h"
#include "engine/denormals.h"
#include "engine/engine.h"
#include "formats/registry.h"
#include "json/writer.h"

// The C enum and engine::Param are one list written twice (C cannot include
// the C++ one): these keep them equal, value for value.
namespace {
using pedal::engine::Param;
constexpr bool same(int c_value, Param param) { return c_value == static_cast<int>(param); }
static_assert(same(PEDAL_INPUT_GAIN_DB, Param::InputGainDb));
static_assert(same(PEDAL_OUTPUT_LEVEL_DB, Param::OutputLevelDb));
static_assert(same(PEDAL_CROSSFADE_MS, Param::CrossfadeMs));
static_assert(same(PEDAL_GATE_THRESHOLD_DB, Param::GateThresholdDb));
static_assert(same(PEDAL_GATE_HYSTERESIS_DB, Param::GateHysteresisDb));
static_assert(same(PEDAL_GATE_ATTACK_MS, Param::GateAttackMs));
static_assert(same(PEDAL_GATE_HOLD_MS, Param::GateHoldMs));
static_assert(same(PEDAL_GATE_RELEASE_MS, Param::GateReleaseMs));
static_assert(same(PEDAL_EQ_BASS_DB, Param::EqBassDb));
static_assert(same(PEDAL_EQ_MID_DB, Param::EqMidDb));
static_assert(same(PEDAL_EQ_TREBLE_DB, Param::EqTrebleDb));
static_assert(same(PEDAL_LIMITER_CEILING_DB, Param::LimiterCeilingDb));
static_assert(same(PEDAL_GATE_ON, Param::GateOn));
static_assert(same(PEDAL_EQ_ON, Param::EqOn));
static_assert(same(PEDAL_CABINET_ON, Param::CabinetOn));
static_assert(same(PEDAL_DC_BLOCKER_ON, Param::DcBlockerOn));
static_assert(same(PEDAL_LIMITER_ON, Param::LimiterOn));
static_assert(static_cast<size_t>(PEDAL_LIMITER_ON) + 1 == pedal::engine::kParamCount, "the C enum ends where the table does");
using pedal::engine::TunerMode;
static_assert(PEDAL_TUNER_OFF == static_cast<int>(TunerMode::Off) && PEDAL_TUNER_MUTE == static_cast<int>(TunerMode::Mute) &&
              PEDAL_TUNER_THROUGH == static_cast<int>(TunerMode::Through));
}  // namespace

struct pedal_model {
    pedal::formats::LoadedModel loaded;
    std::string info_json;
};

struct pedal_engine {
    pedal::engine::Engine engine;
};

struct pedal_tuner {
    pedal::dsp::PitchDetector detector;
};

namespace {

void write_error(char *error, size_t capacity, const std::string &message) noexcept {
    if (!error || capacity == 0) return;
    const size_t length = message.size() < capacity - 1 ? message.size() : capacity - 1;
    std::memcpy(error, message.data(), length);
    error[length] = '\0';
}

std::string describe(const pedal::formats::LoadedModel &loaded) {
    pedal::json::ObjectWriter info;
    info.text("format", loaded.format)
        .text("architecture", loaded.architecture)
        .number("sample_rate", loaded.sample_rate)
        .integer("receptive_field", static_cast<long long>(loaded.model->receptive_field()))
        .integer("parameters", static_cast<long long>(loaded.parameters))
        .raw("config", loaded.config_json)
        .raw("metadata", loaded.metadata_json);
    std::string knobs = "[";
    for (const pedal::formats::Knob &knob : loaded.knobs)
        knobs += (knobs.size() > 1 ? "," : "") + pedal::json::ObjectWriter()
                                                     .text("name", knob.name)
                                                     .number("min", knob.min)
                                                     .number("max", knob.max)
                                                     .number("default", knob.initial)
                                                     .str();
    info.raw("knobs", knobs + "]");
    if (loaded.submodels.empty()) return info.str();
    std::string list = "[";
    for (const pedal::formats::Submodel &submodel : loaded.submodels) {
        list += (list.size() > 1 ? "," : "") + pedal::json::ObjectWriter()
                                                   .number("max_value", submodel.max_value)
                                                   .text("architecture", submodel.architecture)
                                                   .integer("parameters", static_cast<long long>(submodel.parameters))
                                                   .integer("receptive_field",
                                                            static_cast<long long>(submodel.receptive_field))
                                                   .str();
    }
    return info.raw("submodels", list + "]")
        .integer("playing", static_cast<long long>(loaded.playing))
        .number("size", loaded.size)
        .str();
}

}  // namespace

extern "C" {

const char *pedal_version(void) { return PEDAL_VERSION; }

#ifndef PEDAL_BUILD_ISA
#define PEDAL_BUILD_ISA "baseline"
#endif
const char *pedal_build_isa(void) { return PEDAL_BUILD_ISA; }

int pedal_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

pedal_model *pedal_model_load(const char *bytes, size_t size, char *error, size_t error_capacity) {
    return pedal_model_load_sized(bytes, size, 1.0, error, error_capacity);
}

pedal_model *pedal_model_load_sized(const char *bytes, size_t size, double model_size, char *error,
                                    size_t error_capacity) {
    try {
        if (!(model_size >= 0.0 && model_size <= 1.0)) {
            write_error(error, error_capacity, "size must be between 0 and 1");
            return nullptr;
        }
        if (!bytes && size > 0) {
            write_error(error, error_capacity, "no data");
            return nullptr;
        }
        auto handle = std::make_unique<pedal_model>();
        std::string message;
        if (!pedal::formats::load_model(std::string_view(bytes ? bytes : "", size), handle->loaded, message,
                                        pedal::formats::LoadOptions{model_size})) {
            write_error(error, error_capacity, message);
            return nullptr;
        }
        handle->info_json = describe(handle->loaded);
        return handle.release();
    } catch (const std::bad_alloc &) {
        write_error(error, error_capacity, "out of memory while loading the model");
    } catch (...) {
        write_error(error, error_capacity, "internal error while loading the model");
    }
    return nullptr;
}

void pedal_model_free(pedal_model *model) { delete model; }

void pedal_model_process(pedal_model *model, const float *in, float *out, size_t n) {
    if (!model || n == 0) return;
    pedal::engine::DenormalsFlushed flushed;
    model->loaded.model->process(in, out, n);
}

void pedal_model_process_call(const pedal_model_call *call) {
    if (call) pedal_model_process(call->model, call->input, call->output, call->frames);
}

void pedal_model_reset(pedal_model *model) {
    if (model) model->loaded.model->reset();
}

int pedal_model_set_knob(pedal_model *model, size_t knob, float value) {
    if (!model || knob >= model->loaded.knobs.size() || !std::isfinite(value)) return 0;
    const pedal::formats::Knob &range = model->loaded.knobs[knob];
    if (!model->loaded.model->set_knob(knob, std::clamp(value, range.min, range.max))) return 0;
    model->loaded.model->settle_knobs();  // not playing in an engine: there from the next sample
    return 1;
}

double pedal_model_sample_rate(const pedal_model *model) { return model ? model->loaded.sample_rate : 0.0; }
size_t pedal_model_receptive_field(const pedal_model *model) {
    return model ? model->loaded.model->receptive_field() : 0;
}
size_t pedal_model_parameter_count(const pedal_model *model) { return model ? model->loaded.parameters : 0; }
const char *pedal_model_format(const pedal_model *model) { return model ? model->loaded.format.c_str() : ""; }
const char *pedal_model_architecture(const pedal_model *model) {
    return model ? model->loaded.architecture.c_str() : "";
}
const char *pedal_model_info_json(const pedal_model *model) { return model ? model->info_json.c_str() : "{}"; }

pedal_engine *pedal_engine_new(double sample_rate, size_t max_block, char *error, size_t error_capacity) {
    if (!(sample_rate >= 8000.0 && sample_rate <= 384000.0)) {
        write_error(error, error_capacity, "sample rate must be 8000..384000 Hz");
        return nullptr;
    }
    if (max_block < 1 || max_block > 65536) {
        write_error(error, error_capacity, "max_block must be 1..65536 frames");
        return nullptr;
    }
    try {
        return new pedal_engine{pedal::engine::Engine(sample_rate, max_block)};
    } catch (...) {
        write_error(error, error_capacity, "out of memory while creating the engine");
        return nullptr;
    }
}

void pedal_engine_free(pedal_engine *engine) { delete engine; }

void pedal_engine_process(pedal_engine *engine, const float *in, float *out, size_t n) {
    if (engine && n > 0) engine->engine.process(in, out, n);
}

void pedal_engine_process_call(const pedal_engine_call *call) {
    if (call) pedal_engine_process(call->engine, call->input, call->output, call->frames);
}

namespace {

// dB to a linear gain, within the clamp every entry point applies (a
// non-finite value means 0 dB).
float linear_gain(float db) {
    return std::isfinite(db) ? std::pow(10.0f, std::clamp(db, -60.0f, 40.0f) / 20.0f) : 1.0f;
}

}  // namespace

uint64_t pedal_engine_set_model(pedal_engine *engine, pedal_model *model, float input_gain_db, float output_gain_db) {
    return pedal_engine_set_chain(engine, &model, &input_gain_db, &output_gain_db, model ? 1 : 0);
}

uint64_t pedal_engine_set_chain(pedal_engine *engine, pedal_model *const *models, const float *input_gains_db,
                                const float *output_gains_db, size_t count) {
    // Ownership of every model first, so each is freed whatever happens next.
    std::vector<std::unique_ptr<pedal_model>> owned;
    bool usable = engine != nullptr && count <= PEDAL_MAX_CHAIN && (count == 0 || models != nullptr);
    try {
        owned.reserve(count);
    } catch (...) {
        usable = false;
    }
    for (size_t i = 0; models != nullptr && i < count; ++i) {
        if (models[i] == nullptr) usable = false;
        if (owned.size() < owned.capacity()) owned.emplace_back(models[i]);
        else delete models[i];  // the reserve failed: nothing to hold it in
    }
    if (!usable) return 0;
    try {
        auto slot = std::make_unique<pedal::engine::ModelSlot>();
        slot->stages.reserve(count);
        for (size_t i = 0; i < count; ++i) {
            pedal::engine::Stage stage;
            stage.model = std::move(owned[i]->loaded.model);
            stage.model_rate = owned[i]->loaded.sample_rate;
            stage.input_gain = linear_gain(input_gains_db ? input_gains_db[i] : 0.0f);
            stage.gain = linear_gain(output_gains_db ? output_gains_db[i] : 0.0f);
            slot->stages.push_back(std::move(stage));
        }
        return engine->engine.set_model(std::move(slot));
    } catch (...) {
        return 0;  // out of memory: the engine keeps playing what it had
    }
}

int pedal_engine_set_ir(pedal_engine *engine, const float *samples, size_t frames, double rate) {
    if (!engine || (frames > 0 && !samples)) return 0;
    try {
        return engine->engine.set_ir(samples, frames, rate) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

int pedal_engine_stage_param(pedal_engine *engine, int param, float value) {
    if (!engine || param < 0 || static_cast<size_t>(param) >= pedal::engine::kParamCount) return 0;
    try {
        return engine->engine.stage_param(static_cast<Param>(param), value) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

int pedal_engine_stage_ir(pedal_engine *engine, const float *samples, size_t frames, double rate) {
    if (!engine || (!samples && frames > 0)) return 0;
    try {
        return engine->engine.stage_ir(samples, frames, rate) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

int pedal_engine_set_knob(pedal_engine *engine, size_t stage, size_t knob, float value) {
    return engine && engine->engine.set_knob(stage, knob, value) ? 1 : 0;
}

void pedal_engine_collect_garbage(pedal_engine *engine) {
    if (engine) engine->engine.collect_garbage();
}

void pedal_engine_set_bypass(pedal_engine *engine, int on) {
    if (engine) engine->engine.set_bypass(on != 0);
}

int pedal_engine_set_param(pedal_engine *engine, int param, float value) {
    if (!engine || param < 0 || static_cast<size_t>(param) >= pedal::engine::kParamCount) return 0;
    return engine->engine.set_param(static_cast<Param>(param), value) ? 1 : 0;
}

size_t pedal_param_count(void) { return pedal::engine::kParamCount; }

int pedal_param_describe(size_t index, pedal_param_info *out) {
    if (!out || index >= pedal::engine::kParamCount) return 0;
    const pedal::engine::ParamInfo &row = pedal::engine::kParams[index];
    *out = pedal_param_info{row.name, row.unit, row.range.min, row.range.max, row.range.initial};
    return 1;
}

double pedal_engine_latency(const pedal_engine *engine) { return engine ? engine->engine.latency() : 0.0; }

void pedal_engine_read_stats(pedal_engine *engine, pedal_engine_stats *out) {
    if (!engine || !out) return;
    const pedal::engine::StatsSnapshot s = engine->engine.stats();
    *out = pedal_engine_stats{s.input_peak, s.output_peak, s.block_us_min, s.block_us_avg, s.block_us_max,
                              s.blocks, s.muted_blocks, s.bad_input_blocks, s.model_id,
                              s.bypassed ? 1 : 0, s.switching ? 1 : 0, s.latency};
}

pedal_tuner *pedal_tuner_new(double rate) {
    try {
        auto tuner = std::make_unique<pedal_tuner>();
        return tuner->detector.prepare(rate) ? tuner.release() : nullptr;
    } catch (...) {
        return nullptr;
    }
}

void pedal_tuner_free(pedal_tuner *tuner) { delete tuner; }

void pedal_tuner_push(pedal_tuner *tuner, const float *in, size_t frames) {
    if (tuner && in) tuner->detector.push(in, frames);
}

int pedal_engine_set_tuner(pedal_engine *engine, int mode) {
    if (!engine || mode < PEDAL_TUNER_OFF || mode > PEDAL_TUNER_THROUGH) return 0;
    engine->engine.set_tuner(static_cast<pedal::engine::TunerMode>(mode));
    return 1;
}

int pedal_engine_read_tuner(pedal_engine *engine, double threshold_db, pedal_pitch *out) {
    if (!engine || !out) return 0;
    const pedal::dsp::Pitch pitch = engine->engine.read_tuner(threshold_db);
    *out = pedal_pitch{pitch.hz, pitch.clarity, pitch.level_db};
    return 1;
}

int pedal_tuner_analyse(pedal_tuner *tuner, double threshold_db, pedal_pitch *out) {
    if (!tuner || !out) return 0;
    const pedal::dsp::Pitch pitch = tuner->detector.analyse(threshold_db);
    *out = pedal_pitch{pitch.hz, pitch.clarity, pitch.level_db};
    return 1;
}

}  // extern "C"
