#pragma once
// Decoding of the notes in a core's PT_NOTE segments: threads and registers
// (NT_PRSTATUS), the process (NT_PRPSINFO), auxv, mapped files (NT_FILE), the
// signal (NT_SIGINFO) and corostack's own per-thread names and states.
// Pure functions over bytes, so they can be fuzzed without files.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "target/registers.hpp"
#include "target/target.hpp"

namespace corostack {

// Owner and type of the note corostack's own core writer adds: desc is a
// sequence of packed {u32 tid; char state; char name[16]} records.
inline constexpr char kCorostackNoteOwner[] = "COROSTACK";
inline constexpr uint32_t kCorostackThreadsNote = 1;
inline constexpr size_t kCorostackThreadRecordSize = 4 + 1 + 16;
// A second COROSTACK note: the process's open file descriptors as `strace -yy`
// names them, packed {u32 fd; u16 length; char text[length]} records, so that
// `dump --core` can say what a blocked call's fd was.
inline constexpr uint32_t kCorostackFdsNote = 2;
inline constexpr size_t kMaxCoreFdText = 1024;

struct CoreThread {
  pid_t tid = 0;
  int cursig = 0;  // pr_cursig: the signal being delivered when the core was written
  X86_64Regs regs{};
};

// One NT_FILE entry: [start, end) maps `path` from byte offset file_offset.
struct CoreFileMapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t file_offset = 0;
  std::string path;
};

struct CoreThreadInfo {
  pid_t tid = 0;
  char state = '?';
  std::string name;
};

struct CoreNotes {
  std::vector<CoreThread> threads;  // in note order; the kernel puts the dumping thread first
  std::optional<pid_t> psinfo_pid;
  std::string fname;   // pr_fname (comm)
  std::string psargs;  // pr_psargs: the start of the command line, space-separated
  char process_state = '?';
  std::vector<AuxvEntry> auxv;
  std::vector<CoreFileMapping> files;  // sorted by start, non-overlapping
  std::optional<int> siginfo_signo;
  // NT_SIGINFO's si_code, and what its union holds for that signal: the
  // faulting address (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) or the
  // sender's pid (kill, tkill: SI_USER, SI_TKILL).
  std::optional<int> siginfo_code;
  std::optional<uint64_t> siginfo_addr;
  std::optional<pid_t> siginfo_pid;
  std::vector<CoreThreadInfo> thread_info;  // from the COROSTACK note
  std::map<int, std::string> fds;           // from the COROSTACK fds note: fd -> text
  std::vector<std::string> warnings;        // malformed or unexpected notes
};

// Decodes the notes of one PT_NOTE segment into `out` (a core may have several).
void parse_core_notes(std::span<const std::byte> segment, CoreNotes& out);

// Sorts NT_FILE entries and drops overlapping ones; call once all segments are parsed.
void finish_core_notes(CoreNotes& out);

}  // namespace corostack
