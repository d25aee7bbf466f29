// Process life cycle: clone/clone3/fork, execve, exit, wait4/waitid, kill.
#include <fmt/format.h>

#include "trace/decode_registry.hpp"
#include "trace/xlat_fs.hpp"
#include "trace/xlat_process.hpp"
#include "trace/xlat_signals.hpp"

namespace corostack::trace {
namespace {

constexpr uint64_t kParentSettid = 0x100000, kPidfd = 0x1000, kChildSettid = 0x1000000,
                   kChildCleartid = 0x200000, kSettls = 0x80000;

// clone's flags carry the exit signal in their low byte.
std::string clone_flags(uint64_t flags) {
  std::string out;
  if (uint64_t bits = flags & ~uint64_t{0xff}) out = format_flags(bits, kCloneFlags);
  if (uint64_t sig = flags & 0xff)
    out += (out.empty() ? "" : "|") + signal_arg(static_cast<int>(sig));
  return out.empty() ? "0" : out;
}

// x86-64 clone(flags, stack, parent_tid, child_tid, tls), printed with
// strace's field names; the tid/tls fields after the call.
int clone_args(const Ctx& c, std::vector<std::string>& out) {
  uint64_t flags = c.arg(0);
  out.push_back("child_stack=" + fmt_ptr(c.arg(1)));
  out.push_back("flags=" + clone_flags(flags));
  if (flags & (kParentSettid | kPidfd))
    out.push_back("parent_tid=" + (c.exiting ? fmt_int_ptr(c, c.arg(2)) : fmt_ptr(c.arg(2))));
  if (flags & kSettls) out.push_back("tls=" + hex(c.arg(4)));
  if (flags & (kChildSettid | kChildCleartid)) out.push_back("child_tidptr=" + fmt_ptr(c.arg(3)));
  return 2;
}

struct CloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

std::string clone3_struct(const Ctx& c, const CloneArgs& a) {
  std::string out = "{flags=" + format_flags(a.flags, kCloneFlags);
  if (a.flags & kPidfd) out += ", pidfd=" + fmt_ptr(a.pidfd);
  if (a.flags & (kChildSettid | kChildCleartid)) out += ", child_tid=" + fmt_ptr(a.child_tid);
  if (a.flags & kParentSettid) out += ", parent_tid=" + fmt_ptr(a.parent_tid);
  out += ", exit_signal=" + signal_arg(static_cast<int64_t>(a.exit_signal));
  out += ", stack=" + fmt_ptr(a.stack) + ", stack_size=" + hex(a.stack_size);
  if (a.flags & kSettls) out += ", tls=" + hex(a.tls);
  if (a.set_tid_size)
    out += ", set_tid=" + fmt_ptr(a.set_tid) + fmt::format(", set_tid_size={}", a.set_tid_size);
  if (a.flags & 0x200000000) out += fmt::format(", cgroup={}", a.cgroup);
  out += "}";
  if (c.exiting && !c.failed() && (a.flags & kParentSettid))
    out += " => {parent_tid=" + fmt_int_ptr(c, a.parent_tid) + "}";
  return out;
}

int clone3_args(const Ctx& c, std::vector<std::string>& out) {
  auto a = c.read_obj<CloneArgs>(c.arg(0));
  out.push_back(a ? clone3_struct(c, *a) : fmt_ptr(c.arg(0)));
  out.push_back(fmt_uint(c.arg(1)));
  return a && (a->flags & kParentSettid) ? 0 : 2;  // the struct is completed at exit
}

// execve's argv: ["ls", "-l"], -s elements at most.
std::string argv_arg(const Ctx& c, int i) {
  uint64_t addr = c.arg(i);
  if (addr == 0) return "NULL";
  std::string out = "[";
  for (uint64_t n = 0;; ++n) {
    auto p = c.read_obj<uint64_t>(addr + n * 8);
    if (!p && n == 0) return fmt_ptr(addr);
    if (!p) {  // unreadable past the first element, as strace shows it
      out += ", ... /* " + fmt_ptr(addr + n * 8) + " */";
      break;
    }
    if (*p == 0) break;
    if (n > 0) out += ", ";
    if (n >= c.max_elements()) {
      out += "...";
      break;
    }
    out += fmt_cstring(c, *p);
  }
  return out + "]";
}

// envp in strace's default (non -v) form: "0x7ffd... /* 23 vars */".
std::string envp_arg(const Ctx& c, int i) {
  uint64_t addr = c.arg(i);
  if (addr == 0) return "NULL";
  constexpr size_t kChunk = 64, kMaxVars = kMaxRead / 8;
  size_t count = 0;
  uint64_t chunk[kChunk];
  while (count < kMaxVars) {
    if (!c.read(addr + count * 8, chunk, sizeof chunk)) {
      // the end of a mapping: fall back to one pointer at a time
      auto p = c.read_obj<uint64_t>(addr + count * 8);
      if (!p) return fmt_ptr(addr);
      if (*p == 0) break;
      ++count;
      continue;
    }
    size_t k = 0;
    while (k < kChunk && chunk[k] != 0) ++k;
    count += k;
    if (k < kChunk) break;
  }
  return fmt::format("{} /* {} var{} */", fmt_ptr(addr), count, count == 1 ? "" : "s");
}

std::string wait_status(const Ctx& c, int i) {
  if (c.arg(i) == 0) return "NULL";
  if (!c.exiting || c.failed() || c.ret == 0) return fmt_ptr(c.arg(i));
  auto s = c.read_obj<int32_t>(c.arg(i));
  return s ? "[" + format_wait_status(*s) + "]" : fmt_ptr(c.arg(i));
}
std::string wait_options(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kWaitOptions);
}
std::string idtype(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kWaitidTypes, "P_???");
}

constexpr Xlat kChildCodes[] = {{1, "CLD_EXITED"},  {2, "CLD_KILLED"},  {3, "CLD_DUMPED"},
                                {4, "CLD_TRAPPED"}, {5, "CLD_STOPPED"}, {6, "CLD_CONTINUED"}};

std::string siginfo_child(const Ctx& c, int i) {
  if (c.arg(i) == 0) return "NULL";
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  struct Info {
    int32_t signo, err, code, pad;
    int32_t pid, uid, status, pad2;
    int64_t utime, stime;
  };
  auto s = c.read_obj<Info>(c.arg(i));
  if (!s) return fmt_ptr(c.arg(i));
  if (s->signo == 0) return "{}";
  bool by_signal = s->code == 2 || s->code == 3;
  return fmt::format(
      "{{si_signo={}, si_code={}, si_pid={}, si_uid={}, si_status={}, si_utime={}, si_stime={}}}",
      signal_arg(s->signo), format_enum(static_cast<uint32_t>(s->code), kChildCodes, "CLD_???"),
      s->pid, s->uid, by_signal ? signal_arg(s->status) : std::to_string(s->status), s->utime,
      s->stime);
}

std::string exec_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kAtFlags);
}

}  // namespace

std::span<const Decoder> process_decoders() {
  using namespace arg;
  constexpr auto kNone = RetKind::kNone;
  static const Decoder kDecoders[] = {
      {.name = "clone", .custom = clone_args},
      {.name = "clone3", .custom = clone3_args},
      {.name = "fork"},
      {.name = "vfork"},
      {.name = "execve", .args = {path, argv_arg, envp_arg}},
      {.name = "execveat", .args = {dirfd, path, argv_arg, envp_arg, exec_flags}},
      {.name = "exit", .args = {int_}, .ret = kNone},
      {.name = "exit_group", .args = {int_}, .ret = kNone},
      {.name = "wait4", .args = {int_, wait_status, wait_options, ptr}, .exit_from = 1},
      {.name = "waitid", .args = {idtype, int_, siginfo_child, wait_options, ptr}, .exit_from = 2},
      {.name = "kill", .args = {int_, signal}},
      {.name = "tgkill", .args = {int_, int_, signal}},
      {.name = "tkill", .args = {int_, signal}},
  };
  return kDecoders;
}

}  // namespace corostack::trace
