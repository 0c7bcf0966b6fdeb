// A strict RFC 8259 JSON reader for model files.
//
// Model files come from many exporters and a silently misread weight is worse
// than a refused file, so the reader accepts only strict JSON (no comments,
// trailing commas, NaN, duplicate keys, invalid UTF-8) and reports every refusal
// as "line:column: expected X, found Y". Model files hold millions of numbers,
// so a Value is kept small: a tag, its document position and one word of payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pedal::json {

enum class Type { Null, Bool, Number, String, Array, Object };

constexpr std::size_t kMaxDepth = 64;                        // nesting depth of arrays/objects
constexpr std::size_t kMaxDocumentBytes = 32u * 1024 * 1024;  // 32 MiB

namespace detail {
class Parser;
}

class Value {
public:
    Value() noexcept;
    Value(const Value &other);
    Value(Value &&other) noexcept;
    Value &operator=(const Value &other);
    Value &operator=(Value &&other) noexcept;
    ~Value();

    Type type() const { return type_; }
    bool is_null() const { return type_ == Type::Null; }
    bool is_bool() const { return type_ == Type::Bool; }
    bool is_number() const { return type_ == Type::Number; }
    bool is_string() const { return type_ == Type::String; }
    bool is_array() const { return type_ == Type::Array; }
    bool is_object() const { return type_ == Type::Object; }

    // Accessors called on the wrong type return false / 0 / empty rather than
    // invoking undefined behaviour; callers should still check the type first.
    bool boolean() const;                       // precondition: is_bool()
    double number() const;                      // precondition: is_number(); always finite
    const std::string &string() const;          // precondition: is_string(); valid UTF-8
    const std::vector<Value> &array() const;    // precondition: is_array()

    // Object members in document order; keys are unique (duplicates are a parse error).
    std::size_t size() const;                       // members of object / items of array, else 0
    const std::string &key(std::size_t i) const;    // i-th member's key (object)
    const Value &member(std::size_t i) const;       // i-th member's value (object)
    const Value *find(std::string_view key) const;  // nullptr if absent or not an object

    // 1-based position of the value's first character (column counts bytes);
    // 0 for values that did not come from a document.
    unsigned line() const { return line_; }
    unsigned column() const { return column_; }

    static const char *type_name(Type type);  // "null","boolean","number","string","array","object"

private:
    friend class detail::Parser;
    struct Object;

    void release() noexcept;

    union Payload {
        double number;
        bool boolean;
        std::string *string;
        std::vector<Value> *array;
        Object *object;
    } u_;
    std::uint32_t line_ = 0;
    std::uint32_t column_ = 0;
    Type type_ = Type::Null;
};

// Parses the whole document. On failure returns false, resets `out` to null and
// sets `error` to a single line starting with "line:column: ".
bool parse(std::string_view text, Value &out, std::string &error);

// Strict decimal number grammar (the JSON number grammar; no leading '+', no hex,
// no nan/inf, no surrounding spaces), for weights that some exporters write as
// JSON strings like "-0.819". Returns false if the text is not a number or not
// finite as a double.
bool parse_number_text(std::string_view text, double &out);

}  // namespace pedal::json
