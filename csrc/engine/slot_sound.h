// The sound around a chain that changes with it: a rig's levels, EQ, gate and
// cabinet. Staged on the control side, carried to the audio thread by the
// ModelSlot, and applied there when that chain begins to fade in, so that a
// rig's settings arrive with its captures (gliding and crossfading alongside
// them) rather than on the old rig's captures during the new one's warm-up.
#pragma once

#include <array>
#include <limits>
#include <memory>

#include "engine/ir_slot.h"
#include "engine/params.h"

namespace pedal::engine {

struct SlotSound {
    std::array<float, kParamCount> params;  // by Param; NaN: left as it is
    std::unique_ptr<IrSlot> ir;             // set: the cabinet changes to it (its ir null: none)

    SlotSound() { params.fill(std::numeric_limits<float>::quiet_NaN()); }
};

}  // namespace pedal::engine
