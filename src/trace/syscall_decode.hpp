#pragma once
// Turns one system call's registers (and the target memory they point at)
// into strace's argument text. Shared by every trace source: the ptrace
// source hands in a reader of the live process at the stop, the in-kernel
// source a reader over the bytes the kernel copied. Target memory is hostile:
// every read is bounded by DecodeOptions and an unreadable pointer prints as
// its address, as strace does.
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "target/memory_reader.hpp"

namespace corostack::trace {

struct DecodeOptions {
  size_t string_limit = 32;  // -s N: bytes of a string or buffer shown
  int hex = 0;               // 0: as strace; 1: -x (non-ASCII as \xNN); 2: -xx (all)
  int fd_detail = 0;         // 0: plain fds; 1: -y (paths); 2: -yy (sockets, devices)
};

// What an fd refers to, for -y/-yy: the text strace puts between < and >
// ("/etc/hostname", "pipe:[88213]", "TCP:[127.0.0.1:80->127.0.0.1:5123]"),
// or empty when unknown. The live implementation reads /proc/PID/fd.
class FdNames {
 public:
  virtual ~FdNames() = default;
  virtual std::string describe(pid_t tid, int fd, int detail) const = 0;
  // A new call is being decoded: what was cached for the last one (socket
  // tables) may be stale now (a socket connected in between).
  virtual void new_call() const {}
};

// A call as the registers show it (x86-64: rdi rsi rdx r10 r8 r9).
struct CallArgs {
  pid_t tid = 0;
  int64_t nr = -1;
  std::array<uint64_t, 6> args{};
  // A value-result length (accept's addrlen, getsockopt's optlen...) as it
  // was at entry, so the exit can print strace's "[110 => 16]"; -1: none read.
  int value_result_arg = -1;
  int32_t value_result_in = 0;
};

// Reads, at entry, the value-result length of the calls that have one (the
// kernel overwrites it). Tracers that stop at entry call it; without it the
// length prints as its value after the call.
void note_value_result(CallArgs& call, const MemoryReader& mem);

// One argument per element, already formatted ("AT_FDCWD", "\"/etc/x\"",
// "O_RDONLY|O_CLOEXEC"). decode_entry gives the arguments known at entry, in
// order, up to the first one the kernel fills in; decode_exit the remaining
// ones, read after the call returned with `ret` (a failed call prints output
// buffers as addresses). Together they are the whole argument list.
// `more_at_exit`, when given, says whether decode_exit will add arguments.
std::vector<std::string> decode_entry(const CallArgs& call, const MemoryReader& mem,
                                      const FdNames& fds, const DecodeOptions& opts,
                                      bool* more_at_exit = nullptr);
std::vector<std::string> decode_exit(const CallArgs& call, int64_t ret, const MemoryReader& mem,
                                     const FdNames& fds, const DecodeOptions& opts);

// A raw return value in [-4095, -1] is an error (-errno).
inline bool is_error_return(int64_t ret) {
  return ret < 0 && ret >= -4095;
}

// A reader with nothing in it: for calls decoded when memory is gone (a
// thread that exited inside its call).
const MemoryReader& no_memory();

// The text after "= ": "3</etc/hostname>" (fd results with -y), "0x7f3a..."
// (addresses), "-1 ENOENT (No such file or directory)", "? ERESTARTSYS (To be
// restarted if SA_RESTART is set)" for the kernel's restart codes.
std::string format_return(const CallArgs& call, int64_t ret, const FdNames& fds,
                          const DecodeOptions& opts);
// The same with the notes strace adds from target memory after a successful
// call: poll's "2 ([{fd=3, revents=POLLIN}])", select's "1 (in [3], left {...})".
std::string format_return(const CallArgs& call, int64_t ret, const MemoryReader& mem,
                          const FdNames& fds, const DecodeOptions& opts);

}  // namespace corostack::trace
