// Wait statuses and rlimit values: both are numbers strace spells out.
#include "trace/xlat_process.hpp"

#include <fmt/format.h>

#include "trace/xlat_signals.hpp"

namespace corostack::trace {

std::string format_wait_status(int status) {
  int low = status & 0x7f;
  if ((status & 0xff) == 0x7f)
    return fmt::format("{{WIFSTOPPED(s) && WSTOPSIG(s) == {}}}", signal_arg((status >> 8) & 0xff));
  if (status == 0xffff) return "{WIFCONTINUED(s)}";
  if (low == 0)
    return fmt::format("{{WIFEXITED(s) && WEXITSTATUS(s) == {}}}", (status >> 8) & 0xff);
  return fmt::format("{{WIFSIGNALED(s) && WTERMSIG(s) == {}{}}}", signal_arg(low),
                     (status & 0x80) ? " && WCOREDUMP(s)" : "");
}

std::string format_rlim(uint64_t v) {
  if (v == ~uint64_t{0}) return "RLIM64_INFINITY";
  if (v > 1024 && v % 1024 == 0) return fmt::format("{}*1024", v / 1024);
  return std::to_string(v);
}

}  // namespace corostack::trace
