// Neural Amp Modeler .nam files (spec: formats/nam.md, formats/nam-a2.md):
// WaveNets with every layer feature NAM's trainer writes (A1 and A2), LSTMs,
// the Linear filter and the SlimmableContainer that holds A2's sizes. A key
// this player does not know is refused with a message naming it.
#pragma once

#include <string>

#include "formats/loaded_model.h"
#include "json/json.h"

namespace pedal::formats {

// True when the document looks like a .nam file (an "architecture", or a
// "version" beside "config" or "weights").
bool is_nam(const json::Value &root);

// Checks the file's version, then names its architecture. Throws FormatError.
std::string nam_architecture(const json::Value &root);

// Each throws FormatError naming the offending key and position.
// A WaveNet whose layer arrays are slimmable plays the width options.size picks.
LoadedModel load_nam_wavenet(const json::Value &root, const LoadOptions &options);
LoadedModel load_nam_lstm(const json::Value &root);
LoadedModel load_nam_linear(const json::Value &root);
// A SlimmableContainer (NAM "A2"): one capture trained at several sizes, each a
// complete .nam document; every one is loaded, the one options.size picks plays.
LoadedModel load_nam_container(const json::Value &root, const LoadOptions &options);

}  // namespace pedal::formats
