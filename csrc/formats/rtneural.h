// RTNeural's Keras-style layer-list json, including the AIDA-X variant
// (spec: formats/rtneural-json.md, dialect A).
#pragma once

#include <cstddef>
#include <string>

#include "formats/loaded_model.h"
#include "json/json.h"
#include "models/sequential.h"

namespace pedal::formats {

// True for a document with top-level "in_shape" and "layers".
bool is_rtneural(const json::Value &root);

// Throws FormatError naming the offending key, layer and position.
LoadedModel load_rtneural(const json::Value &root);

// The "layers" array alone, for frames of `inputs` values (the file's in_shape
// allows 1..3; self-tests feed wider frames through Sequential::forward).
struct LayerList {
    models::SequentialSpec spec;  // knob values zero
    std::size_t parameters = 0;
    std::string config_layers;    // JSON array, one object per layer
};
LayerList read_layer_list(const json::Value &layers, const std::string &path, std::size_t inputs);

}  // namespace pedal::formats
