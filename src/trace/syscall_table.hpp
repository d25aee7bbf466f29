#pragma once
// What corostack knows about each x86-64 system call: its name, how many
// arguments it takes and strace's classes (%file, %network...), used by the
// decoders, by -e trace=SET and by the -c table.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corostack::trace {

// strace's class bits (src/sysent.h): a call is in %file when it has kFile...
enum SyscallClass : uint32_t {
  kClassFile = 1u << 0,         // TF
  kClassIpc = 1u << 1,          // TI
  kClassNetwork = 1u << 2,      // TN
  kClassProcess = 1u << 3,      // TP
  kClassSignal = 1u << 4,       // TS
  kClassDesc = 1u << 5,         // TD
  kClassMemory = 1u << 6,       // TM
  kClassCreds = 1u << 7,        // TC
  kClassClock = 1u << 8,        // TCL
  kClassPure = 1u << 9,         // PU
  kClassStat = 1u << 10,        // TST   (%stat)
  kClassLstat = 1u << 11,       // TLST  (%lstat)
  kClassFstat = 1u << 12,       // TFST  (%fstat)
  kClassStatfs = 1u << 13,      // TSF   (%statfs)
  kClassFstatfs = 1u << 14,     // TFSF  (%fstatfs)
  kClassStatLike = 1u << 15,    // TSTA  (%%stat: every stat-like call)
  kClassStatfsLike = 1u << 16,  // TSFA  (%%statfs)
  kClassNeverFails = 1u << 17,  // NF: the return value is never an error (getpid)
};

struct SyscallSpec {
  int64_t nr = -1;
  std::string_view name;  // "syscall_0x1ba" style is produced by syscall_display_name
  int nargs = 6;
  uint32_t classes = 0;
};

// Every call the kernel headers number, nullptr when `nr` is unknown.
const SyscallSpec* syscall_spec(int64_t nr);
std::optional<int64_t> syscall_number(std::string_view name);
// strace's name for an unknown number: "syscall_0x1ba".
std::string syscall_display_name(int64_t nr);
// Highest known number + 1.
int64_t syscall_count();

// A set of call numbers, as -e trace=SET builds it.
class SyscallSet {
 public:
  static SyscallSet all();
  static SyscallSet none();
  bool contains(int64_t nr) const;
  void add(int64_t nr);
  void remove(int64_t nr);
  void invert();

 private:
  std::vector<bool> bits_;
  bool unknown_ = false;  // numbers past the table
};

// Parses the part after "trace=": comma-separated names, numbers, /regex,
// %classes (and strace's legacy class spellings without %: file, network,
// net, desc, process, signal, ipc, memory, creds, clock...), "all", "none",
// and a leading "!" inverting the whole set. Errors read like strace's
// ("invalid system call 'opne'").
std::optional<SyscallSet> parse_syscall_set(std::string_view spec, std::string& error);

// errno name and message: "ENOENT", "No such file or directory".
std::string_view errno_name(int err);
std::string errno_message(int err);
// Signal name, "SIGCHLD"; "SIG_123" style ("SIGRT_3" for real-time) as strace prints.
std::string signal_name(int sig);
// -e signal=SET over signal numbers 1..64 (names with or without SIG, numbers, all, none, !).
std::optional<std::vector<bool>> parse_signal_set(std::string_view spec, std::string& error);

}  // namespace corostack::trace
