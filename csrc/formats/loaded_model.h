// What a format loader hands back: the playable model plus the facts about it
// that came from the file. The model itself never knows its file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "models/model.h"

namespace pedal::formats {

struct LoadedModel {
    std::unique_ptr<models::Model> model;
    std::string format;        // file family, e.g. "pedalnet"
    std::string architecture;  // e.g. "WaveNet"
    double sample_rate = 0.0;  // the rate the model was trained at, in Hz
    std::size_t parameters = 0;
    std::string config_json = "{}";    // the network's shape, as a JSON object
    std::string metadata_json = "{}";  // descriptive fields from the file, as a JSON object
};

}  // namespace pedal::formats
