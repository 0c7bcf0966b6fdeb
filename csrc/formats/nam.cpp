#include "formats/nam.h"

#include "formats/nam_file.h"

namespace pedal::formats {

bool is_nam(const json::Value &root) {
    return root.is_object() &&
           (root.find("architecture") || (root.find("version") && (root.find("config") || root.find("weights"))));
}

std::string nam_architecture(const json::Value &root) { return nam::architecture_of(root); }

}  // namespace pedal::formats
