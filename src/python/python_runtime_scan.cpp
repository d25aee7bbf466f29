#include "python/python_runtime_scan.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <unordered_set>

#include "base/checked.hpp"
#include "base/pages.hpp"

namespace corostack::python {
namespace {

constexpr uint64_t kUserTop = 0x0000800000000000ull;
constexpr uint64_t kChunk = 1 << 20;
constexpr uint64_t kOverlap = 64;  // patterns straddling two chunks are seen in the next one
constexpr char kCookie[8] = {'x', 'd', 'e', 'b', 'u', 'g', 'p', 'y'};

std::optional<uint64_t> read_word(const MemoryReader& mem, RemoteAddr base, const FieldLoc& f) {
  if (!f.present()) return std::nullopt;
  auto addr = checked_add(base.value(), static_cast<uint64_t>(f.offset));
  if (!addr) return std::nullopt;
  auto v = mem.read_value<uint64_t>(RemoteAddr(*addr));
  if (!v) return std::nullopt;
  return *v;
}

// Calls fn(address, bytes) for chunks of `ranges`, at most limits.max_bytes
// in total; unreadable pages are skipped. fn returns false to stop.
template <typename Fn>
void for_each_chunk(const MemoryReader& mem, std::span<const ScanRange> ranges,
                    const ScanLimits& limits, Fn fn) {
  std::vector<std::byte> buf(kChunk);
  uint64_t budget = limits.max_bytes;
  for (const ScanRange& r : ranges) {
    auto end = checked_add(r.start.value(), r.size);
    if (!end) continue;
    uint64_t addr = r.start.value();
    while (addr < *end && budget > 0) {
      uint64_t want = std::min({kChunk, *end - addr, budget});
      ReadResult got = mem.read(RemoteAddr(addr), std::span(buf.data(), want));
      budget -= std::min(budget, std::max<uint64_t>(got.bytes, 1));
      if (got.bytes > 0 && !fn(addr, std::span<const std::byte>(buf.data(), got.bytes))) return;
      if (got.bytes < want) {  // skip the unreadable page
        uint64_t next = align_down(addr + got.bytes, kPageSize) + kPageSize;
        if (next <= addr) break;  // wrapped at the top of the address space
        addr = next;
      } else if (addr + want >= *end) {
        break;
      } else {
        addr += want > kOverlap ? want - kOverlap : want;
      }
    }
    if (budget == 0) return;
  }
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Digits at text[*pos...], at most 3; nullopt if none.
std::optional<int> number(std::string_view text, size_t* pos) {
  size_t start = *pos;
  int v = 0;
  while (*pos < text.size() && is_digit(text[*pos]) && *pos - start < 3)
    v = v * 10 + (text[(*pos)++] - '0');
  if (*pos == start || (*pos < text.size() && is_digit(text[*pos]))) return std::nullopt;
  return v;
}

}  // namespace

bool plausible_pointer(uint64_t v) {
  return v != 0 && v % 8 == 0 && v < kUserTop;
}

InterpreterCheck check_interpreter(const MemoryReader& mem, const PythonLayout& layout,
                                   RemoteAddr interp, const ScanLimits& limits) {
  InterpreterCheck out;
  if (!plausible_pointer(interp.value())) {
    out.reason = "interpreter pointer is not a plausible address";
    return out;
  }
  if (!layout.interp_threads_head.present() || !layout.tstate_interp.present() ||
      !layout.tstate_next.present()) {
    out.reason = "layout lacks the thread list fields";
    return out;
  }
  auto head = read_word(mem, interp, layout.interp_threads_head);
  if (!head) {
    out.reason = "interpreter is unreadable";
    return out;
  }
  std::unordered_set<uint64_t> seen;
  uint64_t t = *head;
  for (size_t i = 0; i < limits.max_threads; ++i) {
    if (t == 0) {
      out.list_ended = true;
      break;
    }
    if (!plausible_pointer(t) || !seen.insert(t).second) break;  // garbage or a cycle
    auto back = read_word(mem, RemoteAddr(t), layout.tstate_interp);
    if (!back || *back != interp.value()) break;
    ++out.back_references;
    auto next = read_word(mem, RemoteAddr(t), layout.tstate_next);
    if (!next) break;
    t = *next;
  }
  out.valid = out.back_references > 0;
  if (!out.valid)
    out.reason = *head == 0 ? "interpreter has no thread state"
                            : "first thread state does not point back at the interpreter";
  return out;
}

std::optional<RemoteAddr> find_word(const MemoryReader& mem, std::span<const ScanRange> ranges,
                                    uint64_t value, const ScanLimits& limits) {
  std::optional<RemoteAddr> found;
  for_each_chunk(mem, ranges, limits, [&](uint64_t base, std::span<const std::byte> bytes) {
    for (uint64_t i = align_up(base, 8) - base; i + 8 <= bytes.size(); i += 8) {
      uint64_t v;
      std::memcpy(&v, bytes.data() + i, sizeof v);
      if (v == value) {
        found = RemoteAddr(base + i);
        return false;
      }
    }
    return true;
  });
  return found;
}

VersionTriple split_version_hex(uint64_t hex) {
  return {static_cast<int>((hex >> 24) & 0xff), static_cast<int>((hex >> 16) & 0xff),
          static_cast<int>((hex >> 8) & 0xff)};
}

namespace {
bool plausible_debug_version(uint64_t hex) {
  VersionTriple v = split_version_hex(hex);
  return (hex >> 32) == 0 && v.major == 3 && v.minor >= 13 && v.minor < 100 && v.micro < 100;
}
}  // namespace

std::optional<uint64_t> debug_offsets_version_at(const MemoryReader& mem, RemoteAddr addr) {
  std::byte head[16];
  if (!mem.read(addr, head).complete(sizeof head)) return std::nullopt;
  if (std::memcmp(head, kCookie, sizeof kCookie) != 0) return std::nullopt;
  uint64_t version;
  std::memcpy(&version, head + 8, sizeof version);
  if (!plausible_debug_version(version)) return std::nullopt;
  return version;
}

std::optional<DebugOffsetsHit> scan_for_debug_offsets(const MemoryReader& mem,
                                                      std::span<const ScanRange> ranges,
                                                      const ScanLimits& limits) {
  std::optional<DebugOffsetsHit> hit;
  for_each_chunk(mem, ranges, limits, [&](uint64_t base, std::span<const std::byte> bytes) {
    uint64_t first = align_up(base, 8) - base;
    for (uint64_t i = first; i + 16 <= bytes.size(); i += 8) {
      if (std::memcmp(bytes.data() + i, kCookie, sizeof kCookie) != 0) continue;
      uint64_t version;
      std::memcpy(&version, bytes.data() + i + 8, sizeof version);
      if (!plausible_debug_version(version)) continue;
      hit = DebugOffsetsHit{RemoteAddr(base + i), version};
      return false;
    }
    return true;
  });
  return hit;
}

std::optional<RuntimeScanHit> scan_for_runtime(const MemoryReader& mem,
                                               const std::vector<MemoryMap>& maps,
                                               const PythonLayout& layout,
                                               std::span<const ScanRange> ranges,
                                               int min_back_references, const ScanLimits& limits) {
  uint64_t head_offset =
      layout.runtime_interpreters_head.present() ? layout.runtime_interpreters_head.offset : 0;
  bool want_pair = layout.runtime_interpreters_head.present();
  std::optional<RuntimeScanHit> first;
  std::optional<RuntimeScanHit> paired;
  std::unordered_set<uint64_t> rejected;  // interpreters already found invalid
  uint64_t candidates = 0;
  for_each_chunk(mem, ranges, limits, [&](uint64_t base, std::span<const std::byte> bytes) {
    uint64_t start = align_up(base, 8) - base;
    for (uint64_t i = start; i + 8 <= bytes.size(); i += 8) {
      uint64_t v;
      std::memcpy(&v, bytes.data() + i, sizeof v);
      if (!plausible_pointer(v) || rejected.count(v)) continue;
      uint64_t addr = base + i;
      if (addr < head_offset) continue;
      if (first && first->interp.value() == v && first->runtime.value() + head_offset == addr)
        continue;  // the overlap of two chunks
      const MemoryMap* m = find_map(maps, RemoteAddr(v));
      if (!m || !m->readable || !m->writable) continue;
      if (++candidates > limits.max_candidates) return false;
      InterpreterCheck check = check_interpreter(mem, layout, RemoteAddr(v), limits);
      bool enough = check.valid &&
                    (check.back_references >= min_back_references ||
                     (check.list_ended && check.back_references > 0 && min_back_references <= 1));
      if (!enough) {
        if (rejected.size() < 1'000'000) rejected.insert(v);
        continue;
      }
      RuntimeScanHit hit{RemoteAddr(addr - head_offset), RemoteAddr(v), check.back_references};
      if (!first) first = hit;
      if (!want_pair) return false;
      uint64_t next = 0;
      if (i + 16 <= bytes.size()) {
        std::memcpy(&next, bytes.data() + i + 8, sizeof next);
      } else if (auto n = mem.read_value<uint64_t>(RemoteAddr(addr + 8))) {
        next = *n;
      }
      if (next == v) {
        paired = hit;
        return false;
      }
    }
    return true;
  });
  return paired ? paired : first;
}

std::optional<VersionTriple> parse_version_prefix(std::string_view text, std::string_view end) {
  size_t pos = 0;
  auto major = number(text, &pos);
  if (!major || pos >= text.size() || text[pos++] != '.') return std::nullopt;
  auto minor = number(text, &pos);
  if (!minor || pos >= text.size() || text[pos++] != '.') return std::nullopt;
  auto micro = number(text, &pos);
  if (!micro) return std::nullopt;
  // Optional release level: a1, b3, rc2, then an optional '+'.
  for (std::string_view level : {"rc", "a", "b"}) {
    if (text.substr(pos, level.size()) == level) {
      size_t after = pos + level.size();
      if (number(text, &after)) pos = after;
      break;
    }
  }
  if (pos < text.size() && text[pos] == '+') ++pos;
  if (text.substr(pos, end.size()) != end) return std::nullopt;
  if (*major < 2 || *major > 9) return std::nullopt;
  return VersionTriple{*major, *minor, *micro};
}

std::optional<VersionTriple> scan_for_version_string(const MemoryReader& mem,
                                                     std::span<const ScanRange> ranges,
                                                     const ScanLimits& limits) {
  std::optional<VersionTriple> found;
  for_each_chunk(mem, ranges, limits, [&](uint64_t base, std::span<const std::byte> bytes) {
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    for (size_t i = 0; i + 8 <= text.size(); ++i) {
      if ((text[i] != '2' && text[i] != '3') || text[i + 1] != '.') continue;
      bool anchored = (base + i) % 8 == 0 || (i > 0 && text[i - 1] == '\0');
      if (!anchored) continue;
      if (auto v = parse_version_prefix(text.substr(i, 24), " (")) {
        found = v;
        return false;
      }
    }
    return true;
  });
  return found;
}

std::optional<VersionTriple> find_version_in_bytes(std::span<const std::byte> bytes, int major,
                                                   int minor) {
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::string prefix = std::to_string(major) + ".";
  if (minor >= 0) prefix += std::to_string(minor) + ".";
  std::map<std::tuple<int, int, int>, int> counts;
  size_t pos = 0;
  for (int guard = 0; guard < 100'000; ++guard) {
    pos = text.find(prefix, pos);
    if (pos == std::string_view::npos) break;
    size_t at = pos++;
    if (at > 0 && (is_digit(text[at - 1]) || text[at - 1] == '.')) continue;
    auto v = parse_version_prefix(text.substr(at, 24), std::string_view("\0", 1));
    if (!v || v->major != major || (minor >= 0 && v->minor != minor)) continue;
    ++counts[{v->major, v->minor, v->micro}];
  }
  if (counts.empty()) return std::nullopt;
  if (minor < 0) {
    std::set<int> minors;
    for (const auto& [v, n] : counts) minors.insert(std::get<1>(v));
    if (minors.size() > 1) return std::nullopt;
  }
  auto best = std::max_element(counts.begin(), counts.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  auto [ma, mi, mc] = best->first;
  return VersionTriple{ma, mi, mc};
}

}  // namespace corostack::python
