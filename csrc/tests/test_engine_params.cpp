// The engine's parameter table (engine/params.h): every row is usable as it
// stands, since the C API, the daemon's checks and pedalctl's help all read it.
#include <cstring>
#include <set>
#include <string>

#include "capi/pedal.h"
#include "engine/params.h"
#include "check.h"

using pedal::engine::kParamCount;
using pedal::engine::kParams;

PEDAL_TEST(engine_params_each_start_inside_their_range) {
    for (const auto &row : kParams) {
        CHECK(row.range.min < row.range.max);
        CHECK(row.range.min <= row.range.initial && row.range.initial <= row.range.max);
    }
}

PEDAL_TEST(engine_params_have_unique_names_and_a_unit) {
    std::set<std::string> names;
    for (const auto &row : kParams) {
        CHECK(names.insert(row.name).second);
        CHECK(std::strlen(row.unit) > 0);
    }
    CHECK_EQ(names.size(), kParamCount);
}

PEDAL_TEST(c_api_describes_the_engine_params_row_for_row) {
    CHECK_EQ(pedal_param_count(), kParamCount);
    pedal_param_info info{};
    CHECK(pedal_param_describe(PEDAL_EQ_BASS_DB, &info));
    CHECK_EQ(std::string(info.name), "eq_bass_db");
    CHECK_EQ(std::string(info.unit), "dB");
    CHECK_EQ(info.min, -15.0);
    CHECK_EQ(info.max, 15.0);
    CHECK_EQ(info.default_value, 0.0);
    CHECK(!pedal_param_describe(kParamCount, &info));
    CHECK(!pedal_param_describe(0, nullptr));
}
