// Dispatch: finds the call's Decoder (or prints its registers in hex as
// strace does for calls it does not decode), splits the argument list at the
// first argument known only at exit, and formats the return value.
#include "trace/syscall_decode.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "trace/decode_registry.hpp"
#include "trace/syscall_table.hpp"
#include "trace/xlat_core.hpp"

namespace corostack::trace {
namespace {

class NoMemory : public MemoryReader {
 public:
  ReadResult read(RemoteAddr, std::span<std::byte>) const override { return {}; }
};

std::vector<const Decoder*> build_index() {
  std::vector<const Decoder*> index(static_cast<size_t>(syscall_count()), nullptr);
  for (auto family :
       {io_decoders(), file_decoders(), net_decoders(), poll_decoders(), process_decoders(),
        signal_decoders(), time_decoders(), mm_decoders(), misc_decoders(), ioctl_decoders()}) {
    for (const Decoder& d : family)
      if (auto nr = syscall_number(d.name)) index[static_cast<size_t>(*nr)] = &d;
  }
  return index;
}

const Decoder* find_decoder(int64_t nr) {
  static const std::vector<const Decoder*> index = build_index();
  if (nr < 0 || static_cast<size_t>(nr) >= index.size()) return nullptr;
  return index[static_cast<size_t>(nr)];
}

int arg_count(const Decoder& d, const Ctx& c) {
  if (d.count) return std::clamp(d.count(c), 0, 6);
  int n = 0;
  while (n < 6 && d.args[static_cast<size_t>(n)]) ++n;
  return n;
}

// All arguments, and where the exit part starts.
std::vector<std::string> decode_all(const Decoder& d, const Ctx& c, int& exit_from) {
  std::vector<std::string> out;
  if (d.custom) {
    exit_from = d.custom(c, out);
    return out;
  }
  int n = arg_count(d, c);
  exit_from = std::min(d.exit_from, n);
  int from = c.exiting ? exit_from : 0;
  int to = c.exiting ? n : exit_from;
  out.resize(static_cast<size_t>(from));
  for (int i = from; i < to; ++i) {
    ArgFn fn = d.args[static_cast<size_t>(i)];
    out.push_back(fn ? fn(c, i) : hex(c.arg(i)));
  }
  return out;
}

std::vector<std::string> raw_args(const CallArgs& call) {
  const SyscallSpec* spec = syscall_spec(call.nr);
  int n = spec ? spec->nargs : 6;
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(hex(call.args[static_cast<size_t>(i)]));
  return out;
}

std::vector<std::string> split(std::vector<std::string> all, int exit_from, bool exiting) {
  auto cut = all.begin() + std::clamp<ptrdiff_t>(exit_from, 0, static_cast<ptrdiff_t>(all.size()));
  if (exiting) return {std::make_move_iterator(cut), std::make_move_iterator(all.end())};
  all.erase(cut, all.end());
  return all;
}

std::string error_return(int64_t ret) {
  int err = static_cast<int>(-ret);
  switch (err) {
    case 512:
      return "? ERESTARTSYS (To be restarted if SA_RESTART is set)";
    case 513:
      return "? ERESTARTNOINTR (To be restarted)";
    case 514:
      return "? ERESTARTNOHAND (To be restarted if no handler)";
    case 516:
      return "? ERESTART_RESTARTBLOCK (Interrupted by signal)";
    default:
      break;
  }
  std::string_view name = errno_name(err);
  if (name.empty()) return fmt::format("-1 (errno {})", err);
  return fmt::format("-1 {} ({})", name, errno_message(err));
}

}  // namespace

std::vector<std::string> decode_entry(const CallArgs& call, const MemoryReader& mem,
                                      const FdNames& fds, const DecodeOptions& opts,
                                      bool* more_at_exit) {
  if (more_at_exit) *more_at_exit = false;
  const Decoder* d = find_decoder(call.nr);
  if (!d) return raw_args(call);
  Ctx c{call, mem, fds, opts, false, 0};
  int exit_from = 0;
  auto all = decode_all(*d, c, exit_from);  // sets exit_from: keep it a separate statement
  if (more_at_exit) {
    size_t total = d->custom ? all.size() : static_cast<size_t>(arg_count(*d, c));
    *more_at_exit = exit_from >= 0 && static_cast<size_t>(exit_from) < total;
  }
  return split(std::move(all), exit_from, false);
}

std::vector<std::string> decode_exit(const CallArgs& call, int64_t ret, const MemoryReader& mem,
                                     const FdNames& fds, const DecodeOptions& opts) {
  const Decoder* d = find_decoder(call.nr);
  if (!d) return {};
  Ctx c{call, mem, fds, opts, true, ret};
  int exit_from = 0;
  auto all = decode_all(*d, c, exit_from);
  return split(std::move(all), exit_from, true);
}

void note_value_result(CallArgs& call, const MemoryReader& mem) {
  const SyscallSpec* spec = syscall_spec(call.nr);
  if (!spec) return;
  std::string_view name = spec->name;
  int arg = name == "accept" || name == "accept4" || name == "getsockname" || name == "getpeername"
                ? 2
            : name == "recvfrom"   ? 5
            : name == "getsockopt" ? 4
                                   : -1;
  if (arg < 0 || call.args[static_cast<size_t>(arg)] == 0) return;
  int32_t v = 0;
  auto r = mem.read(RemoteAddr(call.args[static_cast<size_t>(arg)]),
                    std::as_writable_bytes(std::span(&v, 1)));
  if (!r.complete(sizeof v)) return;
  call.value_result_arg = arg;
  call.value_result_in = v;
}

const MemoryReader& no_memory() {
  static const NoMemory none;
  return none;
}

std::string format_return(const CallArgs& call, int64_t ret, const FdNames& fds,
                          const DecodeOptions& opts) {
  return format_return(call, ret, no_memory(), fds, opts);
}

std::string format_return(const CallArgs& call, int64_t ret, const MemoryReader& mem,
                          const FdNames& fds, const DecodeOptions& opts) {
  const Decoder* d = find_decoder(call.nr);
  if (d && d->ret == RetKind::kNone) return "?";
  const SyscallSpec* spec = syscall_spec(call.nr);
  bool never_fails = spec && (spec->classes & kClassNeverFails);
  if (!never_fails && ret < 0 && ret >= -4095) return error_return(ret);
  Ctx c{call, mem, fds, opts, true, ret};
  std::string out;
  switch (d ? d->ret : RetKind::kInt) {
    case RetKind::kFd:
      out = fmt_fd(c, static_cast<int>(ret));
      break;
    case RetKind::kHex:
      out = hex(static_cast<uint64_t>(ret));
      break;
    case RetKind::kOctal:
      out = fmt_octal(static_cast<uint64_t>(ret));
      break;
    default:
      out = std::to_string(ret);
      break;
  }
  if (d && d->ret_fn) return d->ret_fn(c);
  return out;
}

}  // namespace corostack::trace
