// Specifications of the strict JSON reader (csrc/json/json.h).
#include <cmath>
#include <string>
#include <vector>

#include "check.h"
#include "json/json.h"

namespace {

using pedal::json::Type;
using pedal::json::Value;

// Parses text that must be valid; records a failure with the error otherwise.
Value parse_ok(const std::string &text) {
    Value value;
    std::string error;
    if (!pedal::json::parse(text, value, error)) {
        pedal::test::fail(__FILE__, __LINE__, "unexpected parse error: " + error + " for: " + text.substr(0, 80));
    }
    return value;
}

// Parses text that must be rejected; returns the error ("" if it was accepted).
std::string parse_error(const std::string &text) {
    Value value;
    std::string error;
    if (pedal::json::parse(text, value, error)) {
        pedal::test::fail(__FILE__, __LINE__, "accepted invalid JSON: " + text.substr(0, 80));
        return "";
    }
    if (error.empty() || error.find('\n') != std::string::npos) {
        pedal::test::fail(__FILE__, __LINE__, "error is not a single line: " + error);
    }
    return error;
}

// Copies the string out, since the parsed Value is a temporary.
std::string string_of(const std::string &text) { return parse_ok(text).string(); }

bool starts_with(const std::string &text, const std::string &prefix) { return text.compare(0, prefix.size(), prefix) == 0; }

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

PEDAL_TEST(json_parses_every_scalar_type) {
    CHECK(parse_ok("null").is_null());
    CHECK(parse_ok("true").boolean());
    CHECK(parse_ok("false").is_bool());
    CHECK(!parse_ok("false").boolean());
    CHECK_NEAR(parse_ok("42").number(), 42.0, 0.0);
    CHECK_EQ(string_of("\"hi\""), std::string("hi"));
    CHECK(parse_ok("[]").is_array());
    CHECK_EQ(parse_ok("[]").size(), std::size_t{0});
    CHECK(parse_ok("{}").is_object());
    CHECK_EQ(parse_ok("{}").size(), std::size_t{0});
}

PEDAL_TEST(json_parses_nested_objects_and_arrays_in_document_order) {
    const Value v = parse_ok(R"({"b": {"c": [1, [2, 3], {"d": null}]}, "a": true})");
    CHECK(v.is_object());
    CHECK_EQ(v.size(), std::size_t{2});
    CHECK_EQ(v.key(0), std::string("b"));
    CHECK_EQ(v.key(1), std::string("a"));
    CHECK(v.member(1).boolean());
    const Value *c = v.member(0).find("c");
    CHECK(c && c->is_array() && c->size() == 3);
    if (c && c->size() == 3) {
        CHECK_NEAR(c->array()[1].array()[1].number(), 3.0, 0.0);
        CHECK(c->array()[2].find("d") && c->array()[2].find("d")->is_null());
    }
}

PEDAL_TEST(json_find_key_and_member_agree_and_missing_keys_give_nullptr) {
    const Value v = parse_ok(R"({"x": 1, "y": "two"})");
    CHECK_NEAR(v.find("x")->number(), 1.0, 0.0);
    CHECK_EQ(v.find("y")->string(), std::string("two"));
    CHECK(v.find("z") == nullptr);
    CHECK(v.find("") == nullptr);
    CHECK(&v.member(1) == v.find("y"));
    CHECK(parse_ok("[1]").find("x") == nullptr);
    CHECK(parse_ok("3").find("x") == nullptr);
}

PEDAL_TEST(json_find_works_on_large_objects_in_any_key_order) {
    std::string text = "{";
    for (int i = 199; i >= 0; --i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + (i ? "," : "}");
    const Value v = parse_ok(text);
    CHECK_EQ(v.size(), std::size_t{200});
    CHECK_EQ(v.key(0), std::string("k199"));
    for (int i = 0; i < 200; ++i) {
        const Value *found = v.find("k" + std::to_string(i));
        CHECK(found && found->number() == i);
    }
    CHECK(v.find("k200") == nullptr);
    CHECK(v.find("a") == nullptr);
    CHECK(v.find("z") == nullptr);
}

PEDAL_TEST(json_wrong_type_accessors_return_empty_defaults) {
    const Value v = parse_ok("[1]");
    CHECK(!v.boolean());
    CHECK_EQ(v.number(), 0.0);
    CHECK(v.string().empty());
    CHECK_EQ(v.key(0), std::string(""));
    CHECK(v.member(0).is_null());
    CHECK(parse_ok("{}").array().empty());
    CHECK_EQ(parse_ok("\"abc\"").size(), std::size_t{0});
}

PEDAL_TEST(json_decodes_every_simple_escape) {
    const Value v = parse_ok(R"("\" \\ \/ \b \f \n \r \t")");
    CHECK_EQ(v.string(), std::string("\" \\ / \b \f \n \r \t"));
}

PEDAL_TEST(json_decodes_unicode_escapes_to_utf8) {
    CHECK_EQ(string_of(R"("\u0041\u00e9\u20AC")"), std::string("A\xC3\xA9\xE2\x82\xAC"));
    const Value nul = parse_ok(R"("a\u0000b")");
    CHECK_EQ(nul.string().size(), std::size_t{3});
    CHECK_EQ(nul.string()[1], '\0');
}

PEDAL_TEST(json_decodes_surrogate_pair_to_four_byte_utf8) {
    CHECK_EQ(string_of(R"("\uD83D\uDE00")"), std::string("\xF0\x9F\x98\x80"));
    CHECK_EQ(string_of(R"("\udbff\udfff")"), std::string("\xF4\x8F\xBF\xBF"));
}

PEDAL_TEST(json_accepts_valid_multibyte_utf8_verbatim) {
    const std::string text = "\"\xC3\xA9 \xE2\x82\xAC \xED\x9F\xBF \xEE\x80\x80 \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF\"";
    CHECK_EQ(string_of(text), text.substr(1, text.size() - 2));
}

PEDAL_TEST(json_parses_numbers_with_fractions_and_exponents) {
    CHECK_NEAR(parse_ok("-0.819").number(), -0.819, 0.0);
    CHECK_NEAR(parse_ok("1e3").number(), 1000.0, 0.0);
    CHECK_NEAR(parse_ok("1E+3").number(), 1000.0, 0.0);
    CHECK_NEAR(parse_ok("2.5e-3").number(), 0.0025, 1e-18);
    CHECK_NEAR(parse_ok("0.1").number(), 0.1, 0.0);
    CHECK_NEAR(parse_ok("1.7976931348623157e308").number(), 1.7976931348623157e308, 0.0);
    CHECK_NEAR(parse_ok("123456789012345678901234567890").number(), 1.2345678901234568e29, 1e14);
    CHECK_NEAR(parse_ok("[0,-0.0,0e5]").array()[2].number(), 0.0, 0.0);
}

PEDAL_TEST(json_keeps_negative_zero) {
    const Value v = parse_ok("-0");
    CHECK(v.number() == 0.0);
    CHECK(std::signbit(v.number()));
}

PEDAL_TEST(json_rounds_underflowing_numbers_to_zero) {
    CHECK_EQ(parse_ok("1e-400").number(), 0.0);
    CHECK(std::signbit(parse_ok("-1e-400").number()));
    CHECK_EQ(parse_ok("0.000001e-99999999999999999999").number(), 0.0);
    CHECK(parse_ok("4.9e-324").number() > 0.0);
}

PEDAL_TEST(json_rejects_number_out_of_range_with_position) {
    CHECK_EQ(parse_error("[1,\n  1e999]"), std::string("2:3: number out of range"));
    CHECK_EQ(parse_error("-1e999"), std::string("1:1: number out of range"));
    CHECK_EQ(parse_error("1.7976931348623159e308"), std::string("1:1: number out of range"));
    CHECK_CONTAINS(parse_error("1e99999999999999999999999"), "number out of range");
}

PEDAL_TEST(json_rejects_leading_zeros) {
    CHECK_EQ(parse_error("01"), std::string("1:1: numbers must not have leading zeros"));
    CHECK_EQ(parse_error("[-007]"), std::string("1:3: numbers must not have leading zeros"));
}

PEDAL_TEST(json_rejects_malformed_numbers_at_the_missing_digit) {
    CHECK_EQ(parse_error("-"), std::string("1:2: expected a digit, found end of document"));
    CHECK_EQ(parse_error("[-a]"), std::string("1:3: expected a digit, found 'a'"));
    CHECK_EQ(parse_error("1."), std::string("1:3: expected a digit, found end of document"));
    CHECK_EQ(parse_error("1.e5"), std::string("1:3: expected a digit, found 'e'"));
    CHECK_EQ(parse_error("1e"), std::string("1:3: expected a digit, found end of document"));
    CHECK_EQ(parse_error("1e+]"), std::string("1:4: expected a digit, found ']'"));
    CHECK_EQ(parse_error(".5"), std::string("1:1: expected a JSON value, found '.'"));
    CHECK_EQ(parse_error("+1"), std::string("1:1: expected a JSON value, found '+'"));
    CHECK_EQ(parse_error("0x10"), std::string("1:2: expected end of document, found 'x10'"));
}

PEDAL_TEST(json_rejects_nan_and_infinity_literals) {
    CHECK_EQ(parse_error("NaN"), std::string("1:1: expected a JSON value, found 'NaN'"));
    CHECK_EQ(parse_error("[Infinity]"), std::string("1:2: expected a JSON value, found 'Infinity'"));
    CHECK_EQ(parse_error("-Infinity"), std::string("1:2: expected a digit, found 'I'"));
    CHECK_EQ(parse_error("nan"), std::string("1:1: expected 'null', found 'nan'"));
}

PEDAL_TEST(json_rejects_misspelled_and_truncated_literals) {
    CHECK_EQ(parse_error("tru"), std::string("1:1: expected 'true', found 'tru'"));
    CHECK_EQ(parse_error("[fals]"), std::string("1:2: expected 'false', found 'fals'"));
    CHECK_EQ(parse_error("True"), std::string("1:1: expected a JSON value, found 'True'"));
    CHECK_EQ(parse_error("nullnull"), std::string("1:5: expected end of document, found 'null'"));
}

PEDAL_TEST(json_rejects_comments) {
    CHECK_EQ(parse_error("// hi\n1"), std::string("1:1: expected a JSON value, found '/'"));
    CHECK_EQ(parse_error("[1 /* x */]"), std::string("1:4: expected ',' or ']', found '/'"));
}

PEDAL_TEST(json_rejects_trailing_commas) {
    CHECK_EQ(parse_error("[1,2,]"), std::string("1:6: expected a JSON value, found ']'"));
    CHECK_EQ(parse_error("{\"a\":1,}"), std::string("1:8: expected a string key, found '}'"));
    CHECK_EQ(parse_error("[,]"), std::string("1:2: expected a JSON value, found ','"));
}

PEDAL_TEST(json_rejects_single_quotes_and_unquoted_keys) {
    CHECK_EQ(parse_error("'a'"), std::string("1:1: expected a JSON value, found \"'\""));
    CHECK_EQ(parse_error("{'a':1}"), std::string("1:2: expected a string key, found \"'\""));
    CHECK_EQ(parse_error("{a:1}"), std::string("1:2: expected a string key, found 'a'"));
    CHECK_EQ(parse_error("{1:1}"), std::string("1:2: expected a string key, found '1'"));
}

PEDAL_TEST(json_rejects_missing_colon_and_separators) {
    CHECK_EQ(parse_error("{\"a\" 1}"), std::string("1:6: expected ':', found '1'"));
    CHECK_EQ(parse_error("{\"a\":1 \"b\":2}"), std::string("1:8: expected ',' or '}', found '\"'"));
    CHECK_EQ(parse_error("[1 2]"), std::string("1:4: expected ',' or ']', found '2'"));
    CHECK_EQ(parse_error("{\"a\":}"), std::string("1:6: expected a JSON value, found '}'"));
}

PEDAL_TEST(json_rejects_unterminated_containers_and_strings_at_end) {
    CHECK_EQ(parse_error("[1,2"), std::string("1:5: expected ',' or ']', found end of document"));
    CHECK_EQ(parse_error("{\"a\":1"), std::string("1:7: expected ',' or '}', found end of document"));
    CHECK_EQ(parse_error("{\"a\""), std::string("1:5: expected ':', found end of document"));
    CHECK_EQ(parse_error("\"abc"), std::string("1:5: expected '\"' to close the string, found end of document"));
    CHECK_EQ(parse_error("["), std::string("1:2: expected a JSON value, found end of document"));
}

PEDAL_TEST(json_rejects_control_characters_in_strings) {
    CHECK_EQ(parse_error("\"a\nb\""), std::string("1:3: unescaped control character byte 0x0a in string"));
    CHECK_EQ(parse_error("\"\t\""), std::string("1:2: unescaped control character byte 0x09 in string"));
    CHECK_CONTAINS(parse_error(std::string("\"\0\"", 3)), "1:2: unescaped control character byte 0x00");
    CHECK_CONTAINS(parse_error("\"\x1f\""), "byte 0x1f");
    CHECK_EQ(string_of("\"\x7f\""), std::string("\x7f"));
}

PEDAL_TEST(json_rejects_invalid_escapes) {
    CHECK_EQ(parse_error(R"("\x41")"),
             std::string("1:3: expected an escape character (one of \" \\ / b f n r t u), found 'x'"));
    CHECK_CONTAINS(parse_error(R"("\')"), "1:3: expected an escape character");
    CHECK_CONTAINS(parse_error("\"\\"), "found end of document");
    CHECK_EQ(parse_error(R"("\u12G4")"), std::string("1:6: expected 4 hex digits after \\u, found 'G'"));
    CHECK_EQ(parse_error(R"("\u12")"), std::string("1:6: expected 4 hex digits after \\u, found '\"'"));
    CHECK_CONTAINS(parse_error("\"\\u"), "found end of document");
}

PEDAL_TEST(json_rejects_lone_surrogates) {
    CHECK_EQ(parse_error(R"("\uDE00")"), std::string("1:2: unpaired low surrogate \\uDE00"));
    CHECK_EQ(parse_error(R"("\uD83Dx")"),
             std::string("1:8: expected a low surrogate \\uDC00-\\uDFFF after \\uD83D, found 'x'"));
    CHECK_EQ(parse_error(R"("a\uD83D\u0041")"),
             std::string("1:9: expected a low surrogate \\uDC00-\\uDFFF after \\uD83D, found \\u0041"));
    CHECK_CONTAINS(parse_error(R"("\uD83D\uD83D")"), "expected a low surrogate");
    CHECK_CONTAINS(parse_error(R"("\uD83D")"), "found '\"'");
    CHECK_CONTAINS(parse_error(R"("\uD83D\n")"), "found '\\'");
}

PEDAL_TEST(json_rejects_invalid_utf8_at_the_offending_byte) {
    CHECK_EQ(parse_error("\"\xC0\xAF\""), std::string("1:2: expected valid UTF-8, found byte 0xc0"));  // overlong '/'
    CHECK_EQ(parse_error("\"\xE0\x80\xAF\""), std::string("1:3: expected valid UTF-8, found byte 0x80"));  // overlong
    CHECK_EQ(parse_error("\"\xF0\x80\x80\xAF\""), std::string("1:3: expected valid UTF-8, found byte 0x80"));
    CHECK_EQ(parse_error("\"\xED\xA0\x80\""), std::string("1:3: expected valid UTF-8, found byte 0xa0"));  // surrogate
    CHECK_EQ(parse_error("\"\xF4\x90\x80\x80\""), std::string("1:3: expected valid UTF-8, found byte 0x90"));  // > U+10FFFF
    CHECK_EQ(parse_error("\"\xF5\x80\x80\x80\""), std::string("1:2: expected valid UTF-8, found byte 0xf5"));
    CHECK_EQ(parse_error("\"\xFF\""), std::string("1:2: expected valid UTF-8, found byte 0xff"));
    CHECK_EQ(parse_error("\"\x80\""), std::string("1:2: expected valid UTF-8, found byte 0x80"));  // stray continuation
    CHECK_EQ(parse_error("\"\xE2\x82\""), std::string("1:4: expected valid UTF-8, found '\"'"));  // truncated
    CHECK_EQ(parse_error("\"\xE2\x82"), std::string("1:4: expected valid UTF-8, found end of document"));
    CHECK_CONTAINS(parse_error("{\"\xC3\":1}"), "1:4: expected valid UTF-8");  // in a key too
}

PEDAL_TEST(json_rejects_trailing_garbage_with_position) {
    CHECK_EQ(parse_error("{} x"), std::string("1:4: expected end of document, found 'x'"));
    CHECK_EQ(parse_error("[1]\n\n  ]"), std::string("3:3: expected end of document, found ']'"));
    CHECK_EQ(parse_error("1 2"), std::string("1:3: expected end of document, found '2'"));
    CHECK_EQ(parse_error(std::string("0\0", 2)), std::string("1:2: expected end of document, found byte 0x00"));
}

PEDAL_TEST(json_rejects_empty_and_whitespace_only_documents) {
    CHECK_EQ(parse_error(""), std::string("1:1: expected a JSON value, found end of document"));
    CHECK_EQ(parse_error(" \t\r\n "), std::string("2:2: expected a JSON value, found end of document"));
    Value v;
    std::string error;
    CHECK(!pedal::json::parse(std::string_view(), v, error));
    CHECK_EQ(error, std::string("1:1: expected a JSON value, found end of document"));
}

PEDAL_TEST(json_whitespace_is_only_space_tab_cr_and_lf) {
    CHECK_NEAR(parse_ok(" \t\r\n[ 1 ,\r\n\t2 ] \n").array()[1].number(), 2.0, 0.0);
    CHECK_EQ(parse_error("\f1"), std::string("1:1: expected a JSON value, found byte 0x0c"));
    CHECK_EQ(parse_error("\v1"), std::string("1:1: expected a JSON value, found byte 0x0b"));
    CHECK_EQ(parse_error("\xC2\xA0" "1"), std::string("1:1: expected a JSON value, found byte 0xc2"));
}

PEDAL_TEST(json_rejects_duplicate_keys_with_position) {
    CHECK_EQ(parse_error("{\"x\":1,\n \"x\":2}"), std::string("2:2: duplicate key \"x\""));
    CHECK_EQ(parse_error("{\"a\":1,\"\\u0061\":2}"), std::string("1:8: duplicate key \"a\""));
    CHECK_CONTAINS(parse_error("{\"q\\\"\\n\":1,\"q\\\"\\n\":2}"), "duplicate key \"q\\\"\\x0a\"");
    // Nested objects have their own key space.
    CHECK(parse_ok("{\"x\":{\"x\":1},\"y\":{\"x\":2}}").is_object());
}

PEDAL_TEST(json_rejects_duplicate_keys_in_large_objects) {
    std::string text = "{";
    for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":0,";
    CHECK(parse_ok(text + "\"k100\":0}").is_object());
    CHECK_EQ(parse_error(text + "\"k3\":0}"), std::string("1:" + std::to_string(text.size() + 1) + ": duplicate key \"k3\""));
    CHECK_CONTAINS(parse_error(text + "\"k99\":0}"), "duplicate key \"k99\"");
}

PEDAL_TEST(json_accepts_nesting_exactly_64_deep) {
    const Value v = parse_ok(nested_arrays(pedal::json::kMaxDepth));
    CHECK(v.is_array());
    std::string objects;
    for (std::size_t i = 0; i < pedal::json::kMaxDepth; ++i) objects += "{\"a\":";
    objects += "1" + std::string(pedal::json::kMaxDepth, '}');
    CHECK(parse_ok(objects).is_object());
}

PEDAL_TEST(json_rejects_nesting_65_deep_naming_the_limit) {
    CHECK_EQ(parse_error(nested_arrays(pedal::json::kMaxDepth + 1)), std::string("1:65: nesting deeper than 64"));
    std::string mixed;
    for (int i = 0; i < 33; ++i) mixed += "[{\"a\":";
    CHECK_CONTAINS(parse_error(mixed), "nesting deeper than 64");
}

PEDAL_TEST(json_rejects_hostile_deep_nesting_without_exhausting_the_stack) {
    CHECK_EQ(parse_error(std::string(1000000, '[')), std::string("1:65: nesting deeper than 64"));
    CHECK_CONTAINS(parse_error(std::string(1000000, '{')), "1:2: expected a string key");
    std::string keyed;
    for (int i = 0; i < 100000; ++i) keyed += "{\"\":";
    CHECK_CONTAINS(parse_error(keyed), "nesting deeper than 64");
}

PEDAL_TEST(json_rejects_documents_over_32_mib_up_front) {
    std::string big(33u * 1024 * 1024, ' ');
    big[0] = '[';
    big[big.size() - 1] = ']';
    CHECK_EQ(parse_error(big), std::string("1:1: document is 34603008 bytes; the limit is 33554432"));
    CHECK(starts_with(parse_error(std::string(pedal::json::kMaxDocumentBytes + 1, ' ')), "1:1: document is 33554433"));
}

PEDAL_TEST(json_accepts_a_document_of_exactly_the_size_limit) {
    std::string text(pedal::json::kMaxDocumentBytes, ' ');
    text[0] = '0';
    CHECK_EQ(parse_ok(text).number(), 0.0);
}

PEDAL_TEST(json_parses_big_arrays_of_numbers) {
    std::string text = "[";
    for (int i = 0; i < 200000; ++i) text += (i ? "," : "") + std::to_string(i) + ".5e-1";
    text += "]";
    const Value v = parse_ok(text);
    CHECK_EQ(v.size(), std::size_t{200000});
    CHECK_NEAR(v.array()[0].number(), 0.05, 1e-15);
    CHECK_NEAR(v.array()[199999].number(), 19999.95, 1e-9);
}

PEDAL_TEST(json_skips_utf8_bom_only_at_the_start) {
    const Value v = parse_ok("\xEF\xBB\xBF{\"a\":1}");
    CHECK(v.find("a") != nullptr);
    CHECK_EQ(v.column(), 4u);  // columns count bytes, the BOM included
    CHECK_EQ(parse_error(" \xEF\xBB\xBF" "1"), std::string("1:2: expected a JSON value, found byte 0xef"));
    CHECK_EQ(parse_error("\xEF\xBB\xBF\xEF\xBB\xBF" "1"), std::string("1:4: expected a JSON value, found byte 0xef"));
    CHECK_EQ(parse_error("\xEF\xBB\xBF"), std::string("1:4: expected a JSON value, found end of document"));
    CHECK_EQ(parse_error("\xEF\xBB"), std::string("1:1: expected a JSON value, found byte 0xef"));
}

PEDAL_TEST(json_records_line_and_column_of_every_value) {
    const Value v = parse_ok("{\n  \"a\": [1,\n\t  true],\r\n  \"b\": \"x\"\n}");
    CHECK_EQ(v.line(), 1u);
    CHECK_EQ(v.column(), 1u);
    const Value &a = *v.find("a");
    CHECK_EQ(a.line(), 2u);
    CHECK_EQ(a.column(), 8u);
    CHECK_EQ(a.array()[0].column(), 9u);
    CHECK_EQ(a.array()[1].line(), 3u);
    CHECK_EQ(a.array()[1].column(), 4u);  // the tab counts as one byte
    CHECK_EQ(v.find("b")->line(), 4u);
    CHECK_EQ(v.find("b")->column(), 8u);
    CHECK_EQ(Value().line(), 0u);
}

PEDAL_TEST(json_counts_only_lf_as_a_line_break) {
    CHECK_EQ(parse_error("1\r\r x"), std::string("1:5: expected end of document, found 'x'"));
    CHECK_EQ(parse_error("[\r\n\r\n  x]"), std::string("3:3: expected a JSON value, found 'x'"));
}

PEDAL_TEST(json_failed_parse_resets_the_output) {
    Value v = parse_ok("[1,2,3]");
    std::string error = "stale";
    CHECK(!pedal::json::parse("[1,", v, error));
    CHECK(v.is_null());
    CHECK(pedal::json::parse("7", v, error));
    CHECK(error.empty());
    CHECK_EQ(v.number(), 7.0);
}

PEDAL_TEST(json_values_copy_deeply_and_move_cheaply) {
    Value original = parse_ok(R"({"w": [1, "s", {"k": [true]}], "n": null})");
    Value copy = original;
    CHECK_EQ(copy.size(), std::size_t{2});
    CHECK(&copy.find("w")->array() != &original.find("w")->array());
    CHECK_EQ(copy.find("w")->array()[1].string(), std::string("s"));
    CHECK(copy.find("w")->array()[2].find("k")->array()[0].boolean());
    CHECK_EQ(copy.line(), original.line());

    Value moved = std::move(copy);
    CHECK(copy.is_null());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
    CHECK_EQ(moved.key(1), std::string("n"));

    Value assigned = parse_ok("\"old\"");
    assigned = original;
    CHECK_EQ(assigned.find("w")->size(), std::size_t{3});
    const Value &same = assigned;
    assigned = same;  // self-assignment keeps the value
    CHECK_EQ(assigned.size(), std::size_t{2});
    assigned = parse_ok("5");
    CHECK_EQ(assigned.number(), 5.0);
}

PEDAL_TEST(json_value_stays_small) {
    CHECK(sizeof(Value) <= 56);
}

PEDAL_TEST(json_type_names_match_the_spec) {
    CHECK_EQ(std::string(Value::type_name(Type::Null)), std::string("null"));
    CHECK_EQ(std::string(Value::type_name(Type::Bool)), std::string("boolean"));
    CHECK_EQ(std::string(Value::type_name(Type::Number)), std::string("number"));
    CHECK_EQ(std::string(Value::type_name(Type::String)), std::string("string"));
    CHECK_EQ(std::string(Value::type_name(Type::Array)), std::string("array"));
    CHECK_EQ(std::string(Value::type_name(Type::Object)), std::string("object"));
    CHECK(parse_ok("{}").type() == Type::Object);
}

PEDAL_TEST(json_reads_only_inside_the_view) {
    Value v;
    std::string error;
    CHECK(pedal::json::parse(std::string_view("[1]x", 3), v, error));
    CHECK(!pedal::json::parse(std::string_view("\"ab\"", 3), v, error));
    CHECK_EQ(error, std::string("1:4: expected '\"' to close the string, found end of document"));
}

PEDAL_TEST(json_error_messages_describe_odd_bytes_in_hex) {
    CHECK_EQ(parse_error("[\x01]"), std::string("1:2: expected a JSON value, found byte 0x01"));
    CHECK_EQ(parse_error("[1\xFF]"), std::string("1:3: expected ',' or ']', found byte 0xff"));
    CHECK_EQ(parse_error("[\"a\"\x7f]"), std::string("1:5: expected ',' or ']', found byte 0x7f"));
    CHECK_EQ(parse_error("abcdefghijklmnopqrstuvwxyz"),
             std::string("1:1: expected a JSON value, found 'abcdefghijklmnop...'"));
}

PEDAL_TEST(parse_number_text_accepts_json_numbers) {
    double out = 99.0;
    CHECK(pedal::json::parse_number_text("1e-3", out));
    CHECK_NEAR(out, 0.001, 1e-18);
    CHECK(pedal::json::parse_number_text("-0.5", out));
    CHECK_EQ(out, -0.5);
    CHECK(pedal::json::parse_number_text("-0.819", out));
    CHECK_EQ(out, -0.819);
    CHECK(pedal::json::parse_number_text("0", out));
    CHECK_EQ(out, 0.0);
    CHECK(pedal::json::parse_number_text("-0", out));
    CHECK(std::signbit(out));
    CHECK(pedal::json::parse_number_text("12E+2", out));
    CHECK_EQ(out, 1200.0);
    CHECK(pedal::json::parse_number_text("1e-999", out));
    CHECK_EQ(out, 0.0);
}

PEDAL_TEST(parse_number_text_rejects_everything_else) {
    const char *rejected[] = {"",   " 1", "1 ",  "+1",  "nan", "inf", "-inf", "NaN", "Infinity", "0x10",
                              "1.", ".5", "1e",  "1e+", "-",   "01",  "-01",  "1e999", "-1e999", "1,5",
                              "1_000", "--1", "1e5.5", "\"1\"", "1\n"};
    for (const char *text : rejected) {
        double out = 42.0;
        if (pedal::json::parse_number_text(text, out)) pedal::test::fail(__FILE__, __LINE__, std::string("accepted ") + text);
        CHECK_EQ(out, 42.0);
    }
    double out = 42.0;
    CHECK(!pedal::json::parse_number_text(std::string_view(), out));
    // The text ends where the view ends, not at a NUL.
    CHECK(pedal::json::parse_number_text(std::string_view("1.5e3", 3), out));
    CHECK_EQ(out, 1.5);
}
