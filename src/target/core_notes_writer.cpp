#include "target/core_notes_writer.hpp"

#include <cpuid.h>
#include <elf.h>
#include <signal.h>
#include <sys/procfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "base/pages.hpp"
#include "target/core_notes.hpp"

namespace corostack {
namespace {

// gdb, elfutils and the kernel agree on these layouts; the system headers
// define them, and these asserts keep our reading of them honest.
static_assert(sizeof(elf_prstatus) == 336);
static_assert(offsetof(elf_prstatus, pr_pid) == 32);
static_assert(offsetof(elf_prstatus, pr_reg) == 112);
static_assert(sizeof(elf_gregset_t) == sizeof(X86_64Regs));
static_assert(sizeof(elf_prpsinfo) == 136);
static_assert(offsetof(elf_prpsinfo, pr_flag) == 8);
static_assert(offsetof(elf_prpsinfo, pr_uid) == 16);
static_assert(offsetof(elf_prpsinfo, pr_pid) == 24);
static_assert(offsetof(elf_prpsinfo, pr_fname) == 40);
static_assert(offsetof(elf_prpsinfo, pr_psargs) == 56);
static_assert(sizeof(siginfo_t) == 128);

// Appends ELF notes (4-byte aligned name and descriptor) to a byte buffer.
class NoteBuffer {
 public:
  void add(std::string_view owner, uint32_t type, const void* desc, size_t desc_size) {
    Elf64_Nhdr h{};
    h.n_namesz = static_cast<uint32_t>(owner.size() + 1);
    h.n_descsz = static_cast<uint32_t>(desc_size);
    h.n_type = type;
    append(&h, sizeof h);
    append(owner.data(), owner.size());
    bytes_.push_back(std::byte{0});
    pad4();
    if (desc_size) append(desc, desc_size);
    pad4();
  }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  void append(const void* p, size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  void pad4() { bytes_.resize((bytes_.size() + 3) & ~size_t{3}); }
  std::vector<std::byte> bytes_;
};

timeval ticks_to_timeval(uint64_t ticks) {
  static const long hz = std::max(1L, ::sysconf(_SC_CLK_TCK));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ticks / static_cast<uint64_t>(hz));
  tv.tv_usec = static_cast<suseconds_t>((ticks % static_cast<uint64_t>(hz)) * 1000000 /
                                        static_cast<uint64_t>(hz));
  return tv;
}

// Copies a string into a fixed char array, truncating and NUL-terminating.
template <size_t N>
void copy_cstr(char (&dst)[N], std::string_view src) {
  size_t n = std::min(src.size(), N - 1);
  std::memcpy(dst, src.data(), n);
  std::memset(dst + n, 0, N - n);
}

elf_prstatus make_prstatus(const DumpProcessInfo& p, const DumpThread& t) {
  elf_prstatus st;
  std::memset(&st, 0, sizeof st);
  st.pr_pid = t.tid;
  st.pr_ppid = p.ppid;
  st.pr_pgrp = p.pgrp;
  st.pr_sid = p.sid;
  st.pr_utime = ticks_to_timeval(t.utime_ticks);
  st.pr_stime = ticks_to_timeval(t.stime_ticks);
  st.pr_cutime = ticks_to_timeval(p.cutime_ticks);
  st.pr_cstime = ticks_to_timeval(p.cstime_ticks);
  // A thread we could not stop keeps all-zero registers: readers see pc 0
  // and report the thread as unreadable instead of losing it.
  if (t.regs_valid) std::memcpy(&st.pr_reg, &t.regs, sizeof st.pr_reg);
  st.pr_fpvalid = t.fpregs_valid ? 1 : 0;
  return st;
}

elf_prpsinfo make_prpsinfo(const DumpProcessInfo& p) {
  elf_prpsinfo ps;
  std::memset(&ps, 0, sizeof ps);
  // The kernel numbers states by bit position and names them from "RSDTZW".
  static constexpr std::string_view kStates = "RSDTZW";
  size_t idx = kStates.find(p.state == 't' ? 'T' : p.state);
  ps.pr_state = static_cast<char>(idx == std::string_view::npos ? 6 : idx);
  ps.pr_sname = idx == std::string_view::npos ? '.' : p.state;
  ps.pr_zomb = p.state == 'Z' ? 1 : 0;
  ps.pr_nice = static_cast<char>(p.nice);
  ps.pr_flag = p.flags;
  ps.pr_uid = p.uid;
  ps.pr_gid = p.gid;
  ps.pr_pid = p.pid;
  ps.pr_ppid = p.ppid;
  ps.pr_pgrp = p.pgrp;
  ps.pr_sid = p.sid;
  copy_cstr(ps.pr_fname, p.comm);
  copy_cstr(ps.pr_psargs, p.args);
  return ps;
}

// NT_FILE: count, page size, then {start, end, offset in pages} per mapping,
// then the NUL-terminated names in the same order.
std::vector<std::byte> make_file_note(const std::vector<MemoryMap>& maps) {
  std::vector<uint64_t> words{0, kPageSize};
  std::string names;
  for (const MemoryMap& m : maps) {
    if (!m.is_file_backed()) continue;
    ++words[0];
    words.push_back(m.start.value());
    words.push_back(m.end.value());
    words.push_back(m.file_offset / kPageSize);
    names.append(m.path);
    names.push_back('\0');
  }
  std::vector<std::byte> out(words.size() * 8 + names.size());
  std::memcpy(out.data(), words.data(), words.size() * 8);
  std::memcpy(out.data() + words.size() * 8, names.data(), names.size());
  return out;
}

std::vector<std::byte> make_corostack_note(const std::vector<DumpThread>& threads) {
  std::vector<std::byte> out(threads.size() * kCorostackThreadRecordSize);
  std::byte* p = out.data();
  for (const DumpThread& t : threads) {
    uint32_t tid = static_cast<uint32_t>(t.tid);
    char name[16] = {};
    std::memcpy(name, t.name.data(), std::min<size_t>(t.name.size(), 15));
    std::memcpy(p, &tid, 4);
    std::memcpy(p + 4, &t.state, 1);
    std::memcpy(p + 5, name, 16);
    p += kCorostackThreadRecordSize;
  }
  return out;
}

// NT_X86_XSAVE_LAYOUT (Linux 6.11+): where each extended state component
// sits in the NT_X86_XSTATE notes. AMD CPUs with AVX-512 but no MPX use
// other offsets than Intel's, which readers cannot guess.
constexpr uint32_t kNtX86XsaveLayout = 0x205;
// The kernel stores XCR0 (the enabled components) here in the XSAVE area's
// software-reserved bytes.
constexpr size_t kXcr0Offset = 464;

std::vector<std::byte> make_xsave_layout(const std::vector<std::byte>& xstate) {
  std::vector<std::byte> out;
  uint64_t xcr0 = 0;
  if (xstate.size() < kXcr0Offset + 8) return out;
  std::memcpy(&xcr0, xstate.data() + kXcr0Offset, 8);
  for (unsigned feature = 2; feature < 64; ++feature) {
    if (!(xcr0 & (uint64_t{1} << feature))) continue;
    unsigned size = 0, offset = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(0xd, feature, &size, &offset, &ecx, &edx) || size == 0) continue;
    const uint32_t entry[4] = {feature, size, offset, 0};  // type, size, offset, flags
    const auto* b = reinterpret_cast<const std::byte*>(entry);
    out.insert(out.end(), b, b + sizeof entry);
  }
  return out;
}

void add_thread_regsets(NoteBuffer& notes, const DumpThread& t) {
  if (t.fpregs_valid) notes.add("CORE", NT_FPREGSET, t.fpregs.data(), t.fpregs.size());
  if (!t.xstate.empty()) notes.add("LINUX", NT_X86_XSTATE, t.xstate.data(), t.xstate.size());
}

}  // namespace

std::vector<std::byte> build_dump_notes(const DumpProcessInfo& process,
                                        const std::vector<DumpThread>& threads,
                                        const std::vector<MemoryMap>& maps) {
  NoteBuffer notes;
  bool first = true;
  for (const DumpThread& t : threads) {
    elf_prstatus st = make_prstatus(process, t);
    notes.add("CORE", NT_PRSTATUS, &st, sizeof st);
    if (first) {
      elf_prpsinfo ps = make_prpsinfo(process);
      notes.add("CORE", NT_PRPSINFO, &ps, sizeof ps);
      // No signal caused this dump; an all-zero siginfo says so.
      siginfo_t si;
      std::memset(&si, 0, sizeof si);
      notes.add("CORE", NT_SIGINFO, &si, sizeof si);
      if (!process.auxv.empty())
        notes.add("CORE", NT_AUXV, process.auxv.data(), process.auxv.size());
      auto files = make_file_note(maps);
      notes.add("CORE", NT_FILE, files.data(), files.size());
      first = false;
    }
    add_thread_regsets(notes, t);
  }
  for (const DumpThread& t : threads) {
    if (t.xstate.empty()) continue;
    auto layout = make_xsave_layout(t.xstate);
    if (!layout.empty()) notes.add("LINUX", kNtX86XsaveLayout, layout.data(), layout.size());
    break;
  }
  auto names = make_corostack_note(threads);
  notes.add(kCorostackNoteOwner, kCorostackThreadsNote, names.data(), names.size());
  if (!process.fds.empty()) {
    std::vector<std::byte> fds;
    for (const auto& [fd, text] : process.fds) {
      uint32_t n = static_cast<uint32_t>(fd);
      uint16_t len = static_cast<uint16_t>(std::min(text.size(), kMaxCoreFdText));
      const auto* nb = reinterpret_cast<const std::byte*>(&n);
      const auto* lb = reinterpret_cast<const std::byte*>(&len);
      fds.insert(fds.end(), nb, nb + 4);
      fds.insert(fds.end(), lb, lb + 2);
      const auto* tb = reinterpret_cast<const std::byte*>(text.data());
      fds.insert(fds.end(), tb, tb + len);
    }
    notes.add(kCorostackNoteOwner, kCorostackFdsNote, fds.data(), fds.size());
  }
  return std::move(notes.bytes());
}

}  // namespace corostack
