#include "json/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <new>
#include <numeric>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "json/hex.h"

namespace pedal::json {

// Objects past this many members get a sorted index for find() and a hash set
// for the duplicate check, so hostile documents with huge objects stay linear-ish
// while the common small object avoids the extra allocations.
constexpr std::size_t kIndexThreshold = 16;

struct Value::Object {
    std::vector<std::string> keys;
    std::vector<Value> values;
    std::vector<std::uint32_t> by_key;  // member indices sorted by key; empty for small objects
};

// ---------------------------------------------------------------------------
// Value

Value::Value() noexcept { u_.number = 0.0; }

Value::Value(const Value &other) : line_(other.line_), column_(other.column_) {
    u_.number = 0.0;
    switch (other.type_) {
    case Type::Null: break;
    case Type::Bool: u_.boolean = other.u_.boolean; break;
    case Type::Number: u_.number = other.u_.number; break;
    case Type::String: u_.string = new std::string(*other.u_.string); break;
    case Type::Array: u_.array = new std::vector<Value>(*other.u_.array); break;
    case Type::Object: u_.object = new Object(*other.u_.object); break;
    }
    type_ = other.type_;
}

Value::Value(Value &&other) noexcept
    : u_(other.u_), line_(other.line_), column_(other.column_), type_(other.type_) {
    other.type_ = Type::Null;
}

Value &Value::operator=(const Value &other) {
    if (this != &other) {
        Value copy(other);
        *this = std::move(copy);
    }
    return *this;
}

Value &Value::operator=(Value &&other) noexcept {
    if (this != &other) {
        release();
        u_ = other.u_;
        line_ = other.line_;
        column_ = other.column_;
        type_ = other.type_;
        other.type_ = Type::Null;
    }
    return *this;
}

Value::~Value() { release(); }

void Value::release() noexcept {
    switch (type_) {
    case Type::String: delete u_.string; break;
    case Type::Array: delete u_.array; break;
    case Type::Object: delete u_.object; break;
    default: break;
    }
    type_ = Type::Null;
}

namespace {
const std::string &empty_string() {
    static const std::string empty;
    return empty;
}
const std::vector<Value> &empty_array() {
    static const std::vector<Value> empty;
    return empty;
}
const Value &null_value() {
    static const Value null;
    return null;
}
}  // namespace

bool Value::boolean() const { return is_bool() && u_.boolean; }

double Value::number() const { return is_number() ? u_.number : 0.0; }

const std::string &Value::string() const { return is_string() ? *u_.string : empty_string(); }

const std::vector<Value> &Value::array() const { return is_array() ? *u_.array : empty_array(); }

std::size_t Value::size() const {
    if (is_array()) return u_.array->size();
    if (is_object()) return u_.object->keys.size();
    return 0;
}

const std::string &Value::key(std::size_t i) const {
    if (!is_object() || i >= u_.object->keys.size()) return empty_string();
    return u_.object->keys[i];
}

const Value &Value::member(std::size_t i) const {
    if (!is_object() || i >= u_.object->values.size()) return null_value();
    return u_.object->values[i];
}

const Value *Value::find(std::string_view key) const {
    if (!is_object()) return nullptr;
    const Object &object = *u_.object;
    if (object.by_key.empty()) {
        for (std::size_t i = 0; i < object.keys.size(); ++i) {
            if (object.keys[i] == key) return &object.values[i];
        }
        return nullptr;
    }
    auto it = std::lower_bound(object.by_key.begin(), object.by_key.end(), key,
                               [&](std::uint32_t index, std::string_view k) { return object.keys[index] < k; });
    if (it == object.by_key.end() || object.keys[*it] != key) return nullptr;
    return &object.values[*it];
}

const char *Value::type_name(Type type) {
    switch (type) {
    case Type::Null: return "null";
    case Type::Bool: return "boolean";
    case Type::Number: return "number";
    case Type::String: return "string";
    case Type::Array: return "array";
    case Type::Object: return "object";
    }
    return "unknown";
}

// ---------------------------------------------------------------------------
// Numbers

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

enum class NumberFault { None, ExpectedDigit, LeadingZero, OutOfRange };

struct NumberScan {
    const char *at;  // end of the number, or where the fault is
    NumberFault fault;
};

const char *skip_digits(const char *p, const char *end) {
    while (p < end && is_digit(*p)) ++p;
    return p;
}

// Checks the JSON number grammar from `p`; stops at the first byte that cannot
// continue the number, which the caller judges (delimiter or garbage).
NumberScan scan_number(const char *p, const char *end) {
    if (p < end && *p == '-') ++p;
    if (p >= end || !is_digit(*p)) return {p, NumberFault::ExpectedDigit};
    if (*p == '0') {
        if (p + 1 < end && is_digit(p[1])) return {p, NumberFault::LeadingZero};
        ++p;
    } else {
        p = skip_digits(p, end);
    }
    if (p < end && *p == '.') {
        ++p;
        if (p >= end || !is_digit(*p)) return {p, NumberFault::ExpectedDigit};
        p = skip_digits(p, end);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        ++p;
        if (p < end && (*p == '+' || *p == '-')) ++p;
        if (p >= end || !is_digit(*p)) return {p, NumberFault::ExpectedDigit};
        p = skip_digits(p, end);
    }
    return {p, NumberFault::None};
}

// from_chars reports both overflow and underflow as out of range. Underflow is
// a legitimate tiny weight that rounds to zero, so tell the two apart by the
// decimal exponent of the leading significant digit. [first, last) is known to
// match the number grammar.
bool underflows(const char *first, const char *last) {
    const char *p = first;
    if (*p == '-') ++p;
    const char *int_end = skip_digits(p, last);
    long long lead = 0;
    bool found = false;
    for (const char *q = p; q < int_end; ++q) {
        if (*q != '0') {
            lead = static_cast<long long>(int_end - q) - 1;
            found = true;
            break;
        }
    }
    p = int_end;
    if (p < last && *p == '.') {
        const char *frac = ++p;
        p = skip_digits(p, last);
        for (const char *q = frac; !found && q < p; ++q) {
            if (*q != '0') {
                lead = -static_cast<long long>(q - frac) - 1;
                found = true;
            }
        }
    }
    if (!found) return true;  // all zeros: the value is zero whatever the exponent
    long long exponent = 0;
    if (p < last) {  // at 'e' or 'E'
        ++p;
        bool negative = *p == '-';
        if (*p == '+' || *p == '-') ++p;
        // Saturate: anything past a few hundred is already out of double range.
        for (; p < last; ++p) exponent = std::min(exponent * 10 + (*p - '0'), 1000000LL);
        if (negative) exponent = -exponent;
    }
    return lead + exponent < 0;
}

// Converts a number that already matched the grammar. from_chars is locale
// independent, unlike strtod.
NumberFault convert_number(const char *first, const char *last, double &out) {
    double value = 0.0;
    auto result = std::from_chars(first, last, value);
    if (result.ec == std::errc::result_out_of_range && underflows(first, last)) {
        out = *first == '-' ? -0.0 : 0.0;
        return NumberFault::None;
    }
    if (result.ec != std::errc() || result.ptr != last || !std::isfinite(value)) return NumberFault::OutOfRange;
    out = value;
    return NumberFault::None;
}

// ---------------------------------------------------------------------------
// Error text

std::string hex_byte(unsigned char c) { return "byte 0x" + hex_digits(c, 2); }

// Describes the single byte at `at` for messages about string and number internals.
std::string describe_byte(const char *at, const char *end) {
    if (at >= end) return "end of document";
    const unsigned char c = static_cast<unsigned char>(*at);
    if (c == '\'') return "\"'\"";
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    return hex_byte(c);
}

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

// Describes what stands at `at` where a token was expected; a bare word such as
// NaN or Infinity is shown whole, which says more than its first letter.
std::string describe_token(const char *at, const char *end) {
    if (at >= end || !is_word_char(*at)) return describe_byte(at, end);
    constexpr std::ptrdiff_t kMaxShown = 16;
    const char *stop = at;
    while (stop < end && stop - at < kMaxShown && is_word_char(*stop)) ++stop;
    std::string word(at, stop);
    if (stop < end && is_word_char(*stop)) word += "...";
    return "'" + word + "'";
}

// Keys are arbitrary UTF-8; keep the message one printable line of bounded length.
std::string quote_for_message(const std::string &text) {
    constexpr std::size_t kMaxShown = 60;
    std::string quoted = "\"";
    for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            quoted += '\\';
            quoted += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7f) {
            quoted += static_cast<char>(c);
        } else {
            quoted += "\\x" + hex_digits(c, 2);
        }
    }
    if (text.size() > kMaxShown) quoted += "...";
    return quoted + "\"";
}

// Upper case, as the messages write the surrogate range (\uDC00-\uDFFF).
std::string hex4(unsigned code) { return "\\u" + hex_digits(code, 4, HexCase::Upper); }

// ---------------------------------------------------------------------------
// Strings

// Bytes that stand for themselves inside a string; everything else needs a
// closer look (quote, backslash, control character, UTF-8 lead byte).
struct PlainTable {
    bool plain[256];
    constexpr PlainTable() : plain() {
        for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
    }
};
constexpr PlainTable kPlain;

bool is_plain(char c) { return kPlain.plain[static_cast<unsigned char>(c)]; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_utf8(std::string &s, std::uint32_t cp) {
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool is_high_surrogate(std::uint32_t code) { return code >= 0xD800 && code <= 0xDBFF; }
bool is_low_surrogate(std::uint32_t code) { return code >= 0xDC00 && code <= 0xDFFF; }

}  // namespace

// ---------------------------------------------------------------------------
// Parser

namespace detail {

class Parser {
public:
    explicit Parser(std::string_view text) noexcept
        : p_(text.data()), end_(text.data() + text.size()), line_start_(text.data()) {}

    bool parse_document(Value &out) {
        // A BOM is not JSON, but Windows editors add one; skipping it costs nothing.
        if (end_ - p_ >= 3 && std::string_view(p_, 3) == "\xEF\xBB\xBF") p_ += 3;
        skip_whitespace();
        if (!parse_value(out, 0)) return false;
        skip_whitespace();
        if (p_ != end_) return expected(p_, "end of document", describe_token(p_, end_));
        return true;
    }

    const std::string &error() const { return error_; }

    // Where the parser stands, for errors that have no better position (out of memory).
    std::string position_text() const { return position_of(p_); }

    void release_memory() noexcept {
        std::vector<Value>().swap(items_);
        std::vector<std::string>().swap(keys_);
    }

private:
    std::string position_of(const char *at) const {
        const auto column = static_cast<unsigned long>(at - line_start_) + 1;
        return std::to_string(line_) + ":" + std::to_string(column);
    }

    bool fail(const char *at, const std::string &message) {
        error_ = position_of(at) + ": " + message;
        return false;
    }

    bool expected(const char *at, const std::string &what, const std::string &found) {
        return fail(at, "expected " + what + ", found " + found);
    }

    void mark_position(Value &value) const {
        value.line_ = line_;
        value.column_ = static_cast<std::uint32_t>(p_ - line_start_) + 1;
    }

    bool next_is(char c) const { return p_ < end_ && *p_ == c; }

    void skip_whitespace() {
        while (p_ < end_) {
            const char c = *p_;
            if (c == ' ' || c == '\t' || c == '\r') {
                ++p_;
            } else if (c == '\n') {
                ++p_;
                ++line_;
                line_start_ = p_;
            } else {
                break;
            }
        }
    }

    // `depth` counts the containers around the value.
    bool parse_value(Value &out, std::size_t depth) {
        if (p_ >= end_) return expected(p_, "a JSON value", "end of document");
        mark_position(out);
        switch (*p_) {
        case '{': return parse_object(out, depth + 1);
        case '[': return parse_array(out, depth + 1);
        case '"': return parse_string_value(out);
        case 't': return parse_literal(out, "true", Type::Bool, true);
        case 'f': return parse_literal(out, "false", Type::Bool, false);
        case 'n': return parse_literal(out, "null", Type::Null, false);
        default: break;
        }
        if (*p_ == '-' || is_digit(*p_)) return parse_number(out);
        return expected(p_, "a JSON value", describe_token(p_, end_));
    }

    bool check_depth(std::size_t depth) {
        // Checked before descending, so a hostile "[[[[..." cannot exhaust the stack.
        if (depth <= kMaxDepth) return true;
        return fail(p_, "nesting deeper than " + std::to_string(kMaxDepth));
    }

    bool parse_literal(Value &out, std::string_view word, Type type, bool truth) {
        const char *start = p_;
        if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
            return expected(start, "'" + std::string(word) + "'", describe_token(start, end_));
        }
        p_ += word.size();
        out.type_ = type;
        out.u_.boolean = truth;
        return true;
    }

    bool parse_number(Value &out) {
        const char *start = p_;
        const NumberScan scan = scan_number(p_, end_);
        switch (scan.fault) {
        case NumberFault::None: break;
        case NumberFault::LeadingZero: return fail(scan.at, "numbers must not have leading zeros");
        default: return expected(scan.at, "a digit", describe_byte(scan.at, end_));
        }
        double value = 0.0;
        if (convert_number(start, scan.at, value) != NumberFault::None) return fail(start, "number out of range");
        p_ = scan.at;
        out.type_ = Type::Number;
        out.u_.number = value;
        return true;
    }

    bool parse_string_value(Value &out) {
        auto text = std::make_unique<std::string>();
        if (!parse_string(*text)) return false;
        out.u_.string = text.release();
        out.type_ = Type::String;
        return true;
    }

    // Items of all open arrays and objects share one stack, so each container is
    // allocated once at its exact size when it closes instead of growing by doubling.
    std::unique_ptr<std::vector<Value>> take_items(std::size_t base) {
        const auto first = items_.begin() + static_cast<std::ptrdiff_t>(base);
        auto items = std::make_unique<std::vector<Value>>(std::make_move_iterator(first),
                                                          std::make_move_iterator(items_.end()));
        items_.erase(first, items_.end());
        return items;
    }

    // The items of an array or the members of an object, from its opening
    // bracket to `close`: none, or `item()` separated by commas. `separators`
    // says what may follow an item, for the error message.
    template <class Item>
    bool parse_items(char close, const char *separators, Item item) {
        ++p_;  // the opening bracket
        skip_whitespace();
        if (next_is(close)) {
            ++p_;
            return true;
        }
        for (;;) {
            if (!item()) return false;
            skip_whitespace();
            if (next_is(close)) {
                ++p_;
                return true;
            }
            if (!next_is(',')) return expected(p_, separators, describe_token(p_, end_));
            ++p_;
            skip_whitespace();
        }
    }

    bool parse_array(Value &out, std::size_t depth) {
        if (!check_depth(depth)) return false;
        const std::size_t base = items_.size();
        const bool parsed = parse_items(']', "',' or ']'", [&] {
            Value item;
            if (!parse_value(item, depth)) return false;
            items_.push_back(std::move(item));
            return true;
        });
        if (!parsed) return false;
        out.u_.array = take_items(base).release();
        out.type_ = Type::Array;
        return true;
    }

    // `seen` is filled only once the object passes kIndexThreshold members.
    bool is_duplicate(const std::string &key, std::size_t base, std::unordered_set<std::string> &seen) {
        const std::size_t count = keys_.size() - base;
        if (count < kIndexThreshold) {
            return std::find(keys_.begin() + static_cast<std::ptrdiff_t>(base), keys_.end(), key) != keys_.end();
        }
        if (seen.empty()) seen.insert(keys_.begin() + static_cast<std::ptrdiff_t>(base), keys_.end());
        return !seen.insert(key).second;
    }

    bool parse_member(std::size_t key_base, std::size_t depth, std::unordered_set<std::string> &seen) {
        if (!next_is('"')) return expected(p_, "a string key", describe_token(p_, end_));
        const char *key_at = p_;
        std::string key;
        if (!parse_string(key)) return false;
        if (is_duplicate(key, key_base, seen)) return fail(key_at, "duplicate key " + quote_for_message(key));
        skip_whitespace();
        if (!next_is(':')) return expected(p_, "':'", describe_token(p_, end_));
        ++p_;
        skip_whitespace();
        Value value;
        if (!parse_value(value, depth)) return false;
        keys_.push_back(std::move(key));
        items_.push_back(std::move(value));
        return true;
    }

    bool parse_object(Value &out, std::size_t depth) {
        if (!check_depth(depth)) return false;
        const std::size_t item_base = items_.size();
        const std::size_t key_base = keys_.size();
        std::unordered_set<std::string> seen;
        if (!parse_items('}', "',' or '}'", [&] { return parse_member(key_base, depth, seen); })) return false;
        out.u_.object = take_object(item_base, key_base).release();
        out.type_ = Type::Object;
        return true;
    }

    std::unique_ptr<Value::Object> take_object(std::size_t item_base, std::size_t key_base) {
        auto object = std::make_unique<Value::Object>();
        const auto first_key = keys_.begin() + static_cast<std::ptrdiff_t>(key_base);
        object->keys.assign(std::make_move_iterator(first_key), std::make_move_iterator(keys_.end()));
        keys_.erase(first_key, keys_.end());
        object->values = std::move(*take_items(item_base));
        if (object->keys.size() > kIndexThreshold) {
            auto &order = object->by_key;
            order.resize(object->keys.size());
            std::iota(order.begin(), order.end(), 0u);
            const auto &keys = object->keys;
            std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
        }
        return object;
    }

    // Appends the string starting at the opening quote at p_, decoded.
    bool parse_string(std::string &s) {
        ++p_;  // '"'
        for (;;) {
            const char *run = p_;
            while (p_ < end_ && is_plain(*p_)) ++p_;
            s.append(run, static_cast<std::size_t>(p_ - run));
            if (p_ >= end_) return expected(p_, "'\"' to close the string", "end of document");
            const unsigned char c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                ++p_;
                return true;
            }
            if (c == '\\') {
                if (!parse_escape(s)) return false;
            } else if (c < 0x20) {
                return fail(p_, "unescaped control character " + hex_byte(c) + " in string");
            } else if (!copy_utf8_sequence(s)) {
                return false;
            }
        }
    }

    bool parse_escape(std::string &s) {
        const char *escape = p_;
        ++p_;  // '\\'
        char decoded = 0;
        switch (p_ < end_ ? *p_ : '\0') {
        case '"': decoded = '"'; break;
        case '\\': decoded = '\\'; break;
        case '/': decoded = '/'; break;
        case 'b': decoded = '\b'; break;
        case 'f': decoded = '\f'; break;
        case 'n': decoded = '\n'; break;
        case 'r': decoded = '\r'; break;
        case 't': decoded = '\t'; break;
        case 'u': return parse_unicode_escape(escape, s);
        default:
            return expected(p_, "an escape character (one of \" \\ / b f n r t u)", describe_byte(p_, end_));
        }
        s += decoded;
        ++p_;
        return true;
    }

    // Reads the 4 hex digits after "\u"; p_ is at the 'u'.
    bool read_hex4(std::uint32_t &code) {
        ++p_;  // 'u'
        code = 0;
        for (int i = 0; i < 4; ++i, ++p_) {
            const int digit = p_ < end_ ? hex_value(*p_) : -1;
            if (digit < 0) return expected(p_, "4 hex digits after \\u", describe_byte(p_, end_));
            code = code * 16 + static_cast<std::uint32_t>(digit);
        }
        return true;
    }

    bool parse_unicode_escape(const char *escape, std::string &s) {
        std::uint32_t code = 0;
        if (!read_hex4(code)) return false;
        if (is_low_surrogate(code)) return fail(escape, "unpaired low surrogate " + hex4(code));
        if (is_high_surrogate(code)) {
            const std::string what = "a low surrogate \\uDC00-\\uDFFF after " + hex4(code);
            const char *second = p_;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return expected(p_, what, describe_byte(p_, end_));
            ++p_;  // '\\'
            std::uint32_t low = 0;
            if (!read_hex4(low)) return false;
            if (!is_low_surrogate(low)) return expected(second, what, hex4(low));
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(s, code);
        return true;
    }

    // Copies one multi-byte UTF-8 sequence, rejecting what Unicode calls
    // ill-formed (Table 3-7): overlongs, encoded surrogates, > U+10FFFF, truncation.
    bool copy_utf8_sequence(std::string &s) {
        const unsigned char lead = static_cast<unsigned char>(*p_);
        int continuations = 0;
        unsigned char low = 0x80, high = 0xBF;  // allowed range of the first continuation byte
        if (lead >= 0xC2 && lead <= 0xDF) {
            continuations = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            continuations = 2;
            if (lead == 0xE0) low = 0xA0;
            if (lead == 0xED) high = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            continuations = 3;
            if (lead == 0xF0) low = 0x90;
            if (lead == 0xF4) high = 0x8F;
        } else {
            return expected(p_, "valid UTF-8", describe_byte(p_, end_));
        }
        const char *q = p_ + 1;
        for (int i = 0; i < continuations; ++i, ++q) {
            const unsigned char c = q < end_ ? static_cast<unsigned char>(*q) : 0;
            if (q >= end_ || c < low || c > high) return expected(q, "valid UTF-8", describe_byte(q, end_));
            low = 0x80;
            high = 0xBF;
        }
        s.append(p_, static_cast<std::size_t>(q - p_));
        p_ = q;
        return true;
    }

    const char *p_;
    const char *end_;
    const char *line_start_;
    std::uint32_t line_ = 1;
    std::vector<Value> items_;       // items/values of every open array and object, innermost last
    std::vector<std::string> keys_;  // keys of every open object, innermost last
    std::string error_;
};

}  // namespace detail

// ---------------------------------------------------------------------------
// Entry points

namespace {

// Building the message may itself run out of memory; nothing may escape parse().
void set_error(std::string &error, const detail::Parser &parser, const char *message) noexcept {
    try {
        error = parser.position_text() + ": " + message;
    } catch (...) {
        error.clear();
    }
}

}  // namespace

bool parse(std::string_view text, Value &out, std::string &error) {
    out = Value();
    error.clear();
    detail::Parser parser(text);
    try {
        if (text.size() > kMaxDocumentBytes) {
            error = "1:1: document is " + std::to_string(text.size()) + " bytes; the limit is " +
                    std::to_string(kMaxDocumentBytes);
            return false;
        }
        Value result;
        if (!parser.parse_document(result)) {
            error = parser.error();
            return false;
        }
        out = std::move(result);
        return true;
    } catch (const std::bad_alloc &) {
        parser.release_memory();
        set_error(error, parser, "out of memory");
    } catch (...) {
        parser.release_memory();
        set_error(error, parser, "internal error while parsing");
    }
    return false;
}

bool parse_number_text(std::string_view text, double &out) {
    const char *first = text.data();
    const char *last = first + text.size();
    const NumberScan scan = scan_number(first, last);
    if (scan.fault != NumberFault::None || scan.at != last) return false;
    return convert_number(first, last, out) == NumberFault::None;
}

}  // namespace pedal::json
