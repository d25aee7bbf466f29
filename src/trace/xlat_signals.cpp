// Signal names, masks and the -e signal= parser.
#include "trace/xlat_signals.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include "trace/syscall_table.hpp"

namespace corostack::trace {
namespace {

constexpr int kMaxSignal = 64;
constexpr int kRtMin = 32;  // the kernel's SIGRTMIN; glibc reserves 32 and 33

constexpr const char* kClassic[] = {
    "0",        "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP",   "SIGABRT",
    "SIGBUS",   "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV",  "SIGUSR2",   "SIGPIPE",
    "SIGALRM",  "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",  "SIGSTOP",   "SIGTSTP",
    "SIGTTIN",  "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ",  "SIGVTALRM", "SIGPROF",
    "SIGWINCH", "SIGIO",   "SIGPWR",    "SIGSYS",  "SIGRTMIN",
};

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// One element of -e signal=: "SIGTERM", "term", "15", "SIGRT_3", "RTMIN".
int parse_one_signal(std::string_view s) {
  int n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec == std::errc() && p == s.data() + s.size()) return n >= 1 && n <= kMaxSignal ? n : -1;
  std::string up;
  for (char c : s) up += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  if (up.rfind("SIG", 0) != 0) up = "SIG" + up;
  for (int sig = 1; sig <= kMaxSignal; ++sig)
    if (signal_name(sig) == up) return sig;
  return -1;
}

}  // namespace

std::string signal_name(int sig) {
  if (sig >= 1 && sig <= kRtMin) return kClassic[sig];
  if (sig > kRtMin && sig <= kMaxSignal) return "SIGRT_" + std::to_string(sig - kRtMin);
  return std::to_string(sig);
}

std::string signal_arg(int64_t sig) {
  if (sig >= 1 && sig <= kMaxSignal) return signal_name(static_cast<int>(sig));
  return std::to_string(sig);
}

std::string format_sigmask(uint64_t mask) {
  int set = __builtin_popcountll(mask);
  bool invert = set * 2 > kMaxSignal;
  if (invert) mask = ~mask;
  std::string out = invert ? "~[" : "[";
  bool first = true;
  for (int sig = 1; sig <= kMaxSignal; ++sig) {
    if (!(mask >> (sig - 1) & 1)) continue;
    if (!first) out += ' ';
    first = false;
    std::string name = signal_name(sig);
    out += name.substr(3);  // strace drops "SIG" inside masks
  }
  return out + "]";
}

std::optional<std::vector<bool>> parse_signal_set(std::string_view spec, std::string& error) {
  bool invert = false;
  while (!spec.empty() && spec.front() == '!') {
    invert = !invert;
    spec.remove_prefix(1);
  }
  std::vector<bool> set(kMaxSignal + 1, false);
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string item = trim(spec.substr(start, end - start));
    start = end + 1;
    if (item == "all") {
      std::fill(set.begin() + 1, set.end(), true);
    } else if (item == "none") {
      // nothing to add
    } else {
      int sig = parse_one_signal(item);
      if (sig < 0) {
        error = "invalid signal '" + item + "'";
        return std::nullopt;
      }
      set[static_cast<size_t>(sig)] = true;
    }
  }
  if (invert)
    for (size_t i = 1; i < set.size(); ++i) set[i] = !set[i];
  return set;
}

}  // namespace corostack::trace
