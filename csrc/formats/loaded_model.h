// What a format loader hands back: the playable model plus the facts about it
// that came from the file. The model itself never knows its file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "models/model.h"

namespace pedal::formats {

// What the caller asks of a load beyond the bytes.
struct LoadOptions {
    // For files holding one capture at several sizes (NAM's SlimmableContainer,
    // slimmable WaveNets): 0..1, the submodels sorted by max_value, size s
    // playing the first whose max_value >= s (the last when none is).
    double size = 1.0;
};

// One of the sizes a file holds, whether it plays or not.
struct Submodel {
    double max_value = 1.0;
    std::string architecture;
    std::size_t parameters = 0;
    std::size_t receptive_field = 1;
};

// A knob the model was trained with (an input beside the audio): what info shows.
struct Knob {
    std::string name;
    float min = 0.0f, max = 1.0f;
    float initial = 0.0f;  // where it starts: the value its own player starts it at
};

struct LoadedModel {
    std::unique_ptr<models::Model> model;
    std::string format;        // file family, e.g. "pedalnet"
    std::string architecture;  // e.g. "WaveNet"
    double sample_rate = 0.0;  // the rate the model was trained at, in Hz
    std::size_t parameters = 0;
    std::string config_json = "{}";    // the network's shape, as a JSON object
    std::string metadata_json = "{}";  // descriptive fields from the file, as a JSON object
    // Files of several sizes: every submodel by max_value, the one playing and the size asked for.
    std::vector<Submodel> submodels;  // empty for a file of one size
    std::size_t playing = 0;
    double size = 1.0;
    std::vector<Knob> knobs;  // in the order of the model's knob inputs
};

// The submodel a size picks (see LoadOptions::size), given max_values in ascending order.
template <class MaxValues>
std::size_t submodel_for_size(const MaxValues &max_values, double size) {
    for (std::size_t i = 0; i < max_values.size(); ++i)
        if (max_values[i] >= size) return i;
    return max_values.empty() ? 0 : max_values.size() - 1;
}

}  // namespace pedal::formats
