// A cabinet impulse response on its way to the audio thread: prepared
// (resampled, partitioned, transformed) on the control side, then handed over
// and later returned for freeing, like a ModelSlot. An empty slot turns the
// cabinet off.
#pragma once

#include <memory>

#include "dsp/impulse_response.h"

namespace pedal::engine {

struct IrSlot {
    std::unique_ptr<dsp::ImpulseResponse> ir;  // null: no cabinet
};

}  // namespace pedal::engine
