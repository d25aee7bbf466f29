#include "target/core_notes.hpp"

#include <elf.h>
#include <signal.h>
#include <sys/procfs.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "base/byte_cursor.hpp"
#include "base/checked.hpp"
#include "target/elf_notes.hpp"

namespace corostack {
namespace {

// Field offsets of the x86-64 kernel structures, checked against glibc's
// definitions so that a layout mistake fails the build, not a dump.
constexpr size_t kPrstatusCursig = 12;
constexpr size_t kPrstatusPid = 32;
constexpr size_t kPrstatusReg = 112;
static_assert(offsetof(elf_prstatus, pr_cursig) == kPrstatusCursig);
static_assert(offsetof(elf_prstatus, pr_pid) == kPrstatusPid);
static_assert(offsetof(elf_prstatus, pr_reg) == kPrstatusReg);
static_assert(sizeof(elf_gregset_t) == sizeof(X86_64Regs));
static_assert(sizeof(elf_prstatus) == 336);

constexpr size_t kPrpsinfoSname = 1;
constexpr size_t kPrpsinfoPid = 24;
constexpr size_t kPrpsinfoFname = 40;
constexpr size_t kPrpsinfoPsargs = 56;
constexpr size_t kFnameSize = 16;
constexpr size_t kPsargsSize = 80;
static_assert(offsetof(elf_prpsinfo, pr_sname) == kPrpsinfoSname);
static_assert(offsetof(elf_prpsinfo, pr_pid) == kPrpsinfoPid);
static_assert(offsetof(elf_prpsinfo, pr_fname) == kPrpsinfoFname);
static_assert(offsetof(elf_prpsinfo, pr_psargs) == kPrpsinfoPsargs);
static_assert(sizeof(elf_prpsinfo) == kPrpsinfoPsargs + kPsargsSize);

// Guards against hostile counts; real processes stay far below them.
constexpr size_t kMaxCoreThreads = 1 << 16;
constexpr size_t kMaxAuxv = 1024;
constexpr uint64_t kMaxFiles = 1 << 20;
constexpr size_t kMaxPath = 4096;

// A fixed-size char field that may or may not be NUL-terminated.
std::string fixed_string(std::span<const std::byte> desc, size_t off, size_t size) {
  if (!range_within(off, size, desc.size())) return {};
  const char* p = reinterpret_cast<const char*>(desc.data() + off);
  return std::string(p, strnlen(p, size));
}

void parse_prstatus(const ElfNote& note, CoreNotes& out) {
  if (note.desc.size() < kPrstatusReg + sizeof(X86_64Regs)) {
    out.warnings.push_back("NT_PRSTATUS note of " + std::to_string(note.desc.size()) +
                           " bytes is too short for x86-64 registers; thread skipped");
    return;
  }
  if (out.threads.size() >= kMaxCoreThreads) return;
  CoreThread t;
  t.tid = *read_at<int32_t>(note.desc, kPrstatusPid);
  t.cursig = *read_at<int16_t>(note.desc, kPrstatusCursig);
  t.regs = *read_at<X86_64Regs>(note.desc, kPrstatusReg);
  for (const CoreThread& other : out.threads) {
    if (other.tid == t.tid) {
      out.warnings.push_back("duplicate NT_PRSTATUS for thread " + std::to_string(t.tid) +
                             "; the first one is used");
      return;
    }
  }
  out.threads.push_back(t);
}

void parse_prpsinfo(const ElfNote& note, CoreNotes& out) {
  if (note.desc.size() < kPrpsinfoPsargs + kPsargsSize) {
    out.warnings.push_back("NT_PRPSINFO note of " + std::to_string(note.desc.size()) +
                           " bytes is too short; process name unknown");
    return;
  }
  out.process_state = static_cast<char>(*read_at<uint8_t>(note.desc, kPrpsinfoSname));
  out.psinfo_pid = *read_at<int32_t>(note.desc, kPrpsinfoPid);
  out.fname = fixed_string(note.desc, kPrpsinfoFname, kFnameSize);
  out.psargs = fixed_string(note.desc, kPrpsinfoPsargs, kPsargsSize);
  // The kernel turns argument separators into spaces and may leave one at the end.
  while (!out.psargs.empty() && out.psargs.back() == ' ') out.psargs.pop_back();
}

void parse_auxv(const ElfNote& note, CoreNotes& out) {
  out.auxv.clear();
  ByteCursor c(note.desc);
  while (out.auxv.size() < kMaxAuxv) {
    auto type = c.read<uint64_t>();
    auto value = c.read<uint64_t>();
    if (!type || !value || *type == AT_NULL) break;
    out.auxv.push_back({*type, *value});
  }
}

void parse_file_note(const ElfNote& note, CoreNotes& out) {
  ByteCursor c(note.desc);
  auto count = c.read<uint64_t>();
  auto page_size = c.read<uint64_t>();
  // Each entry takes 24 bytes, so the desc size bounds any honest count.
  if (!count || !page_size || *count > kMaxFiles || *count > c.remaining() / 24) {
    out.warnings.push_back("malformed NT_FILE note; mapped file names are unknown");
    return;
  }
  struct Range {
    uint64_t start, end, pages;
  };
  std::vector<Range> ranges(*count);
  for (Range& r : ranges) r = {*c.read<uint64_t>(), *c.read<uint64_t>(), *c.read<uint64_t>()};
  size_t bad = 0;
  for (const Range& r : ranges) {
    auto path = c.cstring(kMaxPath);
    if (!path) {
      out.warnings.push_back("NT_FILE note has fewer names than mappings; the rest are ignored");
      break;
    }
    auto offset = checked_mul(r.pages, *page_size);
    if (r.end <= r.start || !offset || path->empty()) {
      ++bad;
      continue;
    }
    out.files.push_back({r.start, r.end, *offset, std::move(*path)});
  }
  if (bad) out.warnings.push_back(std::to_string(bad) + " malformed NT_FILE entries ignored");
}

// x86-64 siginfo_t: si_signo @0, si_errno @4, si_code @8, then the union
// @16: si_addr for faults, {si_pid, si_uid} for signals sent by a process.
void parse_siginfo(const ElfNote& note, CoreNotes& out) {
  auto signo = read_at<int32_t>(note.desc, 0);
  if (!signo) return;
  out.siginfo_signo = *signo;
  auto code = read_at<int32_t>(note.desc, 8);
  if (!code) return;
  out.siginfo_code = *code;
  bool fault = *signo == SIGSEGV || *signo == SIGBUS || *signo == SIGFPE || *signo == SIGILL ||
               *signo == SIGTRAP;
  if (fault && *code > 0) {
    if (auto addr = read_at<uint64_t>(note.desc, 16)) out.siginfo_addr = *addr;
  } else if (*code <= 0) {  // SI_USER (0), SI_TKILL (-6), SI_QUEUE (-1)...: a sender
    if (auto pid = read_at<int32_t>(note.desc, 16)) out.siginfo_pid = *pid;
  }
}

void parse_corostack_fds(const ElfNote& note, CoreNotes& out) {
  constexpr size_t kMaxFds = 1 << 16;
  size_t off = 0;
  while (off + 6 <= note.desc.size() && out.fds.size() < kMaxFds) {
    uint32_t fd = *read_at<uint32_t>(note.desc, off);
    uint16_t len = *read_at<uint16_t>(note.desc, off + 4);
    if (len > kMaxCoreFdText || off + 6 + len > note.desc.size() || fd > 0x7fffffff) {
      out.warnings.push_back("COROSTACK fds note has a malformed record; the rest is ignored");
      return;
    }
    out.fds[static_cast<int>(fd)] = fixed_string(note.desc, off + 6, len);
    off += 6 + len;
  }
}

void parse_corostack_threads(const ElfNote& note, CoreNotes& out) {
  if (note.desc.size() % kCorostackThreadRecordSize != 0)
    out.warnings.push_back("COROSTACK thread note has a partial record; it is ignored");
  for (size_t off = 0; off + kCorostackThreadRecordSize <= note.desc.size();
       off += kCorostackThreadRecordSize) {
    if (out.thread_info.size() >= kMaxCoreThreads) break;
    CoreThreadInfo info;
    info.tid = static_cast<pid_t>(*read_at<uint32_t>(note.desc, off));
    info.state = static_cast<char>(*read_at<uint8_t>(note.desc, off + 4));
    info.name = fixed_string(note.desc, off + 5, 16);
    out.thread_info.push_back(std::move(info));
  }
}

}  // namespace

void parse_core_notes(std::span<const std::byte> segment, CoreNotes& out) {
  // Cores use 4-byte note alignment whatever the segment's p_align says (gdb writes 1).
  ElfNotes notes = parse_elf_notes(segment);
  for (const ElfNote& note : notes.notes) {
    // Types are only meaningful per owner: COROSTACK's type 1 is not NT_PRSTATUS.
    if (note.name == "CORE") {
      switch (note.type) {
        case NT_PRSTATUS:
          parse_prstatus(note, out);
          break;
        case NT_PRPSINFO:
          parse_prpsinfo(note, out);
          break;
        case NT_AUXV:
          parse_auxv(note, out);
          break;
        case NT_FILE:
          parse_file_note(note, out);
          break;
        case NT_SIGINFO:
          parse_siginfo(note, out);
          break;
        default:
          break;  // NT_FPREGSET and others: not needed for stacks
      }
    } else if (note.name == kCorostackNoteOwner && note.type == kCorostackThreadsNote) {
      parse_corostack_threads(note, out);
    } else if (note.name == kCorostackNoteOwner && note.type == kCorostackFdsNote) {
      parse_corostack_fds(note, out);
    }
  }
  if (!notes.error.empty()) out.warnings.push_back("corrupt core note: " + notes.error);
}

void finish_core_notes(CoreNotes& out) {
  auto& f = out.files;
  std::sort(f.begin(), f.end(), [](const CoreFileMapping& a, const CoreFileMapping& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  });
  // Lookups assume disjoint ranges; a hostile note could claim otherwise.
  size_t kept = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (kept > 0 && f[i].start < f[kept - 1].end) continue;
    if (kept != i) f[kept] = std::move(f[i]);
    ++kept;
  }
  if (kept != f.size())
    out.warnings.push_back(std::to_string(f.size() - kept) +
                           " overlapping NT_FILE entries ignored");
  f.resize(kept);
}

}  // namespace corostack
