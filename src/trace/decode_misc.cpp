// Identity, limits, system information, prctl/arch_prctl, randomness and the
// thread-setup calls every program makes at start.
#include <fmt/format.h>

#include <cstring>

#include "trace/decode_quote.hpp"
#include "trace/decode_registry.hpp"
#include "trace/xlat_process.hpp"
#include "trace/xlat_signals.hpp"

namespace corostack::trace {
namespace {

std::string resource(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kRlimitResources, "RLIMIT_???");
}

std::string rlimit_at(const Ctx& c, uint64_t addr) {
  if (addr == 0) return "NULL";
  auto v = c.read_obj<std::array<uint64_t, 2>>(addr);
  if (!v) return fmt_ptr(addr);
  return fmt::format("{{rlim_cur={}, rlim_max={}}}", format_rlim((*v)[0]), format_rlim((*v)[1]));
}
std::string rlimit_in(const Ctx& c, int i) {
  return rlimit_at(c, c.arg(i));
}
std::string rlimit_out(const Ctx& c, int i) {
  if (c.arg(i) != 0 && (!c.exiting || c.failed())) return fmt_ptr(c.arg(i));
  return rlimit_at(c, c.arg(i));
}

// The first two utsname fields, as strace's abbreviated form.
std::string utsname(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  std::array<char, 65 * 2> u{};
  if (!c.read(c.arg(i), u.data(), u.size())) return fmt_ptr(c.arg(i));
  auto field = [&](size_t k) {
    const char* s = u.data() + 65 * k;
    return quote_bytes(std::span(reinterpret_cast<const uint8_t*>(s), strnlen(s, 65)), c.opts.hex,
                       false);
  };
  return fmt::format("{{sysname={}, nodename={}, ...}}", field(0), field(1));
}

std::string sysinfo(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  struct Info {
    int64_t uptime;
    uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
  };
  auto s = c.read_obj<Info>(c.arg(i));
  if (!s) return fmt_ptr(c.arg(i));
  return fmt::format(
      "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, bufferram={}, "
      "totalswap={}, freeswap={}, procs={}, totalhigh={}, freehigh={}, mem_unit={}}}",
      s->uptime, s->loads[0], s->loads[1], s->loads[2], s->totalram, s->freeram, s->sharedram,
      s->bufferram, s->totalswap, s->freeswap, s->procs, s->totalhigh, s->freehigh, s->mem_unit);
}

// getrandom's bytes are random: strace always shows them in hex.
std::string random_out(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  return fmt_buffer(c, c.arg(i), static_cast<uint64_t>(c.ret), true);
}
std::string grnd_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kGetrandomFlags);
}

// arch_prctl: ARCH_GET_* write a value through the pointer.
std::string arch_code(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kArchPrctlCodes, "ARCH_???");
}
std::string arch_addr(const Ctx& c, int i) {
  uint64_t code = c.arg(0) & 0xffffffff;
  bool get = code == 0x1003 || code == 0x1004 || code == 0x1021 || code == 0x1022;
  if (!get) return hex(c.arg(i));
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  auto v = c.read_obj<uint64_t>(c.arg(i));
  return v ? "[" + hex(*v) + "]" : fmt_ptr(c.arg(i));
}

// prctl: how many arguments, and which are written by the kernel, depends
// on the option.
int prctl_args(const Ctx& c, std::vector<std::string>& out) {
  uint64_t option = c.arg(0) & 0xffffffff;
  out.push_back(format_enum(option, kPrctlOptions, "PR_???"));
  switch (option) {
    case 3:
    case 7:
    case 21:
    case 30:
    case 39:
    case 42:  // PR_GET_<int>: the value is returned
      return 1;
    case 15:  // PR_SET_NAME
      out.push_back(fmt_cstring(c, c.arg(1)));
      return 2;
    case 16:  // PR_GET_NAME
      out.push_back(c.exiting && !c.failed() ? fmt_cstring(c, c.arg(1)) : fmt_ptr(c.arg(1)));
      return 1;
    case 1:  // PR_SET_PDEATHSIG
      out.push_back(signal_arg(static_cast<int64_t>(c.arg(1))));
      return 2;
    case 2:     // PR_GET_PDEATHSIG
    case 37: {  // PR_GET_CHILD_SUBREAPER
      out.push_back(c.exiting && !c.failed() ? fmt_int_ptr(c, c.arg(1)) : fmt_ptr(c.arg(1)));
      return 1;
    }
    case 4:
    case 8:
    case 29:
    case 36:  // PR_SET_<number>
      out.push_back(fmt_uint(c.arg(1)));
      return 2;
    default:
      for (int k = 1; k < 5; ++k)
        out.push_back(option == 38 || option == 41 ? fmt_uint(c.arg(k)) : hex(c.arg(k)));
      return 5;
  }
}

std::string prctl_ret(const Ctx& c) {
  if ((c.arg(0) & 0xffffffff) == 3)  // PR_GET_DUMPABLE
    return fmt::format("{} ({})", c.ret,
                       format_enum(static_cast<uint64_t>(c.ret), kDumpableValues, "SUID_DUMP_???"));
  return std::to_string(c.ret);
}

std::string restart_note(const Ctx&, int) {
  return "<... resuming interrupted call ...>";
}

}  // namespace

std::span<const Decoder> misc_decoders() {
  using namespace arg;
  static const Decoder kDecoders[] = {
      {.name = "getpid"},
      {.name = "getppid"},
      {.name = "gettid"},
      {.name = "getuid"},
      {.name = "geteuid"},
      {.name = "getgid"},
      {.name = "getegid"},
      {.name = "sched_yield"},
      {.name = "restart_syscall", .args = {restart_note}},
      {.name = "getrandom", .args = {random_out, ulong, grnd_flags}, .exit_from = 0},
      {.name = "set_robust_list", .args = {ptr, ulong}},
      {.name = "set_tid_address", .args = {ptr}},
      {.name = "rseq", .args = {ptr, hex, hex, hex}},
      {.name = "prctl", .ret_fn = prctl_ret, .custom = prctl_args},
      {.name = "arch_prctl", .args = {arch_code, arch_addr}, .exit_from = 1},
      {.name = "uname", .args = {utsname}, .exit_from = 0},
      {.name = "sysinfo", .args = {sysinfo}, .exit_from = 0},
      {.name = "prlimit64", .args = {int_, resource, rlimit_in, rlimit_out}, .exit_from = 3},
      {.name = "getrlimit", .args = {resource, rlimit_out}, .exit_from = 1},
      {.name = "setrlimit", .args = {resource, rlimit_in}},
  };
  return kDecoders;
}

}  // namespace corostack::trace
