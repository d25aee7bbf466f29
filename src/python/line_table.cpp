// Line table decoders, written from the format descriptions in CPython's
// Objects/lnotab_notes.txt (2.7, 3.6–3.10) and Objects/locations.md (3.11+).
// See line_table.hpp for the contracts.
#include "python/line_table.hpp"

#include <climits>

namespace corostack::python {
namespace {

uint8_t u8(std::span<const std::byte> s, size_t i) {
  return static_cast<uint8_t>(s[i]);
}
int8_t s8(std::span<const std::byte> s, size_t i) {
  return static_cast<int8_t>(static_cast<uint8_t>(s[i]));
}

bool add_line(int64_t& line, int64_t delta) {
  return !__builtin_add_overflow(line, delta, &line);
}

std::optional<int> to_int(int64_t line) {
  if (line < INT_MIN || line > INT_MAX) return std::nullopt;
  return static_cast<int>(line);
}

// A 3.11+ location-table varint: 6-bit chunks, least significant first, bit 6
// set on every chunk but the last. At most 5 chunks (30 bits). A byte with
// bit 7 set starts an entry and can never be part of a varint.
class LocationReader {
 public:
  explicit LocationReader(std::span<const std::byte> t) : t_(t) {}

  bool at_end() const { return pos_ >= t_.size(); }
  std::optional<uint8_t> byte() {
    if (pos_ >= t_.size()) return std::nullopt;
    return u8(t_, pos_++);
  }
  bool skip(size_t n) {
    if (n > t_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  std::optional<uint32_t> varint() {
    uint32_t value = 0;
    for (unsigned chunk = 0; chunk < 5; ++chunk) {
      auto b = byte();
      if (!b || (*b & 0x80)) return std::nullopt;
      value |= static_cast<uint32_t>(*b & 0x3f) << (6 * chunk);
      if (!(*b & 0x40)) return value;
    }
    return std::nullopt;  // longer than 5 bytes
  }
  std::optional<int64_t> svarint() {
    auto v = varint();
    if (!v) return std::nullopt;
    int64_t magnitude = static_cast<int64_t>(*v >> 1);
    return (*v & 1) ? -magnitude : magnitude;
  }

 private:
  std::span<const std::byte> t_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<int> lnotab_line(std::span<const std::byte> lnotab, int firstlineno,
                               uint32_t byte_offset) {
  if (lnotab.size() % 2 != 0) return std::nullopt;
  // Entry i moves the address by addr_incr, and its line_incr applies from
  // that new address on. The sum of addresses is at most 255 * size / 2 and
  // cannot overflow a uint64_t.
  uint64_t addr = 0;
  int64_t line = firstlineno;
  for (size_t i = 0; i + 1 < lnotab.size(); i += 2) {
    addr += u8(lnotab, i);
    if (addr > byte_offset) break;
    if (!add_line(line, s8(lnotab, i + 1))) return std::nullopt;
  }
  return to_int(line);
}

std::optional<int> lnotab27_line(std::span<const std::byte> lnotab, int firstlineno,
                                 uint32_t byte_offset) {
  if (lnotab.size() % 2 != 0) return std::nullopt;
  // Entry i moves the address by addr_incr, and its line_incr applies from
  // that new address on. The sum of addresses is at most 255 * size / 2 and
  // cannot overflow a uint64_t.
  uint64_t addr = 0;
  int64_t line = firstlineno;
  for (size_t i = 0; i + 1 < lnotab.size(); i += 2) {
    addr += u8(lnotab, i);
    if (addr > byte_offset) break;
    if (!add_line(line, u8(lnotab, i + 1))) return std::nullopt;
  }
  return to_int(line);
}

std::optional<int> linetable_310_line(std::span<const std::byte> table, int firstlineno,
                                      uint32_t byte_offset) {
  if (table.size() % 2 != 0) return std::nullopt;
  // Entry i covers [addr, addr + start_delta); its line delta applies even
  // when the range is empty (large deltas are split over empty entries).
  uint64_t addr = 0;
  int64_t line = firstlineno;
  for (size_t i = 0; i + 1 < table.size(); i += 2) {
    const uint64_t end = addr + u8(table, i);
    const int8_t delta = s8(table, i + 1);
    const bool no_line = delta == -128;
    if (!no_line && !add_line(line, delta)) return std::nullopt;
    if (byte_offset < end) return no_line ? std::nullopt : to_int(line);
    addr = end;
  }
  return std::nullopt;
}

std::optional<SourcePosition> location_table_position(std::span<const std::byte> table,
                                                      int firstlineno, uint32_t code_unit_index) {
  LocationReader r(table);
  uint64_t unit = 0;
  int64_t line = firstlineno;
  while (!r.at_end()) {
    const uint8_t first = *r.byte();
    if (!(first & 0x80)) return std::nullopt;
    const unsigned code = (first >> 3) & 0x0f;
    const uint64_t length = (first & 0x07) + 1u;
    bool has_line = true;
    int64_t end_line_delta = 0;
    std::optional<int64_t> col, end_col;
    if (code <= 9) {
      // Short form (Objects/locations.md): column code*8 + bits 4-6 of the
      // next byte, end column that plus its low 4 bits.
      auto second = r.byte();
      if (!second) return std::nullopt;
      col = static_cast<int64_t>(code) * 8 + ((*second >> 4) & 7);
      end_col = *col + (*second & 15);
    } else if (code <= 12) {
      auto c0 = r.byte();
      auto c1 = c0 ? r.byte() : std::nullopt;
      if (!c1 || !add_line(line, code - 10)) return std::nullopt;
      col = *c0;
      end_col = *c1;
    } else if (code == 13) {
      auto delta = r.svarint();
      if (!delta || !add_line(line, *delta)) return std::nullopt;
    } else if (code == 14) {
      auto delta = r.svarint();
      if (!delta || !add_line(line, *delta)) return std::nullopt;
      auto end_delta = r.varint();
      auto c0 = end_delta ? r.varint() : std::nullopt;
      auto c1 = c0 ? r.varint() : std::nullopt;
      if (!c1) return std::nullopt;
      end_line_delta = static_cast<int64_t>(*end_delta);
      if (*c0 > 0) col = static_cast<int64_t>(*c0) - 1;  // stored + 1; 0: none
      if (*c1 > 0) end_col = static_cast<int64_t>(*c1) - 1;
    } else {
      has_line = false;
    }
    if (code_unit_index < unit + length) {
      if (!has_line) return std::nullopt;
      auto l = to_int(line);
      int64_t end = line + end_line_delta;
      if (!l || end > INT32_MAX) return std::nullopt;
      SourcePosition p;
      p.line = *l;
      p.end_line = static_cast<int>(end);
      if (col && end_col && *col <= INT32_MAX && *end_col <= INT32_MAX) {
        p.column = static_cast<int>(*col);
        p.end_column = static_cast<int>(*end_col);
      }
      return p;
    }
    unit += length;
  }
  return std::nullopt;
}

std::optional<int> location_table_line(std::span<const std::byte> table, int firstlineno,
                                       uint32_t code_unit_index) {
  auto p = location_table_position(table, firstlineno, code_unit_index);
  return p ? std::optional<int>(p->line) : std::nullopt;
}

std::optional<LineTableFormat> line_table_format(int major, int minor) {
  if (major == 2 && minor == 7) return LineTableFormat::kLnotab27;
  // The PEP 657 location table is unchanged in 3.14 and 3.15 (Objects/locations.md).
  if (major != 3 || minor < 6) return std::nullopt;
  if (minor <= 9) return LineTableFormat::kLnotab;
  if (minor == 10) return LineTableFormat::kLinetable310;
  return LineTableFormat::kLocationTable;
}

std::optional<int> line_for(int major, int minor, std::span<const std::byte> table, int firstlineno,
                            uint32_t code_unit_index) {
  auto format = line_table_format(major, minor);
  if (!format) return std::nullopt;
  switch (*format) {
    case LineTableFormat::kLnotab27:  // 2.7: the position is a byte offset (f_lasti)
      return lnotab27_line(table, firstlineno, code_unit_index);
    case LineTableFormat::kLnotab:
    case LineTableFormat::kLinetable310: {
      if (code_unit_index > UINT32_MAX / 2) return std::nullopt;
      const uint32_t byte_offset = code_unit_index * 2;
      return *format == LineTableFormat::kLnotab
                 ? lnotab_line(table, firstlineno, byte_offset)
                 : linetable_310_line(table, firstlineno, byte_offset);
    }
    case LineTableFormat::kLocationTable:
      return location_table_line(table, firstlineno, code_unit_index);
  }
  return std::nullopt;
}

}  // namespace corostack::python
