// GuitarML NeuralPi / Proteus json: CoreAudioML's SimpleRNN (an LSTM or GRU and a
// linear layer, PyTorch state_dict layout), spec formats/rtneural-json.md dialect C.
#pragma once

#include <string>

#include "formats/loaded_model.h"
#include "json/json.h"

namespace pedal::formats {

// True for a document with top-level "model_data" and "state_dict".
bool is_proteus(const json::Value &root);

// model_data.model, e.g. "SimpleRNN"; throws FormatError when absent.
std::string proteus_architecture(const json::Value &root);

// Throws FormatError naming the offending key or tensor and its position.
LoadedModel load_proteus(const json::Value &root);

}  // namespace pedal::formats
