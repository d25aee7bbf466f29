// Signal disposition and masks: rt_sigaction, rt_sigprocmask, signalfd4.
#include <fmt/format.h>

#include "trace/decode_registry.hpp"
#include "trace/xlat_events.hpp"
#include "trace/xlat_signals.hpp"

namespace corostack::trace {
namespace {

constexpr uint64_t kSaRestorer = 0x04000000;

std::string handler(uint64_t h) {
  if (h == 0) return "SIG_DFL";
  if (h == 1) return "SIG_IGN";
  if (h == ~uint64_t{0}) return "SIG_ERR";
  return hex(h);
}

// The kernel's struct sigaction on x86-64: handler, flags, restorer, mask.
std::string sigaction_at(const Ctx& c, uint64_t addr) {
  if (addr == 0) return "NULL";
  struct KSigaction {
    uint64_t handler, flags, restorer, mask;
  };
  auto a = c.read_obj<KSigaction>(addr);
  if (!a) return fmt_ptr(addr);
  std::string out = fmt::format("{{sa_handler={}, sa_mask={}, sa_flags={}", handler(a->handler),
                                format_sigmask(a->mask), format_flags(a->flags, kSigactionFlags));
  if (a->flags & kSaRestorer) out += ", sa_restorer=" + hex(a->restorer);
  return out + "}";
}

std::string act_in(const Ctx& c, int i) {
  return sigaction_at(c, c.arg(i));
}
std::string act_out(const Ctx& c, int i) {
  if (c.failed()) return fmt_ptr(c.arg(i));
  return sigaction_at(c, c.arg(i));
}
std::string how(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kSigprocmaskHow, "SIG_???");
}
std::string sfd_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kSignalfdFlags);
}

}  // namespace

std::span<const Decoder> signal_decoders() {
  using namespace arg;
  static const Decoder kDecoders[] = {
      {.name = "rt_sigaction", .args = {signal, act_in, act_out, ulong}, .exit_from = 2},
      {.name = "rt_sigprocmask", .args = {how, sigset, sigset, ulong}, .exit_from = 2},
      {.name = "rt_sigreturn"},
      {.name = "rt_sigpending", .args = {sigset, ulong}, .exit_from = 0},
      {.name = "rt_sigsuspend", .args = {sigset, ulong}},
      {.name = "signalfd4", .args = {fd, sigset, ulong, sfd_flags}, .ret = RetKind::kFd},
      {.name = "pause"},
  };
  return kDecoders;
}

}  // namespace corostack::trace
