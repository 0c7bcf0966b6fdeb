// PedalNetRT / WaveNetVA / SmartGuitar* WaveNet json (spec: formats/pedalnet-wavenet.md).
#pragma once

#include "formats/loaded_model.h"
#include "json/json.h"

namespace pedal::formats {

// True when the document has the keys only this family writes.
bool is_pedalnet(const json::Value &root);

// Throws FormatError naming the offending key and position.
LoadedModel load_pedalnet(const json::Value &root);

}  // namespace pedal::formats
