// Call lookups and the -e trace=SET parser, following strace 6.1's
// qualify_syscall_tokens: leading '!'s invert, "all"/"none" stand alone,
// otherwise comma-separated tokens, each a number, /regex (POSIX extended),
// class (case-insensitive) or name; a token that selects nothing is an error
// unless it starts with '?'.
#include "trace/syscall_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>

#include "trace/xlat_syscalls.hpp"

namespace corostack::trace {
namespace {

struct ClassName {
  const char* name;
  uint32_t bits;  // 0: every call ("all" as a token)
};

constexpr ClassName kClasses[] = {
    {"%desc", kClassDesc},
    {"%file", kClassFile},
    {"%memory", kClassMemory},
    {"%process", kClassProcess},
    {"%creds", kClassCreds},
    {"%signal", kClassSignal},
    {"%ipc", kClassIpc},
    {"%net", kClassNetwork},
    {"%network", kClassNetwork},
    {"%stat", kClassStat},
    {"%lstat", kClassLstat},
    {"%fstat", kClassFstat},
    {"%%stat", kClassStatLike},
    {"%statfs", kClassStatfs},
    {"%fstatfs", kClassFstatfs},
    {"%%statfs", kClassStatfsLike},
    {"%pure", kClassPure},
    {"%clock", kClassClock},
    {"all", 0},
    {"desc", kClassDesc},
    {"file", kClassFile},
    {"memory", kClassMemory},
    {"process", kClassProcess},
    {"signal", kClassSignal},
    {"ipc", kClassIpc},
    {"network", kClassNetwork},
};

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool add_number(std::string_view tok, SyscallSet& set) {
  int64_t nr = 0;
  auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), nr);
  if (ec != std::errc() || p != tok.data() + tok.size() || !syscall_spec(nr)) return false;
  set.add(nr);
  return true;
}

bool add_regex(std::string_view pattern, SyscallSet& set, std::string& error) {
  std::regex re;
  try {
    re = std::regex(std::string(pattern), std::regex::extended | std::regex::nosubs);
  } catch (const std::regex_error& e) {
    error = fmt::format("regcomp: {}: {}", pattern, e.what());
    return false;
  }
  bool found = false;
  for (const SyscallSpec& s : syscall_specs()) {
    if (!std::regex_search(s.name.begin(), s.name.end(), re)) continue;
    set.add(s.nr);
    found = true;
  }
  return found;
}

bool add_class(std::string_view tok, SyscallSet& set) {
  for (const ClassName& c : kClasses) {
    if (!iequals(tok, c.name)) continue;
    for (const SyscallSpec& s : syscall_specs())
      if ((s.classes & c.bits) == c.bits) set.add(s.nr);
    return true;
  }
  return false;
}

// One token; false when it selected nothing (`error` set for a bad regex).
bool add_token(std::string_view tok, SyscallSet& set, std::string& error) {
  if (tok.empty()) return false;
  if (tok[0] >= '0' && tok[0] <= '9') return add_number(tok, set);
  if (tok[0] == '/') return add_regex(tok.substr(1), set, error);
  if (add_class(tok, set)) return true;
  auto nr = syscall_number(tok);
  if (!nr) return false;
  set.add(*nr);
  return true;
}

}  // namespace

const SyscallSpec* syscall_spec(int64_t nr) {
  auto specs = syscall_specs();
  auto it = std::lower_bound(specs.begin(), specs.end(), nr,
                             [](const SyscallSpec& s, int64_t n) { return s.nr < n; });
  return it != specs.end() && it->nr == nr ? &*it : nullptr;
}

std::optional<int64_t> syscall_number(std::string_view name) {
  for (const SyscallSpec& s : syscall_specs())
    if (s.name == name) return s.nr;
  return std::nullopt;
}

std::string syscall_display_name(int64_t nr) {
  if (const SyscallSpec* s = syscall_spec(nr)) return std::string(s->name);
  return fmt::format("syscall_{:#x}", static_cast<uint64_t>(nr));
}

int64_t syscall_count() {
  return syscall_specs().back().nr + 1;
}

SyscallSet SyscallSet::all() {
  SyscallSet s;
  s.invert();
  return s;
}

SyscallSet SyscallSet::none() {
  return SyscallSet();
}

bool SyscallSet::contains(int64_t nr) const {
  if (nr < 0 || nr >= syscall_count()) return unknown_;
  size_t i = static_cast<size_t>(nr);
  return i < bits_.size() && bits_[i];
}

void SyscallSet::add(int64_t nr) {
  if (nr < 0 || nr >= syscall_count()) return;
  size_t i = static_cast<size_t>(nr);
  if (bits_.size() <= i) bits_.resize(static_cast<size_t>(syscall_count()), false);
  bits_[i] = true;
}

void SyscallSet::remove(int64_t nr) {
  if (nr < 0 || static_cast<size_t>(nr) >= bits_.size()) return;
  bits_[static_cast<size_t>(nr)] = false;
}

void SyscallSet::invert() {
  bits_.resize(static_cast<size_t>(syscall_count()), false);
  bits_.flip();
  unknown_ = !unknown_;
}

std::optional<SyscallSet> parse_syscall_set(std::string_view spec, std::string& error) {
  bool invert = false;
  while (!spec.empty() && spec.front() == '!') {
    invert = !invert;
    spec.remove_prefix(1);
  }
  SyscallSet set;
  if (spec == "all") {
    set.invert();
  } else if (spec != "none") {
    size_t start = 0;
    while (start <= spec.size()) {
      size_t end = std::min(spec.find(',', start), spec.size());
      std::string_view tok = spec.substr(start, end - start);
      start = end + 1;
      bool optional = false;
      while (!tok.empty() && tok.front() == '?') {
        optional = true;
        tok.remove_prefix(1);
      }
      error.clear();
      if (add_token(tok, set, error)) continue;
      if (!error.empty()) return std::nullopt;  // a broken regex is fatal even with '?'
      if (optional) continue;
      error = fmt::format("invalid system call '{}'", tok);
      return std::nullopt;
    }
  }
  if (invert) set.invert();
  return set;
}

}  // namespace corostack::trace
