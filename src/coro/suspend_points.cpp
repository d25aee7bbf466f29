#include "coro/suspend_points.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <string_view>

#include "base/checked.hpp"
#include "coro/dwarf_types.hpp"

namespace corostack::coro {
namespace {

constexpr unsigned int kAtLlvmCoroSuspendIdx = 0x3e0d;
constexpr int kMaxSuspendBlockDepth = 16;
// Resume functions are small; a bogus st_size must not make us read a whole section.
constexpr uint64_t kMaxCodeBytes = 1 << 20;

// Initial suspend index: clang counts from 0, GCC from 2 in steps of 2
// (GCC's destroy path ORs in bit 0).
uint32_t initial_index(CoroCompiler c) {
  return c == CoroCompiler::kGcc ? 2 : 0;
}
uint32_t index_step(CoroCompiler c) {
  return c == CoroCompiler::kGcc ? 2 : 1;
}

std::optional<uint32_t> label_index(Dwarf_Die* label) {
  Dwarf_Attribute attr;
  Dwarf_Word v = 0;
  if (dwarf_attr(label, kAtLlvmCoroSuspendIdx, &attr) && dwarf_formudata(&attr, &v) == 0) {
    return static_cast<uint32_t>(v);
  }
  std::string_view name = die_name(label);
  constexpr std::string_view kPrefix = "__coro_resume_";
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  uint32_t idx = 0;
  auto digits = name.substr(kPrefix.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), idx);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return idx;
}

void collect_labels(Dwarf_Die* parent, Dwarf_Addr bias, int depth,
                    std::map<uint32_t, SuspendPoint>& out) {
  if (depth > kMaxSuspendBlockDepth) return;
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_lexical_block) {
      collect_labels(&child, bias, depth + 1, out);
      continue;
    }
    if (tag != DW_TAG_label) continue;
    auto idx = label_index(&child);
    int line = 0;
    const char* file = decl_file(&child);
    // clang 22 -O2 leaves some labels without a line or index: useless.
    if (!idx || dwarf_decl_line(&child, &line) != 0 || line <= 0) continue;
    SuspendPoint p;
    p.index = *idx;
    p.file = file ? file : "";
    p.line = line;
    Dwarf_Addr low = 0;
    if (dwarf_lowpc(&child, &low) == 0) p.pc = low + bias;
    out.emplace(*idx, std::move(p));  // the first clone (resume) wins
  } while (dwarf_siblingof(&child, &child) == 0);
}

// The code bytes of [addr, addr+size) from the module's ELF image.
std::span<const uint8_t> code_bytes(Dwfl_Module* module, uint64_t addr, uint64_t size) {
  if (size == 0 || size > kMaxCodeBytes) return {};
  Dwarf_Addr rel = addr, bias = 0;
  Elf_Scn* scn = dwfl_module_address_section(module, &rel, &bias);
  if (!scn) return {};
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (!data || !data->d_buf || !range_within(rel, size, data->d_size)) return {};
  return {static_cast<const uint8_t*>(data->d_buf) + rel, size};
}

struct LineRow {
  Dwarf_Addr addr;  // module-relative
  int line;
  const char* file;
};

// Line rows of the unit inside [low, high), in address order.
std::vector<LineRow> rows_in(Dwarf_Die* cu, Dwarf_Addr low, Dwarf_Addr high) {
  std::vector<LineRow> rows;
  Dwarf_Lines* lines = nullptr;
  size_t n = 0;
  if (dwarf_getsrclines(cu, &lines, &n) != 0) return rows;
  for (size_t i = 0; i < n; ++i) {
    Dwarf_Line* l = dwarf_onesrcline(lines, i);
    Dwarf_Addr a = 0;
    int line = 0;
    bool end = false;
    if (!l || dwarf_lineaddr(l, &a) != 0 || a < low || a >= high) continue;
    if (dwarf_lineendsequence(l, &end) == 0 && end) continue;
    dwarf_lineno(l, &line);
    rows.push_back(LineRow{a, line, dwarf_linesrc(l, nullptr, nullptr)});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const LineRow& a, const LineRow& b) { return a.addr < b.addr; });
  return rows;
}

bool same_file(const char* a, const char* b) {
  return a && b && std::string_view(a) == std::string_view(b);
}

// Heuristic scan; returns false when it found nothing trustworthy.
bool scan_index_stores(ModuleDwarf& dwarf, const CoroDies& dies, CoroutineInfo& info) {
  if (!info.index || !info.resume || !dies.cu) return false;
  uint32_t size = info.index->byte_size;
  if (size != 1 && size != 2) return false;
  std::span<const uint8_t> code = code_bytes(dwarf.module(), info.resume, info.resume_size);
  if (code.empty()) return false;
  std::vector<IndexStore> stores = find_index_stores(code, info.index->offset, size);

  Dwarf_Die cu = *dies.cu;
  Dwarf_Addr low = info.resume - dies.bias;
  std::vector<LineRow> rows = rows_in(&cu, low, low + info.resume_size);
  if (rows.empty()) return false;
  // The closing brace: GCC attributes some index stores to it (the
  // suspend's cleanup is emitted there); the real line is the last row
  // before the store that is not the closing brace.
  int closing = 0;
  for (const LineRow& r : rows) {
    if (same_file(r.file, rows.front().file) && r.line > closing) closing = r.line;
  }

  std::map<uint32_t, SuspendPoint> points;
  uint32_t first = initial_index(info.compiler), step = index_step(info.compiler);
  for (const IndexStore& s : stores) {
    if (s.value < first || (s.value - first) % step != 0 || points.count(s.value)) continue;
    Dwarf_Addr pc = low + s.offset;
    // The row in effect at pc: the last one at or before it.
    auto it = std::upper_bound(rows.begin(), rows.end(), pc,
                               [](Dwarf_Addr a, const LineRow& r) { return a < r.addr; });
    if (it == rows.begin()) continue;
    --it;
    if (info.compiler == CoroCompiler::kGcc) {
      while (it != rows.begin() && (it->line == closing || it->line == 0)) --it;
    }
    if (it->line <= 0) continue;
    points.emplace(s.value,
                   SuspendPoint{s.value, it->file ? it->file : "", it->line, pc + dies.bias});
  }
  // Trust the scan only when it found a gap-free run of indices after the
  // initial one: at -O2 the surviving immediates are a random subset.
  if (points.empty()) return false;
  uint32_t expect = first + step;
  for (auto& [idx, p] : points) {
    if (idx == first) continue;
    if (idx != expect) return false;
    expect += step;
  }
  if (expect == first + step) return false;  // only the initial store
  // No max_index from the scan: the final suspend's store is not always an
  // immediate (clang 14, generators), and a too-small bound would make the
  // frame scan reject finished frames.
  for (auto& [idx, p] : points) info.suspend_points.push_back(std::move(p));
  return true;
}

void add_initial_point(CoroutineInfo& info) {
  uint32_t first = initial_index(info.compiler);
  auto it = std::find_if(info.suspend_points.begin(), info.suspend_points.end(),
                         [&](const SuspendPoint& p) { return p.index == first; });
  if (it == info.suspend_points.end()) {
    info.suspend_points.insert(info.suspend_points.begin(),
                               SuspendPoint{first, info.decl_file, info.decl_line, 0});
  } else if (info.decl_line > 0) {
    // The initial suspend belongs to the function itself, whatever
    // instruction the store was attributed to.
    it->file = info.decl_file;
    it->line = info.decl_line;
  }
}

}  // namespace

std::vector<IndexStore> find_index_stores(std::span<const uint8_t> code, uint64_t index_offset,
                                          uint32_t index_size) {
  std::vector<IndexStore> out;
  if (index_size != 1 && index_size != 2) return out;
  const uint8_t opcode = index_size == 1 ? 0xC6 : 0xC7;
  for (size_t i = 0; i < code.size(); ++i) {
    size_t p = i;
    if (index_size == 2) {
      if (code[p] != 0x66) continue;
      ++p;
    }
    if (p < code.size() && (code[p] & 0xF0) == 0x40) {
      if (code[p] & 0x08) continue;  // REX.W would make it a 64-bit store
      ++p;
    }
    if (p + 1 >= code.size() || code[p] != opcode) continue;
    uint8_t modrm = code[p + 1];
    uint8_t mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    if (reg != 0 || (mod != 1 && mod != 2)) continue;
    p += 2;
    if (rm == 4) ++p;  // SIB byte
    size_t disp_len = mod == 1 ? 1 : 4;
    if (p + disp_len + index_size > code.size()) continue;
    int64_t disp = 0;
    if (mod == 1) {
      disp = static_cast<int8_t>(code[p]);
    } else {
      disp = static_cast<int32_t>(static_cast<uint32_t>(code[p]) | code[p + 1] << 8 |
                                  code[p + 2] << 16 | static_cast<uint32_t>(code[p + 3]) << 24);
    }
    p += disp_len;
    if (disp < 0 || static_cast<uint64_t>(disp) != index_offset) continue;
    uint32_t value = code[p];
    if (index_size == 2) value |= static_cast<uint32_t>(code[p + 1]) << 8;
    out.push_back(IndexStore{i, value});
    i = p + index_size - 1;  // continue after this instruction
  }
  return out;
}

void resolve_suspend_points(ModuleDwarf& dwarf, const CoroDies& dies, CoroutineInfo& info) {
  std::map<uint32_t, SuspendPoint> resume_labels, other_labels;
  if (dies.resume) {
    Dwarf_Die d = *dies.resume;
    collect_labels(&d, dies.bias, 0, resume_labels);
  }
  for (const auto* die : {&dies.destroy, &dies.cleanup}) {
    if (!*die) continue;
    Dwarf_Die d = **die;
    collect_labels(&d, dies.bias, 0, other_labels);
  }
  // Labels in the resume clone are the real thing; destroy/cleanup only add
  // the final suspend. With none in resume (clang 22 -O2 merged blocks) the
  // code scan may still do better.
  // A resume clone that kept only the initial label (clang 22 -O2) says
  // nothing about the awaits.
  bool labels = std::any_of(resume_labels.begin(), resume_labels.end(),
                            [&](const auto& l) { return l.first != initial_index(info.compiler); });
  if (!labels && scan_index_stores(dwarf, dies, info)) {
    info.precision = LinePrecision::kHeuristic;
  } else if (labels || !other_labels.empty()) {
    // The final suspend's label exists only in destroy/cleanup: with it and
    // no gaps, the label set is complete and bounds the index.
    uint32_t last = other_labels.empty() ? 0 : other_labels.rbegin()->first;
    bool final_known = !other_labels.empty() && !resume_labels.count(last);
    resume_labels.merge(other_labels);
    bool gap_free = resume_labels.begin()->first == 0 &&
                    resume_labels.rbegin()->first == resume_labels.size() - 1;
    if (final_known && gap_free && resume_labels.rbegin()->first == last) info.max_index = last;
    for (auto& [idx, p] : resume_labels) info.suspend_points.push_back(std::move(p));
    info.precision = LinePrecision::kLabels;
  }
  if (info.precision != LinePrecision::kNone) add_initial_point(info);
  if (!info.max_index && info.index && info.index->bit_size > 0 && info.index->bit_size < 32) {
    // clang 14 packs the index into a bitfield just wide enough for every index.
    info.max_index = (1u << info.index->bit_size) - 1;
  }
}

}  // namespace corostack::coro
