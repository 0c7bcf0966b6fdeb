// The engine's parameter table (engine/params.h): every row is usable as it
// stands, since the C API, the daemon's checks and pedalctl's help all read it.
#include <cstring>
#include <set>
#include <string>

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
