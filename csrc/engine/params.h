// The engine's parameters, one row each: the name Python knows it by, its
// unit, its range and the value the engine starts with. This table is the one
// place the engine's ranges are listed: Engine::set_param clamps with it, the
// C API hands it out (pedal_param_describe), and pedal.core reads it once for
// the daemon's checks, pedalctl's help and the config loader. Ranges a dsp
// block enforces itself are written in that block and only referred to here.
#pragma once

#include <cstddef>

#include "dsp/limiter.h"
#include "dsp/noise_gate.h"
#include "dsp/setting_range.h"
#include "dsp/tone_eq.h"

namespace pedal::engine {

// Kept equal to enum pedal_param in capi/pedal.h (static_asserts in capi/pedal.cpp).
enum class Param {
    InputGainDb,    // before the gate and model
    OutputLevelDb,  // master level
    CrossfadeMs,    // model change and bypass fades
    GateThresholdDb,
    GateHysteresisDb,
    GateAttackMs,
    GateHoldMs,
    GateReleaseMs,
    EqBassDb,
    EqMidDb,
    EqTrebleDb,
    LimiterCeilingDb,
    GateOn,         // 0/1: each block can be taken out of the chain
    EqOn,
    CabinetOn,
    DcBlockerOn,
    LimiterOn,
};

struct ParamInfo {
    Param param;
    const char *name;  // the key pedal.core, the control protocol and the state file use
    const char *unit;  // "dB", "dBFS", "ms", or "on/off" for a block's switch (0 or 1)
    dsp::SettingRange range;
};

namespace detail {
constexpr dsp::SettingRange kSwitchOn{0.0, 1.0, 1.0}, kSwitchOff{0.0, 1.0, 0.0};
}  // namespace detail

// In the enum's order, so that a Param indexes its row.
inline constexpr ParamInfo kParams[] = {
    {Param::InputGainDb, "input_gain_db", "dB", {-40.0, 40.0, 0.0}},
    {Param::OutputLevelDb, "output_level_db", "dB", {-60.0, 12.0, 0.0}},
    {Param::CrossfadeMs, "crossfade_ms", "ms", {10.0, 50.0, 30.0}},
    {Param::GateThresholdDb, "gate_threshold_db", "dBFS", dsp::NoiseGate::kThresholdDb},
    {Param::GateHysteresisDb, "gate_hysteresis_db", "dB", dsp::NoiseGate::kHysteresisDb},
    {Param::GateAttackMs, "gate_attack_ms", "ms", dsp::NoiseGate::kAttackMs},
    {Param::GateHoldMs, "gate_hold_ms", "ms", dsp::NoiseGate::kHoldMs},
    {Param::GateReleaseMs, "gate_release_ms", "ms", dsp::NoiseGate::kReleaseMs},
    {Param::EqBassDb, "eq_bass_db", "dB", dsp::ToneEq::kGainDb},
    {Param::EqMidDb, "eq_mid_db", "dB", dsp::ToneEq::kGainDb},
    {Param::EqTrebleDb, "eq_treble_db", "dB", dsp::ToneEq::kGainDb},
    // The pedal offers the top of the limiter's own range (dsp::Limiter::kCeilingDb).
    {Param::LimiterCeilingDb, "limiter_ceiling_db", "dBFS", {-20.0, 0.0, dsp::Limiter::kCeilingDb.initial}},
    {Param::GateOn, "gate_on", "on/off", detail::kSwitchOff},  // a gate must be asked for
    {Param::EqOn, "eq_on", "on/off", detail::kSwitchOn},
    {Param::CabinetOn, "cabinet_on", "on/off", detail::kSwitchOn},
    {Param::DcBlockerOn, "dc_blocker_on", "on/off", detail::kSwitchOn},
    {Param::LimiterOn, "limiter_on", "on/off", detail::kSwitchOn},
};
inline constexpr std::size_t kParamCount = sizeof(kParams) / sizeof(kParams[0]);

constexpr const ParamInfo &param_info(Param param) { return kParams[static_cast<std::size_t>(param)]; }
constexpr const dsp::SettingRange &range_of(Param param) { return param_info(param).range; }

namespace detail {
constexpr bool rows_follow_the_enum() {
    for (std::size_t i = 0; i < kParamCount; ++i)
        if (static_cast<std::size_t>(kParams[i].param) != i) return false;
    return kParamCount == static_cast<std::size_t>(Param::LimiterOn) + 1;
}
}  // namespace detail
static_assert(detail::rows_follow_the_enum(), "one row per Param, in the enum's order");

}  // namespace pedal::engine
