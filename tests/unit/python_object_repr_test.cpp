// repr_object on hand-built objects in a FakeTarget, for 3.10 and 3.12
// layouts: every supported type, the markers, and hostile objects (huge
// sizes, cycles, garbage type pointers, unterminated names, deep nesting).
#include "python/object_repr.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "python/object_repr_text.hpp"
#include "python/python_versions.hpp"
#include "target/fake_target.hpp"

namespace corostack::python {
namespace {

constexpr uint64_t kBase = 0x100000;

// A bump allocator building target memory, objects laid out through a
// PythonLayout.
class Heap {
 public:
  explicit Heap(const PythonLayout& l) : l_(l) {
    none_type = type("NoneType");
    bool_type = type("bool");
    int_type = type("int");
    float_type = type("float");
    str_type = type("str");
    bytes_type = type("bytes");
    tuple_type = type("tuple");
    list_type = type("list");
    dict_type = type("dict");
    set_type = type("set");
    frozenset_type = type("frozenset");
    none = alloc(16);
    set_type_of(none, none_type);
  }

  uint64_t alloc(size_t n) {
    size_t at = (buf_.size() + 15) & ~size_t{15};
    buf_.resize(at + n);
    return kBase + at;
  }
  template <typename T>
  void put(uint64_t addr, uint64_t off, T v) {
    std::memcpy(buf_.data() + (addr - kBase + off), &v, sizeof(T));
  }
  void put_bytes(uint64_t addr, uint64_t off, const void* p, size_t n) {
    std::memcpy(buf_.data() + (addr - kBase + off), p, n);
  }
  void set_type_of(uint64_t obj, uint64_t type) { put<uint64_t>(obj, l_.object_type.offset, type); }
  uint64_t cstring(const std::string& s) {
    uint64_t a = alloc(s.size() + 1);
    put_bytes(a, 0, s.c_str(), s.size() + 1);
    return a;
  }
  uint64_t type(const std::string& name, uint64_t flags = 0) {
    uint64_t t = alloc(400);
    put<uint64_t>(t, l_.type_name.offset, cstring(name));
    put<uint64_t>(t, l_.type_flags.offset, flags);
    return t;
  }
  uint64_t var_object(uint64_t type, size_t size, int64_t ob_size) {
    uint64_t o = alloc(size);
    set_type_of(o, type);
    put<int64_t>(o, l_.varobject_size.offset, ob_size);
    return o;
  }
  uint64_t integer(std::vector<uint32_t> digits, bool negative, uint64_t type = 0) {
    uint64_t o = alloc(static_cast<size_t>(l_.long_digits.offset) + 4 * digits.size() + 4);
    set_type_of(o, type ? type : int_type);
    if (l_.long_lv_tag.present()) {
      uint64_t sign = digits.empty() ? 1 : negative ? 2 : 0;
      put<uint64_t>(o, l_.long_lv_tag.offset, (digits.size() << 3) | sign);
    } else {
      auto n = static_cast<int64_t>(digits.size());
      put<int64_t>(o, l_.varobject_size.offset, negative ? -n : n);
    }
    for (size_t i = 0; i < digits.size(); ++i)
      put<uint32_t>(o, l_.long_digits.offset + 4 * i, digits[i]);
    return o;
  }
  uint64_t small_int(int64_t v) {
    std::vector<uint32_t> d;
    uint64_t m = v < 0 ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
    while (m) {
      d.push_back(m & 0x3fffffff);
      m >>= 30;
    }
    return integer(d, v < 0);
  }
  uint64_t boolean(bool v) {
    return integer(v ? std::vector<uint32_t>{1} : std::vector<uint32_t>{}, false, bool_type);
  }
  uint64_t floating(double v) {
    uint64_t o = alloc(24);
    set_type_of(o, float_type);
    put<double>(o, l_.float_fval.offset, v);
    return o;
  }
  uint32_t state(int kind, bool compact, bool ascii) {
    uint32_t s = (static_cast<uint32_t>(kind) << l_.unicode_state_kind.offset) |
                 (uint32_t{compact} << l_.unicode_state_compact.offset) |
                 (uint32_t{ascii} << l_.unicode_state_ascii.offset);
    if (l_.unicode_state_ready.present()) s |= 1u << l_.unicode_state_ready.offset;
    return s;
  }
  // A compact str; `length` overrides the stored length (hostile strings).
  uint64_t str(const std::vector<uint32_t>& cps, int kind, bool ascii, int64_t length = -1) {
    uint64_t data_off = static_cast<uint64_t>(ascii ? l_.unicode_ascii_data.offset
                                                    : l_.unicode_compact_data.offset);
    uint64_t o = alloc(data_off + cps.size() * kind + kind);
    set_type_of(o, str_type);
    put<int64_t>(o, l_.unicode_length.offset,
                 length >= 0 ? length : static_cast<int64_t>(cps.size()));
    put<uint32_t>(o, l_.unicode_state.offset, state(kind, true, ascii));
    for (size_t i = 0; i < cps.size(); ++i) put_bytes(o, data_off + i * kind, &cps[i], kind);
    return o;
  }
  uint64_t ascii(const std::string& s, int64_t length = -1) {
    return str(std::vector<uint32_t>(s.begin(), s.end()), 1, true, length);
  }
  uint64_t legacy_str(const std::vector<uint32_t>& cps, int kind) {
    uint64_t o = alloc(static_cast<size_t>(l_.unicode_compact_data.offset) + 8);
    uint64_t data = alloc(cps.size() * kind + kind);
    set_type_of(o, str_type);
    put<int64_t>(o, l_.unicode_length.offset, static_cast<int64_t>(cps.size()));
    put<uint32_t>(o, l_.unicode_state.offset, state(kind, false, false));
    put<uint64_t>(o, l_.unicode_compact_data.offset, data);
    for (size_t i = 0; i < cps.size(); ++i) put_bytes(data, i * kind, &cps[i], kind);
    return o;
  }
  uint64_t bytes(const std::string& s) {
    uint64_t o =
        var_object(bytes_type, l_.bytes_sval.offset + s.size() + 1, static_cast<int64_t>(s.size()));
    put_bytes(o, l_.bytes_sval.offset, s.data(), s.size());
    return o;
  }
  uint64_t tuple(const std::vector<uint64_t>& items, int64_t ob_size = -1) {
    uint64_t o = var_object(tuple_type, l_.tuple_item.offset + 8 * items.size() + 8,
                            ob_size >= 0 ? ob_size : static_cast<int64_t>(items.size()));
    for (size_t i = 0; i < items.size(); ++i)
      put<uint64_t>(o, l_.tuple_item.offset + 8 * i, items[i]);
    return o;
  }
  uint64_t list(const std::vector<uint64_t>& items, int64_t ob_size = -1) {
    uint64_t o =
        var_object(list_type, 40, ob_size >= 0 ? ob_size : static_cast<int64_t>(items.size()));
    uint64_t arr = alloc(8 * items.size() + 8);
    for (size_t i = 0; i < items.size(); ++i) put<uint64_t>(arr, 8 * i, items[i]);
    put<uint64_t>(o, l_.list_item.offset, arr);
    return o;
  }
  void set_list_item(uint64_t list, size_t i, uint64_t item) {
    uint64_t arr;
    std::memcpy(&arr, buf_.data() + (list - kBase + l_.list_item.offset), 8);
    put<uint64_t>(arr, 8 * i, item);
  }
  // A combined dict with general entries; null keys are deleted entries.
  uint64_t dict(const std::vector<std::pair<uint64_t, uint64_t>>& items, int64_t used = -1,
                uint64_t nentries = UINT64_MAX) {
    uint64_t n = 8;
    while (n * 2 / 3 < items.size()) n *= 2;
    uint64_t index_bytes = n;  // 1-byte indices
    uint64_t dk = alloc(static_cast<size_t>(l_.dictkeys_indices.offset + index_bytes + 24 * n));
    if (l_.dictkeys_log2_size.present()) {
      uint8_t log2 = 0;
      while ((1ull << log2) < n) ++log2;
      put<uint8_t>(dk, l_.dictkeys_log2_size.offset, log2);
      put<uint8_t>(dk, l_.dictkeys_log2_index_bytes.offset, log2);
      put<uint8_t>(dk, l_.dictkeys_kind.offset, 0);
    } else {
      put<int64_t>(dk, l_.dictkeys_size.offset, static_cast<int64_t>(n));
    }
    put<uint64_t>(dk, l_.dictkeys_nentries.offset,
                  nentries != UINT64_MAX ? nentries : items.size());
    uint64_t entries = l_.dictkeys_indices.offset + index_bytes;
    int64_t live = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      put<uint64_t>(dk, entries + 24 * i + l_.dictentry_key.offset, items[i].first);
      put<uint64_t>(dk, entries + 24 * i + l_.dictentry_value.offset,
                    items[i].first ? items[i].second : 0);
      live += items[i].first ? 1 : 0;
    }
    uint64_t o = alloc(48);
    set_type_of(o, dict_type);
    put<int64_t>(o, l_.dict_used.offset, used >= 0 ? used : live);
    put<uint64_t>(o, l_.dict_keys.offset, dk);
    return o;
  }
  // A set; keys placed at the given slots, hash -1 entries are dummies.
  uint64_t set(const std::vector<std::pair<size_t, uint64_t>>& slots, uint64_t mask, int64_t used,
               bool frozen = false, int64_t dummy_slot = -1, uint64_t table_slots = 0) {
    uint64_t table = alloc(16 * (table_slots ? table_slots : mask + 1));
    for (auto [slot, key] : slots) {
      put<uint64_t>(table, 16 * slot, key);
      put<int64_t>(table, 16 * slot + 8, 12345);
    }
    if (dummy_slot >= 0) {
      put<uint64_t>(table, 16 * static_cast<uint64_t>(dummy_slot), none);
      put<int64_t>(table, 16 * static_cast<uint64_t>(dummy_slot) + 8, -1);
    }
    uint64_t o = alloc(200);
    set_type_of(o, frozen ? frozenset_type : set_type);
    put<int64_t>(o, 24, used);
    put<uint64_t>(o, 32, mask);
    put<uint64_t>(o, 40, table);
    return o;
  }

  FakeTarget target() const {
    FakeTarget t;
    t.add_region(RemoteAddr(kBase), buf_);
    return t;
  }

  uint64_t none_type, bool_type, int_type, float_type, str_type, bytes_type, tuple_type, list_type,
      dict_type, set_type, frozenset_type, none;

 private:
  const PythonLayout& l_;
  std::vector<std::byte> buf_;
};

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof(b), "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

class ObjectReprTest : public testing::TestWithParam<int> {
 protected:
  ObjectReprTest() : l_(*layout_for(3, GetParam())), h_(l_) {}
  std::string repr(uint64_t obj, const ReprOptions& o = {}) {
    FakeTarget t = h_.target();
    return repr_object(t, l_, RemoteAddr(obj), o);
  }
  const PythonLayout& l_;
  Heap h_;
};

TEST_P(ObjectReprTest, Scalars) {
  EXPECT_EQ(repr(h_.none), "None");
  EXPECT_EQ(repr(h_.boolean(true)), "True");
  EXPECT_EQ(repr(h_.boolean(false)), "False");
  EXPECT_EQ(repr(h_.small_int(0)), "0");
  EXPECT_EQ(repr(h_.small_int(-1)), "-1");
  EXPECT_EQ(repr(h_.small_int(1 << 30)), "1073741824");
  EXPECT_EQ(repr(h_.small_int(-1234567890123456789)), "-1234567890123456789");
  // -2**100: digit 3 holds bit 100 - 90 = 10.
  EXPECT_EQ(repr(h_.integer({0, 0, 0, 1u << 10}, true)), "-1267650600228229401496703205376");
  // 10**50 in 30-bit digits.
  EXPECT_EQ(repr(h_.integer({0, 0x15900000, 0x534fdb, 0x19a1f4b1, 0x3b15f992, 0x111b0}, false)),
            "100000000000000000000000000000000000000000000000000");
  EXPECT_EQ(repr(h_.floating(1.5)), "1.5");
  EXPECT_EQ(repr(h_.floating(-0.0)), "-0.0");
  EXPECT_EQ(repr(h_.floating(1e16)), "1e+16");
  EXPECT_EQ(repr(h_.floating(std::numeric_limits<double>::infinity())), "inf");
  EXPECT_EQ(repr(h_.floating(std::nan(""))), "nan");
}

TEST_P(ObjectReprTest, Strings) {
  EXPECT_EQ(repr(h_.ascii("")), "''");
  EXPECT_EQ(repr(h_.ascii("it's")), "\"it's\"");
  EXPECT_EQ(repr(h_.ascii("both ' and \"")), "'both \\' and \"'");
  EXPECT_EQ(repr(h_.ascii("tab\t\n\x01\x7f\\")), "'tab\\t\\n\\x01\\x7f\\\\'");
  EXPECT_EQ(repr(h_.str({'h', 0xe9, 0xa0, 0x85}, 1, false)), "'h\xc3\xa9\\xa0\\x85'");
  EXPECT_EQ(repr(h_.str({0x100, 0x102, 0xd800}, 2, false)), "'\xc4\x80\xc4\x82\\ud800'");
  EXPECT_EQ(repr(h_.str({0x1f600, ' ', 'x', 0x10ffff}, 4, false)),
            "'\xf0\x9f\x98\x80 x\\U0010ffff'");
  EXPECT_EQ(repr(h_.legacy_str({'o', 'l', 0xe9}, 1)), "'ol\xc3\xa9'");
  EXPECT_EQ(repr(h_.legacy_str({0x4e2d}, 2)), "'\xe4\xb8\xad'");
  EXPECT_EQ(repr(h_.bytes(std::string("\0ab\xff", 4))), "b'\\x00ab\\xff'");
  EXPECT_EQ(repr(h_.bytes("q\"'")), "b'q\"\\''");
}

TEST_P(ObjectReprTest, Containers) {
  uint64_t one = h_.small_int(1), a = h_.ascii("a");
  EXPECT_EQ(repr(h_.tuple({})), "()");
  EXPECT_EQ(repr(h_.tuple({one})), "(1,)");
  EXPECT_EQ(repr(h_.tuple({one, a})), "(1, 'a')");
  EXPECT_EQ(repr(h_.list({one, h_.list({h_.small_int(2), h_.list({h_.small_int(3)})})})),
            "[1, [2, [3]]]");
  EXPECT_EQ(repr(h_.list({})), "[]");
  EXPECT_EQ(repr(h_.dict({})), "{}");
  EXPECT_EQ(repr(h_.dict({{a, one}, {0, 0}, {h_.small_int(2), h_.list({h_.small_int(3)})}})),
            "{'a': 1, 2: [3]}");
  EXPECT_EQ(repr(h_.set({}, 7, 0)), "set()");
  EXPECT_EQ(repr(h_.set({}, 7, 0, true)), "frozenset()");
  EXPECT_EQ(repr(h_.set({{1, one}, {5, h_.small_int(3)}}, 7, 2, false, 3)), "{1, 3}");
  EXPECT_EQ(repr(h_.set({{4, h_.small_int(4)}}, 7, 1, true)), "frozenset({4})");
}

TEST_P(ObjectReprTest, OtherTypesAndSubclasses) {
  uint64_t custom = h_.alloc(32);
  h_.set_type_of(custom, h_.type("Custom", 1u << 9));
  EXPECT_EQ(repr(custom), "<Custom at " + hex(custom) + ">");
  // A heap type called "int" is not the builtin int.
  uint64_t fake_int = h_.integer({1}, false, h_.type("int", 1u << 9));
  EXPECT_EQ(repr(fake_int), "<int at " + hex(fake_int) + ">");
  uint64_t odd = h_.alloc(32);
  h_.set_type_of(odd, h_.type("evil\x1b[31m name"));
  EXPECT_EQ(repr(odd), "<evil\\x1b[31m\\x20name at " + hex(odd) + ">");
}

TEST_P(ObjectReprTest, Unreadable) {
  EXPECT_EQ(repr(0x10), "<unreadable at 0x10>");
  uint64_t garbage = h_.alloc(32);
  h_.set_type_of(garbage, 0xdeadbeef00);
  EXPECT_EQ(repr(garbage), "<unreadable at " + hex(garbage) + ">");
  EXPECT_EQ(repr(h_.list({h_.none, 0, 0x42})), "[None, <NULL>, <unreadable at 0x42>]");
  // Type name pointer at the end of memory, no terminator.
  uint64_t t = h_.alloc(400);
  uint64_t obj = h_.alloc(32);
  h_.set_type_of(obj, t);
  FakeTarget ft = h_.target();
  // Not readable in the fake: a name pointer past the end of the region.
  h_.put<uint64_t>(t, l_.type_name.offset, 0xffffffffffffff00);
  EXPECT_EQ(repr(obj), "<unreadable at " + hex(obj) + ">");
}

TEST_P(ObjectReprTest, HostileSizesAreCapped) {
  std::vector<uint64_t> items;
  for (int i = 0; i < 25; ++i) items.push_back(h_.small_int(i));
  // ob_size 2^60 with 25 readable items: 20 shown.
  std::string l = repr(h_.list(items, int64_t{1} << 60));
  EXPECT_EQ(l, "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, ...]");
  EXPECT_EQ(repr(h_.tuple(items, int64_t{1} << 60)).substr(0, 4), "(0, ");
  uint64_t negative = h_.list(items);
  h_.put<int64_t>(negative, l_.varobject_size.offset, -5);
  EXPECT_EQ(repr(negative), "<list at " + hex(negative) + " (invalid)>");
  // Length 2^40 with 300 readable characters.
  std::string s = repr(h_.ascii(std::string(300, 'a'), int64_t{1} << 40));
  EXPECT_EQ(s, "'" + std::string(200, 'a') + "'…");
  // A real 1 MB string.
  EXPECT_EQ(repr(h_.ascii(std::string(1 << 20, 'b'))), "'" + std::string(200, 'b') + "'…");
  EXPECT_EQ(repr(h_.bytes(std::string(1000, 'c'))), "b'" + std::string(200, 'c') + "'…");
  // Unknown kind, negative length.
  uint64_t bad = h_.str({'x'}, 3, false);
  EXPECT_EQ(repr(bad), "<str at " + hex(bad) + " (invalid)>");
  uint64_t neg = h_.ascii("x", 0);
  h_.put<int64_t>(neg, l_.unicode_length.offset, -3);
  EXPECT_EQ(repr(neg), "<str at " + hex(neg) + " (invalid)>");
  // Int with 2^40 digits, int with a digit >= 2^30.
  uint64_t huge = h_.integer({1}, false);
  if (l_.long_lv_tag.present())
    h_.put<uint64_t>(huge, l_.long_lv_tag.offset, uint64_t{1} << 43);
  else
    h_.put<int64_t>(huge, l_.varobject_size.offset, int64_t{1} << 40);
  EXPECT_EQ(repr(huge), "<int at " + hex(huge) + " (too large)>");
  uint64_t bad_digit = h_.integer({0xffffffff}, false);
  EXPECT_EQ(repr(bad_digit), "<int at " + hex(bad_digit) + " (invalid)>");
  // A 700-digit int (~6300 decimal digits) is cut at max_string digits.
  std::vector<uint32_t> big(700, 0x3fffffff);
  std::string b = repr(h_.integer(big, true));
  EXPECT_EQ(b.size(), 1 + 200 + std::string("…").size());
  EXPECT_EQ(b.substr(b.size() - 3), "…");
  // Dict: ma_used 2^40, 30 entries: capped at 20. nentries beyond the table: invalid.
  std::vector<std::pair<uint64_t, uint64_t>> kv;
  for (int i = 0; i < 30; ++i) kv.push_back({items[i % 25], h_.none});
  std::string d = repr(h_.dict(kv, int64_t{1} << 40));
  EXPECT_EQ(d.substr(d.size() - 6), ", ...}");
  uint64_t d2 = h_.dict({{items[0], items[1]}}, 5, uint64_t{1} << 50);
  EXPECT_EQ(repr(d2), "<dict at " + hex(d2) + " (invalid)>");
  // ma_used larger than the live entries: all shown, then the marker.
  EXPECT_EQ(repr(h_.dict({{items[0], items[1]}, {0, 0}}, 5)), "{0: 1, ...}");
  // Set: mask 2^40-1 with a 4-slot table: bounded, ends with the marker.
  std::string st = repr(h_.set({{0, items[7]}}, (uint64_t{1} << 40) - 1, 1000, false, -1, 4));
  // (what follows the 4-slot table is other memory, read as entries until unreadable)
  EXPECT_EQ(st.substr(0, 4), "{7, ");
  EXPECT_EQ(st.substr(st.size() - 6), ", ...}");
  EXPECT_LT(st.size(), 2000u);
  uint64_t bad_mask = h_.set({}, 6, 1);
  EXPECT_EQ(repr(bad_mask), "<set at " + hex(bad_mask) + " (invalid)>");
}

TEST_P(ObjectReprTest, CyclesAndDepth) {
  uint64_t self = h_.list({0});
  h_.set_list_item(self, 0, self);
  EXPECT_EQ(repr(self), "[[...]]");  // as Python prints it
  uint64_t deep = h_.list({h_.small_int(7)});
  for (int i = 0; i < 100; ++i) deep = h_.list({deep});
  EXPECT_EQ(repr(deep), "[[[[...]]]]");
  ReprOptions o;
  o.max_depth = 1;
  EXPECT_EQ(repr(h_.tuple({h_.tuple({h_.none}), h_.tuple({})}), o), "((...), ())");
  EXPECT_EQ(repr(h_.dict({{h_.none, h_.dict({{h_.none, h_.none}})}}), o), "{None: {...}}");
  // Two lists pointing at each other.
  uint64_t x = h_.list({0}), y = h_.list({x});
  h_.set_list_item(x, 0, y);
  EXPECT_EQ(repr(x), "[[[...]]]");
}

TEST_P(ObjectReprTest, TotalOutputIsBounded) {
  // 20 x 20 x 20 strings of 200 chars would be 1.6 MB.
  uint64_t s = h_.ascii(std::string(500, 's'));
  uint64_t inner = h_.list(std::vector<uint64_t>(20, s));
  uint64_t mid = h_.list(std::vector<uint64_t>(20, inner));
  uint64_t top = h_.list(std::vector<uint64_t>(20, mid));
  std::string r = repr(top);
  EXPECT_LT(r.size(), ReprOptions{}.max_output + 4096);
  EXPECT_EQ(r.substr(r.size() - 6), ", ...]");
}

INSTANTIATE_TEST_SUITE_P(Versions, ObjectReprTest, testing::Values(6, 10, 11, 12, 13),
                         [](const testing::TestParamInfo<int>& i) {
                           return "py3_" + std::to_string(i.param);
                         });

TEST(PythonFloatRepr, MatchesPython) {
  EXPECT_EQ(python_float_repr(1.0), "1.0");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1.5e16), "1.5e+16");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1e-5), "1e-05");
  EXPECT_EQ(python_float_repr(123456.789), "123456.789");
  EXPECT_EQ(python_float_repr(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(python_float_repr(5e-324), "5e-324");
  EXPECT_EQ(python_float_repr(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(python_float_repr(-std::nan("")), "nan");
}

TEST(BigintToDecimal, Exact) {
  EXPECT_EQ(bigint_to_decimal({}), "0");
  EXPECT_EQ(bigint_to_decimal(std::vector<uint32_t>{0, 0}), "0");
  EXPECT_EQ(bigint_to_decimal(std::vector<uint32_t>{0, 1}), "1073741824");
  // 2**90 - 1
  EXPECT_EQ(bigint_to_decimal(std::vector<uint32_t>{0x3fffffff, 0x3fffffff, 0x3fffffff}),
            "1237940039285380274899124223");
}

}  // namespace
}  // namespace corostack::python
