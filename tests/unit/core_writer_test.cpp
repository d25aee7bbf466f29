// write_core against a real child process (a fork of this test binary with
// three named threads), checked by parsing the core here, by gdb and by
// elfutils' eu-stack, and by corostack's own core reader.
#include "target/core_writer.hpp"

#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "target/core_dump_layout.hpp"
#include "target/core_file.hpp"
#include "target/core_notes.hpp"
#include "target/core_notes_writer.hpp"
#include "target/proc_fs.hpp"

// The child's main thread blocks here; gdb must find this name in its backtrace.
extern "C" __attribute__((noinline, used)) void corostack_gcore_test_main_block(int fd) {
  char c;
  for (;;) {
    if (::read(fd, &c, 1) == 0) ::_exit(0);  // a loop, so read() is not a tail call
  }
}

namespace corostack {
namespace {

constexpr size_t kPage = 4096;
constexpr size_t kMarkerSize = 4 << 20;  // bigger than the smallest staging buffer
constexpr const char* kThreadNames[] = {"worker-a", "worker-b", "worker-c"};

// What the child tells the parent once it is ready.
struct ChildReport {
  uint64_t marker_addr;      // kMarkerSize bytes, byte i == (i * 7) & 0xff
  uint64_t truncated_addr;   // 4 pages privately mapped from a memfd cut to 1 page
  uint64_t truncated_first;  // first 8 bytes of its (written) first page
  uint64_t dontdump_addr;    // 16 written pages under MADV_DONTDUMP
};

uint8_t marker_byte(size_t i) {
  return static_cast<uint8_t>((i * 7) & 0xff);
}

void* child_thread(void* arg) {
  int fd = *static_cast<int*>(arg);
  char c;
  while (::read(fd, &c, 1) != 0) {
  }
  return nullptr;
}

[[noreturn]] void run_child(int ready_fd) {
  ::setpgid(0, 0);
  // A test runner killed before its destructors run must not leave us behind.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  int block[2];
  if (::pipe(block) != 0) ::_exit(10);
  auto* marker = static_cast<uint8_t*>(::malloc(kMarkerSize));
  for (size_t i = 0; i < kMarkerSize; ++i) marker[i] = marker_byte(i);
  // Pages past the end of a truncated file cannot be read (SIGBUS, EFAULT).
  int memfd = ::memfd_create("gcore-test", 0);
  if (memfd < 0 || ::ftruncate(memfd, 4 * kPage) != 0) ::_exit(11);
  void* map = ::mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, memfd, 0);
  if (map == MAP_FAILED) ::_exit(12);
  const uint64_t first = 0x1122334455667788ULL;
  std::memcpy(map, &first, sizeof first);
  if (::ftruncate(memfd, kPage) != 0) ::_exit(13);

  void* secret =
      ::mmap(nullptr, 16 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (secret == MAP_FAILED) ::_exit(16);
  std::memset(secret, 0x5a, 16 * kPage);
  if (::madvise(secret, 16 * kPage, MADV_DONTDUMP) != 0) ::_exit(17);

  static int read_fd = block[0];
  for (const char* name : kThreadNames) {
    pthread_t t;
    if (::pthread_create(&t, nullptr, child_thread, &read_fd) != 0) ::_exit(14);
    ::pthread_setname_np(t, name);
  }
  ChildReport report{reinterpret_cast<uint64_t>(marker), reinterpret_cast<uint64_t>(map), first,
                     reinterpret_cast<uint64_t>(secret)};
  if (::write(ready_fd, &report, sizeof report) != sizeof report) ::_exit(15);
  corostack_gcore_test_main_block(block[0]);
  ::_exit(0);
}

// The forked child; killed with its whole process group and reaped on scope exit.
class Child {
 public:
  Child() {
    int ready[2];
    if (::pipe(ready) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      run_child(ready[1]);
    }
    ::close(ready[1]);
    if (pid_ < 0) {
      ::close(ready[0]);
      return;
    }
    ::setpgid(pid_, pid_);  // also done in the child: whichever runs first
    pollfd p{ready[0], POLLIN, 0};
    if (::poll(&p, 1, 10000) == 1 &&
        ::read(ready[0], &report_, sizeof report_) == static_cast<ssize_t>(sizeof report_))
      ready_ = true;
    ::close(ready[0]);
    if (ready_) ready_ = wait_until_all_sleep();
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  const ChildReport& report() const { return report_; }

 private:
  // Every thread blocked in read(), so the states the core records are known.
  bool wait_until_all_sleep() const {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      auto tids = list_tasks(pid_);
      size_t sleeping = 0;
      for (pid_t tid : tids ? *tids : std::vector<pid_t>{}) {
        auto st = read_proc_stat(pid_, tid);
        sleeping += st && st->state == 'S';
      }
      if (tids && tids->size() == 4 && sleeping == 4) return true;
      ::usleep(5000);
    }
    return false;
  }

  pid_t pid_ = -1;
  bool ready_ = false;
  ChildReport report_{};
};

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/corostack-gcore-XXXXXX";
    if (::mkdtemp(tmpl)) path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult run(const std::string& cmd) {
  CommandResult r;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
  int status = ::pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool have_tool(const std::string& name) {
  return run("command -v " + name + " >/dev/null").exit_code == 0;
}

// std::regex would do, but trips GCC 12's -Wmaybe-uninitialized under ASan.
bool is_gdb_thread_row(const std::string& line) {
  if (line.size() < 2 || (line[0] != '*' && line[0] != ' ') || line[1] != ' ') return false;
  size_t p = line.find_first_not_of(' ', 1);
  size_t digits = p == std::string::npos ? p : line.find_first_not_of("0123456789", p);
  if (digits == std::string::npos || digits == p) return false;
  size_t word = line.find_first_not_of(' ', digits);
  return word != std::string::npos && line.compare(word, 9, "Thread 0x") == 0 &&
         line.find("(LWP ") != std::string::npos;
}

size_t count_occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

// --- A minimal independent reader of the core, for layout checks. ---

struct Note {
  std::string owner;
  uint32_t type;
  std::vector<std::byte> desc;
};

// The core is mapped, not read into the heap: children forked later copy
// this process, and a heap grown by earlier cores would make their cores big.
struct ParsedCore {
  std::span<const std::byte> bytes;
  Elf64_Ehdr ehdr{};
  std::vector<Elf64_Phdr> phdrs;
  std::vector<Note> notes;

  ParsedCore() = default;
  ParsedCore(const ParsedCore&) = delete;
  ParsedCore& operator=(const ParsedCore&) = delete;
  ~ParsedCore() {
    if (!bytes.empty()) ::munmap(const_cast<std::byte*>(bytes.data()), bytes.size());
  }

  // Bytes of the core at `addr`, or nullopt when not stored in the file.
  std::optional<std::span<const std::byte>> read(uint64_t addr, size_t size) const {
    for (const Elf64_Phdr& p : phdrs) {
      if (p.p_type != PT_LOAD || addr < p.p_vaddr || addr + size > p.p_vaddr + p.p_filesz) continue;
      size_t off = p.p_offset + (addr - p.p_vaddr);
      if (off + size > bytes.size()) return std::nullopt;
      return bytes.subspan(off, size);
    }
    return std::nullopt;
  }
  const Elf64_Phdr* load_at(uint64_t addr) const {
    for (const Elf64_Phdr& p : phdrs)
      if (p.p_type == PT_LOAD && p.p_vaddr == addr) return &p;
    return nullptr;
  }
};

std::unique_ptr<ParsedCore> parse_core(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  ::fstat(fd, &st);
  auto size = static_cast<size_t>(st.st_size);
  void* p = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (p == MAP_FAILED) return nullptr;
  auto c = std::make_unique<ParsedCore>();
  c->bytes = std::span(static_cast<const std::byte*>(p), size);
  if (size < sizeof(Elf64_Ehdr)) return nullptr;
  std::memcpy(&c->ehdr, c->bytes.data(), sizeof c->ehdr);
  for (size_t i = 0; i < c->ehdr.e_phnum; ++i) {
    Elf64_Phdr ph;
    size_t off = c->ehdr.e_phoff + i * sizeof ph;
    if (off + sizeof ph > size) return nullptr;
    std::memcpy(&ph, c->bytes.data() + off, sizeof ph);
    c->phdrs.push_back(ph);
  }
  for (const Elf64_Phdr& ph : c->phdrs) {
    if (ph.p_type != PT_NOTE) continue;
    size_t off = ph.p_offset, end = std::min<size_t>(ph.p_offset + ph.p_filesz, size);
    while (off + sizeof(Elf64_Nhdr) <= end) {
      Elf64_Nhdr h;
      std::memcpy(&h, c->bytes.data() + off, sizeof h);
      off += sizeof h;
      size_t desc = off + ((h.n_namesz + 3) & ~3u);
      if (desc + h.n_descsz > end) return nullptr;
      Note n;
      n.owner.assign(reinterpret_cast<const char*>(c->bytes.data() + off),
                     h.n_namesz ? h.n_namesz - 1 : 0);
      n.type = h.n_type;
      auto d = c->bytes.subspan(desc, h.n_descsz);
      n.desc.assign(d.begin(), d.end());
      off = desc + ((h.n_descsz + 3) & ~3u);
      c->notes.push_back(std::move(n));
    }
  }
  return c;
}

std::string proc_status_field(pid_t pid, const std::string& key) {
  auto text = read_text_file("/proc/" + std::to_string(pid) + "/status");
  if (!text) return "";
  size_t p = text->find(key + ":");
  if (p == std::string::npos) return "";
  p += key.size() + 1;
  while (p < text->size() && ((*text)[p] == ' ' || (*text)[p] == '\t')) ++p;
  return text->substr(p, text->find('\n', p) - p);
}

void expect_not_stopped(pid_t pid) {
  EXPECT_EQ(proc_status_field(pid, "TracerPid"), "0");
  std::string state = proc_status_field(pid, "State");
  ASSERT_FALSE(state.empty());
  EXPECT_NE(state[0], 't') << state;
  EXPECT_NE(state[0], 'T') << state;
}

// Spawns the child and writes its core; shared by the tests below.
struct GcoreRun {
  Child child;
  TempDir dir;
  std::string core_path;
  std::optional<CoreWriteStats> stats;
  std::string error;

  explicit GcoreRun(const CoreWriteOptions& opts = {}) {
    if (!child.ready() || dir.path().empty()) {
      error = "child did not start";
      return;
    }
    core_path = dir.path() + "/core";
    auto proc = LiveProcess::open(child.pid());
    if (!proc) {
      error = proc.error().message;
      return;
    }
    auto r = write_core(**proc, core_path, opts);
    if (!r) {
      error = r.error().message;
      return;
    }
    stats = *r;
    std::printf(
        "[ gcore    ] pause %.3f ms, %.2f MiB written (file %.2f MiB), %zu threads, "
        "%zu segments, %zu with unreadable pages\n",
        static_cast<double>(r->pause_ns) / 1e6, static_cast<double>(r->bytes_written) / (1 << 20),
        static_cast<double>(file_size()) / (1 << 20), r->threads, r->segments,
        r->segments_unreadable);
    for (const std::string& w : r->warnings) std::printf("[ gcore    ] warning: %s\n", w.c_str());
  }
  uint64_t file_size() const {
    struct stat st {};
    return ::stat(core_path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }
};

TEST(CoreWriter, WritesAValidCoreAndResumesTheTarget) {
  GcoreRun g;
  ASSERT_TRUE(g.stats) << g.error;
  expect_not_stopped(g.child.pid());
  EXPECT_NE(::access((g.core_path + ".tmp").c_str(), F_OK), 0) << "temp file left behind";
  EXPECT_EQ(g.stats->threads, 4u);
  EXPECT_GT(g.stats->bytes_written, kMarkerSize);
  EXPECT_EQ(g.stats->segments_unreadable, 1u);  // the truncated memfd mapping

  auto core = parse_core(g.core_path);
  ASSERT_TRUE(core);
  EXPECT_EQ(std::memcmp(core->ehdr.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(core->ehdr.e_type, ET_CORE);
  EXPECT_EQ(core->ehdr.e_machine, EM_X86_64);
  ASSERT_GE(core->phdrs.size(), 2u);
  EXPECT_EQ(core->phdrs[0].p_type, PT_NOTE);
  EXPECT_EQ(core->phdrs.size(), g.stats->segments + 1);
  for (size_t i = 1; i < core->phdrs.size(); ++i) {
    EXPECT_EQ(core->phdrs[i].p_type, PT_LOAD);
    EXPECT_EQ(core->phdrs[i].p_offset % kPage, 0u);
    EXPECT_LE(core->phdrs[i].p_offset + core->phdrs[i].p_filesz, core->bytes.size());
  }

  // Kernel note order: the main thread's NT_PRSTATUS, then the process notes,
  // then its register sets; then each other thread; then ours.
  ASSERT_GE(core->notes.size(), 6u);
  const uint32_t expected_first[] = {NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO,
                                     NT_AUXV,     NT_FILE,     NT_FPREGSET};
  for (size_t i = 0; i < std::size(expected_first); ++i) {
    EXPECT_EQ(core->notes[i].type, expected_first[i]) << "note " << i;
    EXPECT_EQ(core->notes[i].owner, "CORE") << "note " << i;
  }
  std::vector<pid_t> prstatus_tids;
  for (const Note& n : core->notes) {
    if (n.owner != "CORE" || n.type != NT_PRSTATUS) continue;
    ASSERT_EQ(n.desc.size(), sizeof(elf_prstatus));
    elf_prstatus st;
    std::memcpy(&st, n.desc.data(), sizeof st);
    prstatus_tids.push_back(st.pr_pid);
    EXPECT_NE(st.pr_reg[16], 0u) << "rip of " << st.pr_pid;
    EXPECT_EQ(st.pr_fpvalid, 1);
  }
  ASSERT_EQ(prstatus_tids.size(), 4u);
  EXPECT_EQ(prstatus_tids[0], g.child.pid());

  const Note& psinfo_note = core->notes[1];
  ASSERT_EQ(psinfo_note.desc.size(), sizeof(elf_prpsinfo));
  elf_prpsinfo ps;
  std::memcpy(&ps, psinfo_note.desc.data(), sizeof ps);
  EXPECT_EQ(ps.pr_pid, g.child.pid());
  EXPECT_EQ(ps.pr_pgrp, g.child.pid());
  EXPECT_EQ(ps.pr_ppid, ::getpid());

  const Note& corostack = core->notes.back();
  EXPECT_EQ(corostack.owner, kCorostackNoteOwner);
  EXPECT_EQ(corostack.type, kCorostackThreadsNote);
  ASSERT_EQ(corostack.desc.size(), 4 * kCorostackThreadRecordSize);
  std::vector<std::string> names;
  for (size_t i = 0; i < 4; ++i) {
    const std::byte* rec = corostack.desc.data() + i * kCorostackThreadRecordSize;
    uint32_t tid;
    std::memcpy(&tid, rec, 4);
    EXPECT_EQ(static_cast<pid_t>(tid), prstatus_tids[i]);
    EXPECT_EQ(static_cast<char>(rec[4]), 'S') << "thread " << tid;  // blocked in read()
    names.emplace_back(reinterpret_cast<const char*>(rec + 5),
                       strnlen(reinterpret_cast<const char*>(rec + 5), 16));
  }
  EXPECT_EQ(names[1], "worker-a");
  EXPECT_EQ(names[2], "worker-b");
  EXPECT_EQ(names[3], "worker-c");

  // Memory: the heap marker is intact, the truncated mapping's first page is
  // there and its unreadable pages are zeros.
  const ChildReport& rep = g.child.report();
  auto marker = core->read(rep.marker_addr, kMarkerSize);
  ASSERT_TRUE(marker) << "marker not in the core";
  size_t mismatches = 0;
  for (size_t i = 0; i < kMarkerSize; ++i)
    mismatches += static_cast<uint8_t>((*marker)[i]) != marker_byte(i);
  EXPECT_EQ(mismatches, 0u);
  const Elf64_Phdr* trunc = core->load_at(rep.truncated_addr);
  ASSERT_NE(trunc, nullptr);
  EXPECT_EQ(trunc->p_filesz, 4 * kPage);
  auto first = core->read(rep.truncated_addr, 8);
  ASSERT_TRUE(first);
  EXPECT_EQ(std::memcmp(first->data(), &rep.truncated_first, 8), 0);
  auto rest = core->read(rep.truncated_addr + kPage, 3 * kPage);
  ASSERT_TRUE(rest);
  EXPECT_TRUE(
      std::all_of(rest->begin(), rest->end(), [](std::byte b) { return b == std::byte{0}; }));
  // MADV_DONTDUMP memory is described but not stored, as the kernel does.
  const Elf64_Phdr* secret = core->load_at(rep.dontdump_addr);
  ASSERT_NE(secret, nullptr);
  EXPECT_EQ(secret->p_memsz, 16 * kPage);
  EXPECT_EQ(secret->p_filesz, 0u);
}

TEST(CoreWriter, SmallStagingBufferFlushesDuringThePause) {
  CoreWriteOptions opts;
  opts.staging_limit_bytes = 1 << 20;
  GcoreRun g(opts);
  ASSERT_TRUE(g.stats) << g.error;
  expect_not_stopped(g.child.pid());
  auto core = parse_core(g.core_path);
  ASSERT_TRUE(core);
  auto marker = core->read(g.child.report().marker_addr, kMarkerSize);
  ASSERT_TRUE(marker);
  for (size_t i = 0; i < kMarkerSize; i += 4093)
    ASSERT_EQ(static_cast<uint8_t>((*marker)[i]), marker_byte(i)) << i;
  bool warned = false;
  for (const std::string& w : g.stats->warnings) warned |= w.find("staging") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(CoreWriter, IncludesCodeWhenAsked) {
  CoreWriteOptions opts;
  opts.include_file_backed_readonly = true;
  GcoreRun g(opts);
  ASSERT_TRUE(g.stats) << g.error;
  auto core = parse_core(g.core_path);
  ASSERT_TRUE(core);
  auto maps_text = read_text_file("/proc/" + std::to_string(g.child.pid()) + "/maps");
  ASSERT_TRUE(maps_text);
  size_t code_maps = 0;
  for (const MemoryMap& m : parse_proc_maps(*maps_text)) {
    if (!m.executable || !m.is_file_backed()) continue;
    ++code_maps;
    const Elf64_Phdr* p = core->load_at(m.start.value());
    ASSERT_NE(p, nullptr) << m.path;
    EXPECT_EQ(p->p_filesz, m.size()) << m.path;
  }
  EXPECT_GE(code_maps, 2u);  // this executable and libc at least
}

TEST(CoreWriter, FailedRenameRemovesTheTempFileAndResumes) {
  Child child;
  ASSERT_TRUE(child.ready());
  TempDir dir;
  // Renaming a file over a non-empty directory fails after the pause.
  std::string target = dir.path() + "/occupied";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((target + "/x").c_str(), 0700), 0);
  auto proc = LiveProcess::open(child.pid());
  ASSERT_TRUE(proc);
  auto r = write_core(**proc, target, {});
  EXPECT_FALSE(r.ok());
  expect_not_stopped(child.pid());
  EXPECT_NE(::access((target + ".tmp").c_str(), F_OK), 0) << "temp file left behind";
  auto missing_dir = write_core(**proc, dir.path() + "/no/such/dir/core", {});
  EXPECT_FALSE(missing_dir.ok());
  expect_not_stopped(child.pid());
}

TEST(CoreWriter, GdbReadsThreadsAndBacktraces) {
  if (!have_tool("gdb")) GTEST_SKIP() << "*** gdb not installed: gdb compatibility NOT checked ***";
  GcoreRun g;
  ASSERT_TRUE(g.stats) << g.error;
  auto r = run("gdb -batch -nx -ex 'info threads' -ex 'thread apply all bt' '" + self_exe() +
               "' '" + g.core_path + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // "info threads" rows: "* 1    Thread 0x... (LWP n) ...", "  2    Thread ...".
  size_t rows = 0;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) rows += is_gdb_thread_row(line);
  EXPECT_EQ(rows, 4u) << r.output;
  EXPECT_NE(r.output.find("corostack_gcore_test_main_block"), std::string::npos) << r.output;
  EXPECT_EQ(count_occurrences(r.output, "child_thread"), 3u) << r.output;
  EXPECT_EQ(r.output.find("Cannot access memory"), std::string::npos) << r.output;
}

TEST(CoreWriter, EuStackReadsEveryThread) {
  if (!have_tool("eu-stack"))
    GTEST_SKIP() << "*** eu-stack (elfutils) not installed: elfutils compatibility NOT checked ***";
  GcoreRun g;
  ASSERT_TRUE(g.stats) << g.error;
  auto r = run("eu-stack --core='" + g.core_path + "' --executable='" + self_exe() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count_occurrences(r.output, "TID "), 4u) << r.output;
  EXPECT_NE(r.output.find("corostack_gcore_test_main_block"), std::string::npos) << r.output;
}

TEST(CoreWriter, CorostackCoreReaderRecoversNamesAndMemory) {
  GcoreRun g;
  ASSERT_TRUE(g.stats) << g.error;
  auto core = CoreFile::open(g.core_path, self_exe());
  ASSERT_TRUE(core) << core.error().message;
  for (const std::string& w : (*core)->warnings())
    std::printf("[ reader   ] warning: %s\n", w.c_str());
  const auto& threads = (*core)->threads();
  ASSERT_EQ(threads.size(), 4u);
  EXPECT_EQ(threads[0].tid, g.child.pid());
  EXPECT_EQ(threads[1].name, "worker-a");
  EXPECT_EQ(threads[3].name, "worker-c");
  EXPECT_EQ(threads[1].state, 'S');
  uint64_t v = 0;
  auto rd = (*core)->read(RemoteAddr(g.child.report().marker_addr + 4096),
                          std::as_writable_bytes(std::span(&v, 1)));
  ASSERT_EQ(rd.bytes, sizeof v);
  uint64_t want = 0;
  for (size_t i = 0; i < 8; ++i) want |= uint64_t{marker_byte(4096 + i)} << (8 * i);
  EXPECT_EQ(v, want);
}

// --- Pure layout and note checks. ---

MemoryMap map_of(uint64_t start, uint64_t end, const char* perms, uint64_t off, uint64_t inode,
                 const char* path) {
  MemoryMap m;
  m.start = RemoteAddr(start);
  m.end = RemoteAddr(end);
  m.set_permissions(perms);
  m.file_offset = off;
  m.inode = inode;
  m.path = path;
  return m;
}

TEST(CoreDumpLayout, DumpExtentFollowsTheKernelDefaults) {
  auto ext = [](const char* perms, uint64_t off, const char* path, bool all = false) {
    return dump_extent(map_of(0x1000, 0x9000, perms, off, 7, path), all);
  };
  EXPECT_EQ(ext("rw-p", 0, ""), DumpExtent::kWhole);
  EXPECT_EQ(ext("rw-s", 0, ""), DumpExtent::kWhole);
  EXPECT_EQ(ext("rw-p", 0, "[heap]"), DumpExtent::kWhole);
  EXPECT_EQ(ext("rw-p", 0, "[stack]"), DumpExtent::kWhole);
  EXPECT_EQ(ext("r-xp", 0, "[vdso]"), DumpExtent::kWhole);
  EXPECT_EQ(ext("r--p", 0, "[vvar]"), DumpExtent::kNone);
  EXPECT_EQ(ext("--xp", 0, "[vsyscall]"), DumpExtent::kNone);
  EXPECT_EQ(ext("---p", 0, ""), DumpExtent::kNone);
  EXPECT_EQ(ext("r--p", 0, "/usr/lib/libc.so.6"), DumpExtent::kFirstPage);
  EXPECT_EQ(ext("r-xp", 0x28000, "/usr/lib/libc.so.6"), DumpExtent::kNone);
  EXPECT_EQ(ext("r-xp", 0x28000, "/usr/lib/libc.so.6", true), DumpExtent::kWhole);
  EXPECT_EQ(ext("rw-p", 0x1f000, "/usr/lib/libc.so.6"), DumpExtent::kWhole);
  EXPECT_EQ(ext("rw-s", 0x1000, "/var/db/big.mdb"), DumpExtent::kNone);
  EXPECT_EQ(ext("rw-s", 0, "/memfd:ring (deleted)"), DumpExtent::kWhole);
  EXPECT_EQ(ext("r-xp", 0x1000, "/opt/app/bin (deleted)"), DumpExtent::kWhole);
}

TEST(CoreDumpLayout, RelroBeforeDataIsDumpedAndOffsetsArePageAligned) {
  std::vector<MemoryMap> maps = {
      map_of(0x10000, 0x12000, "r--p", 0, 5, "/lib/x.so"),
      map_of(0x12000, 0x15000, "r-xp", 0x2000, 5, "/lib/x.so"),
      map_of(0x15000, 0x16000, "r--p", 0x5000, 5, "/lib/x.so"),  // RELRO
      map_of(0x16000, 0x17000, "rw-p", 0x6000, 5, "/lib/x.so"),
      map_of(0x17000, 0x19000, "rw-p", 0, 0, ""),
  };
  auto layout = plan_dump_layout(maps, 100, false);
  ASSERT_EQ(layout.segments.size(), 5u);
  EXPECT_EQ(layout.notes_offset, sizeof(Elf64_Ehdr) + 6 * sizeof(Elf64_Phdr));
  const uint64_t sizes[] = {0x1000, 0, 0x1000, 0x1000, 0x2000};
  uint64_t expect_off = kPage;  // headers + 100 bytes of notes fit in one page
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(layout.segments[i].file_size, sizes[i]) << i;
    EXPECT_EQ(layout.segments[i].file_offset, expect_off) << i;
    expect_off += sizes[i];
  }
  EXPECT_TRUE(layout.segments[4].zero_pages_are_holes);
  EXPECT_FALSE(layout.segments[3].zero_pages_are_holes);
  EXPECT_EQ(layout.file_size, expect_off);
}

TEST(CoreDumpLayout, ExcludedRangesAreDescribedButNotDumped) {
  std::vector<MemoryMap> maps = {map_of(0x10000, 0x20000, "rw-p", 0, 0, ""),
                                 map_of(0x20000, 0x30000, "rw-p", 0, 0, ""),
                                 map_of(0x30000, 0x40000, "rw-p", 0, 0, "")};
  auto layout = plan_dump_layout(maps, 0, false, {{0x20000, 0x30000}, {0x38000, 0x40000}});
  ASSERT_EQ(layout.segments.size(), 3u);
  EXPECT_EQ(layout.segments[0].file_size, 0x10000u);
  EXPECT_EQ(layout.segments[1].file_size, 0u);
  EXPECT_EQ(layout.segments[2].file_size, 0x10000u);  // only partly covered: still dumped
}

TEST(CoreDumpLayout, ExtendedNumberingPastPnXnum) {
  std::vector<MemoryMap> maps;
  for (uint64_t i = 0; i < PN_XNUM; ++i)
    maps.push_back(map_of(0x10000 + i * 0x2000, 0x11000 + i * 0x2000, "---p", 0, 0, ""));
  auto layout = plan_dump_layout(maps, 0, false);
  auto headers = build_dump_headers(layout);
  Elf64_Ehdr eh;
  std::memcpy(&eh, headers.data(), sizeof eh);
  EXPECT_EQ(eh.e_phnum, PN_XNUM);
  ASSERT_EQ(eh.e_shnum, 1);
  Elf64_Shdr sh;
  std::memcpy(&sh, headers.data() + eh.e_shoff, sizeof sh);
  EXPECT_EQ(sh.sh_info, PN_XNUM + 1u);
  EXPECT_EQ(layout.notes_offset, headers.size());
}

TEST(CoreNotesWriter, ReaderParsesWhatTheWriterWrites) {
  DumpProcessInfo info;
  info.pid = 100;
  info.ppid = 1;
  info.state = 'S';
  info.comm = "a-very-long-command-name";
  info.args = "prog --flag";
  DumpThread main_thread, worker;
  main_thread.tid = 100;
  main_thread.name = "prog";
  main_thread.state = 'S';
  main_thread.regs_valid = true;
  main_thread.regs.rip = 0x401000;
  worker.tid = 101;
  worker.name = "a-name-longer-than-15";
  worker.state = 'R';  // registers unavailable: stays with zeros
  std::vector<MemoryMap> maps = {map_of(0x400000, 0x401000, "r--p", 0, 3, "/bin/prog"),
                                 map_of(0x401000, 0x402000, "r-xp", 0x1000, 3, "/bin/prog"),
                                 map_of(0x500000, 0x501000, "rw-p", 0, 0, "[heap]")};
  auto bytes = build_dump_notes(info, {main_thread, worker}, maps);
  CoreNotes notes;
  parse_core_notes(bytes, notes);
  finish_core_notes(notes);
  EXPECT_TRUE(notes.warnings.empty()) << notes.warnings[0];
  ASSERT_EQ(notes.threads.size(), 2u);
  EXPECT_EQ(notes.threads[0].tid, 100);
  EXPECT_EQ(notes.threads[0].regs.rip, 0x401000u);
  EXPECT_EQ(notes.threads[1].regs.rip, 0u);
  EXPECT_EQ(notes.psinfo_pid, 100);
  EXPECT_EQ(notes.fname, "a-very-long-com");  // 15 characters and a NUL
  EXPECT_EQ(notes.psargs, "prog --flag");
  ASSERT_EQ(notes.files.size(), 2u);
  EXPECT_EQ(notes.files[1].file_offset, 0x1000u);
  EXPECT_EQ(notes.files[1].path, "/bin/prog");
  ASSERT_EQ(notes.thread_info.size(), 2u);
  EXPECT_EQ(notes.thread_info[1].name, "a-name-longer-t");
  EXPECT_EQ(notes.thread_info[1].state, 'R');
}

}  // namespace
}  // namespace corostack
