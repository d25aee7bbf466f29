#include "target/proc_syscall.hpp"

#include <charconv>
#include <string>
#include <vector>

#include "target/proc_fs.hpp"

namespace corostack {
namespace {

// One unsigned number in `base` (fields are decimal for the number, hex for
// the rest); false on anything else.
bool parse_field(std::string_view s, int base, uint64_t& out) {
  if (base == 16 && s.starts_with("0x")) s.remove_prefix(2);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<SyscallSample> parse_proc_syscall(std::string_view text) {
  std::vector<std::string_view> f;
  size_t i = 0;
  while (i < text.size() && f.size() < 16) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n') ++j;
    if (j > i) f.push_back(text.substr(i, j - i));
    i = j;
  }
  if (f.empty() || f[0] == "running") return std::nullopt;
  SyscallSample s;
  if (f[0] == "-1") {
    if (f.size() != 3) return std::nullopt;
    s.nr = -1;
  } else {
    uint64_t nr = 0;
    if (f.size() != 9 || !parse_field(f[0], 10, nr) || nr > 4096) return std::nullopt;
    s.nr = static_cast<int64_t>(nr);
    for (size_t k = 0; k < 6; ++k)
      if (!parse_field(f[1 + k], 16, s.args[k])) return std::nullopt;
  }
  if (!parse_field(f[f.size() - 2], 16, s.sp) || !parse_field(f.back(), 16, s.pc))
    return std::nullopt;
  return s;
}

std::optional<SyscallSample> read_proc_syscall(pid_t pid, pid_t tid) {
  auto text = read_text_file(
      "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/syscall", 512);
  if (!text) return std::nullopt;
  return parse_proc_syscall(*text);
}

}  // namespace corostack
