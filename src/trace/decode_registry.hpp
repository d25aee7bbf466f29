#pragma once
// How a call is decoded: a row per call naming a formatter for each argument,
// which argument is the first one known only at exit, and how the return
// value reads. Family files (decode_io.cpp, decode_net.cpp...) each hand
// their rows to syscall_decode.cpp, which indexes them by number.
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trace/decode_format.hpp"

namespace corostack::trace {

using ArgFn = std::string (*)(const Ctx&, int index);

enum class RetKind { kInt, kFd, kHex, kNone, kOctal };

struct Decoder {
  std::string_view name;
  std::array<ArgFn, 6> args{};  // in order; nullptr ends the list
  int exit_from = 6;            // first argument formatted after the call
  // Arguments shown when it depends on their values (fcntl, futex...).
  int (*count)(const Ctx&) = nullptr;
  RetKind ret = RetKind::kInt;
  // A successful return in full, when it is more than the number:
  // "0x800 (flags O_RDONLY|O_NONBLOCK)", "0 (Timeout)".
  std::string (*ret_fn)(const Ctx&) = nullptr;
  // Calls whose argument list is not one formatter per register (clone's
  // named fields): fills `out` and returns the index of the first exit one.
  int (*custom)(const Ctx&, std::vector<std::string>& out) = nullptr;
};

std::span<const Decoder> io_decoders();       // decode_io.cpp
std::span<const Decoder> file_decoders();     // decode_file.cpp
std::span<const Decoder> net_decoders();      // decode_net.cpp
std::span<const Decoder> poll_decoders();     // decode_poll.cpp
std::span<const Decoder> process_decoders();  // decode_process.cpp
std::span<const Decoder> signal_decoders();   // decode_signal.cpp
std::span<const Decoder> time_decoders();     // decode_time.cpp
std::span<const Decoder> mm_decoders();       // decode_mm.cpp
std::span<const Decoder> misc_decoders();     // decode_misc.cpp
std::span<const Decoder> ioctl_decoders();    // decode_ioctl.cpp

// Formatters shared by the families (decode_common.cpp).
namespace arg {
std::string fd(const Ctx& c, int i);
std::string dirfd(const Ctx& c, int i);
std::string int_(const Ctx& c, int i);   // C int
std::string long_(const Ctx& c, int i);  // signed 64-bit
std::string ulong(const Ctx& c, int i);  // unsigned 64-bit
std::string hex(const Ctx& c, int i);    // %#lx
std::string ptr(const Ctx& c, int i);    // NULL or address
std::string path(const Ctx& c, int i);
std::string str(const Ctx& c, int i);      // NUL-terminated, -s bounded
std::string mode(const Ctx& c, int i);     // octal
std::string buf_in(const Ctx& c, int i);   // written by the caller, length in arg i+1
std::string buf_out(const Ctx& c, int i);  // filled by the kernel, length = return value
std::string int_ptr(const Ctx& c, int i);  // "[42]"
std::string timespec(const Ctx& c, int i);
std::string signal(const Ctx& c, int i);
std::string sigset(const Ctx& c, int i);  // rt_sig* mask, size in a later argument
std::string at_flags(const Ctx& c, int i);
std::string open_flags(const Ctx& c, int i);
std::string iovec_in(const Ctx& c, int i);   // writev: array at i, count at i+1
std::string iovec_out(const Ctx& c, int i);  // readv: filled up to the return value
}  // namespace arg

// An iovec array, each buffer shown up to `data_left` bytes in all.
std::string fmt_iovec(const Ctx& c, uint64_t addr, uint64_t count, uint64_t data_left);

namespace arg {}  // namespace arg

}  // namespace corostack::trace
