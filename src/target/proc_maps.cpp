#include <algorithm>
#include <charconv>

#include "target/memory_map.hpp"

namespace corostack {
namespace {

bool parse_hex(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_dec(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 10);
  return ec == std::errc() && p == s.data() + s.size();
}

// Splits off the next space-delimited field.
std::string_view next_field(std::string_view& line) {
  size_t b = line.find_first_not_of(' ');
  if (b == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(b);
  size_t e = line.find(' ');
  std::string_view f = line.substr(0, e);
  line.remove_prefix(e == std::string_view::npos ? line.size() : e);
  return f;
}

std::optional<MemoryMap> parse_line(std::string_view line) {
  MemoryMap m;
  std::string_view range = next_field(line);
  std::string_view perms = next_field(line);
  std::string_view offset = next_field(line);
  std::string_view dev = next_field(line);
  std::string_view inode = next_field(line);
  size_t dash = range.find('-');
  uint64_t start, end, off, ino;
  if (dash == std::string_view::npos || !parse_hex(range.substr(0, dash), start) ||
      !parse_hex(range.substr(dash + 1), end) || end < start)
    return std::nullopt;
  if (perms.size() != 4 || !parse_hex(offset, off) || dev.empty() || !parse_dec(inode, ino))
    return std::nullopt;
  m.start = RemoteAddr(start);
  m.end = RemoteAddr(end);
  m.set_permissions(perms);
  m.file_offset = off;
  m.inode = ino;
  size_t b = line.find_first_not_of(' ');
  if (b != std::string_view::npos) m.path = std::string(line.substr(b));
  return m;
}

}  // namespace

std::vector<MemoryMap> parse_proc_maps(std::string_view text, size_t* skipped) {
  std::vector<MemoryMap> maps;
  size_t bad = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    if (auto m = parse_line(line)) {
      maps.push_back(std::move(*m));
    } else {
      ++bad;
    }
  }
  std::sort(maps.begin(), maps.end(),
            [](const MemoryMap& a, const MemoryMap& b) { return a.start < b.start; });
  if (skipped) *skipped = bad;
  return maps;
}

const MemoryMap* find_map(const std::vector<MemoryMap>& maps, RemoteAddr addr) {
  auto it = std::upper_bound(maps.begin(), maps.end(), addr,
                             [](RemoteAddr a, const MemoryMap& m) { return a < m.start; });
  if (it == maps.begin()) return nullptr;
  --it;
  return it->contains(addr) ? &*it : nullptr;
}

}  // namespace corostack
