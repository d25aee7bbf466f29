// The native-variables layer (src/variables/) over hostile input. The first
// byte picks one:
//  0: evaluate_location and evaluate_value over a Dwarf_Op array decoded
//     from the input (atoms, operands and per-operation lengths, hence the
//     offsets branches resolve through), with registers, CFA, frame base,
//     bias, memory, entry values and base types from the input too. Blocks
//     (DW_OP_implicit_value, DW_OP_entry_value) point into a buffer the
//     fuzzer owns, their length bounded by it, as libdw's would; never at
//     an address from the input.
//  1: ValuePrinter over bytes and target memory from the input, with real
//     DWARF types: those of the g_fuzzvars_* globals below, read from this
//     binary's own debug information (fuzz targets are built with -g). A
//     build without -g, or stripped, has none: the mode then does nothing.
//  2: quote_chars over raw bytes.
// Checked: evaluation results are well formed and bounded and agree between
// the two entry points; printed values are bounded (max_output plus a fixed
// margin for the messages that replace a value) and hold printable ASCII
// only: every byte read from the target is escaped.
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <iterator>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

#include "fuzz_entry.hpp"
#include "variables/dwarf_expression.hpp"
#include "variables/value_printer.hpp"

// The printer's types: they exist in DWARF because these globals do. For
// clang, CMakeLists.txt adds -fstandalone-debug: its limited debug info may
// describe a class by a declaration only, which prints as <incomplete type>.
namespace fuzzvars {

enum Color { kRed, kGreen = 5, kBlue = -3 };
enum class Big : uint64_t { kOne = 1, kAll = ~uint64_t{0} };

struct Inner {
  short small;
  char tag[6];
  Color color;
};

union Mixed {
  int i;
  float f;
  char c[4];
};

struct Showcase {
  int number;
  unsigned flags : 3;
  int delta : 5;
  bool on : 1;
  long wide : 40;
  Inner inner;
  Inner inners[2];
  int grid[2][3];
  char text[12];
  const char* name;
  Color color;
  Big big;
  double ratio;
  long double precise;
  wchar_t wc;
  char16_t c16;
  char32_t c32;
  bool flag;
  Mixed mixed;
  Inner* next;
  void (*callback)(int);
  std::string str;
  std::vector<int> ints;
  std::optional<int> maybe;
  std::shared_ptr<int> shared;
  std::unique_ptr<int> unique;
  std::string_view view;
};

}  // namespace fuzzvars

fuzzvars::Showcase g_fuzzvars_showcase;
std::string g_fuzzvars_string;
std::vector<int> g_fuzzvars_vector;
std::optional<int> g_fuzzvars_optional;
std::shared_ptr<int> g_fuzzvars_shared;
std::weak_ptr<int> g_fuzzvars_weak;
std::unique_ptr<int> g_fuzzvars_unique;
std::string_view g_fuzzvars_view;
int g_fuzzvars_int = 7;
int& g_fuzzvars_ref = g_fuzzvars_int;
const char* g_fuzzvars_cstr;
fuzzvars::Inner g_fuzzvars_inner;
fuzzvars::Inner* g_fuzzvars_inner_ptr;
fuzzvars::Showcase& g_fuzzvars_showcase_ref = g_fuzzvars_showcase;
std::vector<std::string> g_fuzzvars_strings;
std::optional<std::string> g_fuzzvars_optional_string;
std::vector<bool> g_fuzzvars_bits;
char g_fuzzvars_chars[3][5];
fuzzvars::Mixed g_fuzzvars_mixed;
std::unique_ptr<int[]> g_fuzzvars_unique_array;
std::list<int> g_fuzzvars_list;
std::map<int, std::string> g_fuzzvars_map;
std::set<int> g_fuzzvars_set;
std::unordered_map<int, int> g_fuzzvars_unordered;
std::deque<int> g_fuzzvars_deque;
std::variant<int, std::string> g_fuzzvars_variant;
std::tuple<int, std::string> g_fuzzvars_tuple;
std::atomic<int> g_fuzzvars_atomic;

using namespace corostack;
using namespace corostack::variables;

namespace {

// The globals above, in the order the input's type index names them.
constexpr const char* kTypeOf[] = {
    "g_fuzzvars_showcase",  "g_fuzzvars_string",
    "g_fuzzvars_vector",    "g_fuzzvars_optional",
    "g_fuzzvars_shared",    "g_fuzzvars_weak",
    "g_fuzzvars_unique",    "g_fuzzvars_view",
    "g_fuzzvars_int",       "g_fuzzvars_ref",
    "g_fuzzvars_cstr",      "g_fuzzvars_inner",
    "g_fuzzvars_inner_ptr", "g_fuzzvars_showcase_ref",
    "g_fuzzvars_strings",   "g_fuzzvars_optional_string",
    "g_fuzzvars_bits",      "g_fuzzvars_chars",
    "g_fuzzvars_mixed",     "g_fuzzvars_unique_array",
    "g_fuzzvars_list",      "g_fuzzvars_map",
    "g_fuzzvars_set",       "g_fuzzvars_unordered",
    "g_fuzzvars_deque",     "g_fuzzvars_variant",
    "g_fuzzvars_tuple",     "g_fuzzvars_atomic",
};
constexpr size_t kTypes = std::size(kTypeOf);

constexpr uint64_t kPoolBase = 0x10000;

// Target memory: the pool at kPoolBase (sparse), the pool repeated over the
// whole address space (every pointer can be followed), or nothing at all.
class PoolMemory final : public MemoryReader {
 public:
  enum Mode { kSparse, kEverywhere, kNothing };
  PoolMemory(const uint8_t* pool, size_t n, Mode mode) : pool_(pool), n_(n), mode_(mode) {}

  ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override {
    ++reads_;
    ReadResult r;
    for (size_t i = 0; i < out.size(); ++i) {
      uint64_t a = addr.value() + i;
      size_t at = 0;
      if (n_ == 0 || mode_ == kNothing) return r;
      if (mode_ == kSparse) {
        if (a < kPoolBase || a - kPoolBase >= n_) return r;
        at = static_cast<size_t>(a - kPoolBase);
      } else {
        at = static_cast<size_t>(a % n_);
      }
      out[i] = std::byte{pool_[at]};
      ++r.bytes;
    }
    return r;
  }
  size_t reads() const { return reads_; }

 private:
  const uint8_t* pool_;
  size_t n_;
  Mode mode_;
  mutable size_t reads_ = 0;
};

// ---- 0: the expression evaluator ----

class FuzzFrame final : public FrameContext {
 public:
  explicit FuzzFrame(const MemoryReader& memory) : memory_(memory) {}

  std::optional<uint64_t> reg(unsigned regno) const override {
    if (regno < regs.size() && known[regno]) return regs[regno];
    return std::nullopt;
  }
  std::optional<uint64_t> cfa() const override { return cfa_value; }
  std::optional<uint64_t> frame_base() const override { return base; }
  uint64_t bias() const override { return load_bias; }
  const MemoryReader& memory() const override { return memory_; }
  std::optional<BaseType> base_type(uint64_t die_offset) const override {
    if (die_offset >= 0x100) return std::nullopt;
    return BaseType{die_offset % 17, (die_offset & 0x80) != 0};
  }
  std::optional<uint64_t> entry_value(std::span<const Dwarf_Op> inner) const override {
    // The evaluator hands over a single register, whatever the block said.
    FUZZ_CHECK(inner.size() == 1);
    FUZZ_CHECK(inner[0].atom == DW_OP_regx);
    FUZZ_CHECK(inner[0].number < 128);
    if (!entry) return std::nullopt;
    return *entry ^ inner[0].number;
  }

  std::vector<uint64_t> regs = std::vector<uint64_t>(128);
  std::vector<bool> known = std::vector<bool>(128);
  std::optional<uint64_t> cfa_value, base, entry;
  uint64_t load_bias = 0;

 private:
  const MemoryReader& memory_;
};

// An operand: one byte, one byte sign-extended (libdw's constNs and SLEB128
// operands), two bytes, or eight.
uint64_t operand(fuzz::Input& in, unsigned form) {
  switch (form & 3) {
    case 0:
      return in.u8();
    case 1:
      return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(in.u8())));
    case 2:
      return in.u64(2);
    default:
      return in.u64();
  }
}

bool is_block(uint8_t atom) {
  return atom == DW_OP_implicit_value || atom == DW_OP_entry_value || atom == DW_OP_GNU_entry_value;
}

void fuzz_expression(fuzz::Input& in) {
  // The blocks' bytes, owned here for the whole evaluation.
  size_t blob_len = 0;
  const uint8_t* blob_at = in.take(64, blob_len);
  std::vector<uint8_t> blob(blob_at, blob_at + blob_len);

  size_t count = in.u8() % 48;
  std::vector<Dwarf_Op> ops;
  std::vector<bool> aimed;  // a branch whose number is an operation index
  uint64_t offset = 0;
  for (size_t i = 0; i < count && in.left() > 0; ++i) {
    Dwarf_Op op{};
    op.atom = in.u8();
    uint8_t form = in.u8();
    op.number = operand(in, form);
    op.number2 = operand(in, form >> 2);
    op.offset = offset;
    // Operations take 1 to 4 bytes (more for blocks): offsets only grow.
    offset += 1 + ((form >> 4) & 3);
    if (is_block(op.atom)) {
      if ((form & 0x40) && !blob.empty()) {
        size_t start = static_cast<size_t>(op.number2 % blob.size());
        op.number %= blob.size() - start + 1;
        op.number2 = reinterpret_cast<uintptr_t>(blob.data() + start);
        offset += op.number;
      } else {
        op.number2 = 0;  // no data: a length without bytes must be refused
      }
    }
    aimed.push_back((form & 0x80) && (op.atom == DW_OP_skip || op.atom == DW_OP_bra));
    ops.push_back(op);
  }
  // Aimed branches go to an operation boundary (or the end): the loops and
  // forward jumps a compiler would emit, not only displacements into nowhere.
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!aimed[i]) continue;
    size_t to = static_cast<size_t>(ops[i].number % (ops.size() + 1));
    uint64_t target = to == ops.size() ? offset : ops[to].offset;
    ops[i].number = target - (ops[i].offset + 3);
  }

  uint8_t flags = in.u8();
  size_t nregs = in.u8() % 24;
  std::vector<std::pair<unsigned, uint64_t>> regs;
  for (size_t i = 0; i < nregs; ++i) {
    unsigned regno = in.u8();
    regs.emplace_back(regno, (flags & 0x40) ? kPoolBase + in.u64(2) : in.u64());
  }
  std::optional<uint64_t> cfa, base, entry;
  if (flags & 1) cfa = in.u64();
  if (flags & 2) base = (flags & 0x40) ? kPoolBase + in.u64(2) : in.u64();
  uint64_t bias = (flags & 4) ? in.u64() : 0;
  if (flags & 8) entry = in.u64();
  EvalLimits limits;
  if (flags & 16) {
    limits.max_stack = in.u8() % 80;
    limits.max_steps = in.u64(2);
    limits.max_pieces = in.u8() % 80;
    limits.max_implicit = in.u64(2) % 5000;
  }
  auto mode = static_cast<PoolMemory::Mode>(((flags >> 5) & 1) ? PoolMemory::kEverywhere
                                                               : PoolMemory::kSparse);
  size_t n = 0;
  const uint8_t* pool = in.rest(n);
  PoolMemory memory(pool, n, mode);
  FuzzFrame frame(memory);
  for (auto [regno, value] : regs) {
    if (regno >= 128) continue;  // an unrecovered register
    frame.regs[regno] = value;
    frame.known[regno] = true;
  }
  frame.cfa_value = cfa;
  frame.base = base;
  frame.load_bias = bias;
  frame.entry = entry;

  std::span<const Dwarf_Op> expr(ops);
  Location loc = evaluate_location(expr, frame, limits);
  size_t reads_after_location = memory.reads();
  std::optional<uint64_t> value = evaluate_value(expr, frame, limits);

  // Each operation reads memory at most once.
  FUZZ_CHECK(reads_after_location <= limits.max_steps);
  FUZZ_CHECK(memory.reads() <= 2 * limits.max_steps);
  if (!loc.error.empty()) FUZZ_CHECK(loc.pieces.empty());
  if (loc.error.empty()) FUZZ_CHECK(!loc.pieces.empty());
  FUZZ_CHECK(loc.pieces.size() <= std::max<size_t>(limits.max_pieces, 1));
  if (loc.from_entry_value) FUZZ_CHECK(entry.has_value());
  for (const Piece& p : loc.pieces) {
    FUZZ_CHECK(p.size <= (1u << 20));
    FUZZ_CHECK(p.bit_size <= 64 && p.bit_offset <= 64);
    if (p.kind == PieceKind::kRegister) FUZZ_CHECK(p.regno < 128);
    if (p.kind == PieceKind::kImplicit) FUZZ_CHECK(p.bytes.size() <= limits.max_implicit);
    if (p.kind != PieceKind::kImplicit) FUZZ_CHECK(p.bytes.empty());
  }
  // One whole-object piece: evaluate_value ran the same machine to the same end.
  if (loc.ok() && loc.pieces.size() == 1 && loc.pieces[0].size == 0) {
    const Piece& p = loc.pieces[0];
    switch (p.kind) {
      case PieceKind::kMemory:
        FUZZ_CHECK(value == p.address);
        break;
      case PieceKind::kValue:
        FUZZ_CHECK(value == p.value);
        break;
      case PieceKind::kRegister:
        FUZZ_CHECK(value == frame.reg(p.regno));
        break;
      default:
        FUZZ_CHECK(!value);
        break;
    }
  }
  if (ops.empty()) FUZZ_CHECK(!value);
}

// ---- 1: the value printer ----

struct OwnTypes {
  Dwarf* dwarf = nullptr;
  std::vector<std::optional<Dwarf_Die>> types = std::vector<std::optional<Dwarf_Die>>(kTypes);
};

std::string_view attr_string(Dwarf_Die* die, unsigned at) {
  Dwarf_Attribute a;
  const char* s = dwarf_attr_integrate(die, at, &a) ? dwarf_formstring(&a) : nullptr;
  return s ? s : "";
}

void find_globals(Dwarf_Die* scope, int depth, OwnTypes& own) {
  if (depth > 4) return;
  Dwarf_Die child;
  if (dwarf_child(scope, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_namespace) {
      find_globals(&child, depth + 1, own);
      continue;
    }
    if (tag != DW_TAG_variable) continue;
    std::string_view name = attr_string(&child, DW_AT_name);
    for (size_t i = 0; i < kTypes; ++i) {
      if (name != kTypeOf[i] || own.types[i]) continue;
      Dwarf_Attribute a;
      Dwarf_Die type;
      if (dwarf_attr_integrate(&child, DW_AT_type, &a) && dwarf_formref_die(&a, &type))
        own.types[i] = type;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

// This binary's DWARF, opened once and kept for the process.
const OwnTypes& own_types() {
  static const OwnTypes own = [] {
    OwnTypes t;
    int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return t;
    t.dwarf = dwarf_begin(fd, DWARF_C_READ);  // fd stays open: libdw reads through it
    if (!t.dwarf) return t;
    Dwarf_CU* cu = nullptr;
    Dwarf_Die cudie;
    uint8_t unit_type = 0;
    while (dwarf_get_units(t.dwarf, cu, &cu, nullptr, &unit_type, &cudie, nullptr) == 0) {
      if (attr_string(&cudie, DW_AT_name).find("fuzz_variables") == std::string_view::npos)
        continue;
      find_globals(&cudie, 0, t);
    }
    return t;
  }();
  return own;
}

void check_printed(const std::string& s, size_t max_output) {
  // The messages that stand for a value ("<error: Cannot access memory at
  // address 0x…>") are not cut; nothing else may pass max_output + "...".
  FUZZ_CHECK(s.size() <= max_output + 64);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    FUZZ_CHECK(c >= 0x20 && c < 0x7f);
  }
}

void fuzz_printer(fuzz::Input& in) {
  const OwnTypes& own = own_types();
  const auto& type = own.types[in.u8() % kTypes];
  uint8_t flags = in.u8();
  PrintLimits limits;
  if (flags & 1) {
    limits.max_depth = in.u8() % 12;
    limits.max_elements = in.u64(2) % 512;
    limits.max_output = in.u64(2) % 16384;
    limits.repeat_threshold = in.u8() % 24;
    limits.max_value_bytes = in.u64(3) % (1 << 18);
  }
  auto mode = static_cast<PoolMemory::Mode>(((flags >> 1) & 3) % 3);
  uint64_t at = (flags & 8) ? kPoolBase + in.u64(2) : in.u64();
  size_t len = 0;
  const uint8_t* bytes = in.take(4096, len);
  size_t n = 0;
  const uint8_t* pool = in.rest(n);
  if (!type) return;  // no DWARF for it in this build
  PoolMemory memory(pool, n, mode);
  // Symbols are the binary's, not the target memory's: plain names here.
  auto symbols = [](uint64_t addr) -> std::optional<std::string> {
    if ((addr & 0xff) != 0x40) return std::nullopt;
    return "fuzz_symbol+" + std::to_string(addr & 0xfff);
  };
  ValuePrinter printer(memory, symbols, limits);
  check_printed(printer.print(*type, std::span<const uint8_t>(bytes, len)), limits.max_output);
  check_printed(printer.print_at(*type, at), limits.max_output);
  std::string name = printer.type_name(*type);
  FUZZ_CHECK(!name.empty());
}

// ---- 2: quoting ----

void fuzz_quote(fuzz::Input& in) {
  size_t threshold = in.u8() % 16;
  bool truncated = in.u8() & 1;
  size_t n = 0;
  const uint8_t* p = in.rest(n);
  std::string s = quote_chars(std::span<const uint8_t>(p, n), threshold, truncated);
  // At worst every byte is its own `'\ooo' <repeats N times>` group.
  FUZZ_CHECK(s.size() <= 48 * n + 8);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    FUZZ_CHECK(c >= 0x20 && c < 0x7f);
  }
}

}  // namespace

FUZZ_ENTRY(fuzz_variables) {
  fuzz::Input in(data, size);
  switch (in.u8() % 3) {
    case 0:
      fuzz_expression(in);
      break;
    case 1:
      fuzz_printer(in);
      break;
    default:
      fuzz_quote(in);
      break;
  }
  return 0;
}
