// The eBPF trace backend (src/trace/bpf_tracer.hpp) against a target that
// makes a known sequence of calls and writes down what it did
// (tests/targets/bpf_syscall_target.cpp): every call seen once, with the
// copied arguments the decoders need, count_only totals, the in-kernel
// number filter, follow_forks, and nothing left in the kernel afterwards.
//
// eBPF needs root (or CAP_BPF+CAP_PERFMON) and a kernel with BTF; elsewhere
// these tests skip, saying why.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process_state.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"
#include "trace/bpf_tracer.hpp"
#include "trace/copied_memory.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;
using corostack::RemoteAddr;
using corostack::trace::BpfCallStats;
using corostack::trace::BpfSyscallRecord;
using corostack::trace::BpfTraceOptions;
using corostack::trace::BpfTracer;
using corostack::trace::CopiedMemory;

#define SKIP_WITHOUT_BPF()                                                          \
  do {                                                                              \
    std::string why;                                                                \
    if (!corostack::trace::bpf_supported(&why))                                     \
      GTEST_SKIP() << "*** eBPF trace backend NOT TESTED on this machine: " << why; \
  } while (0)

std::map<std::string, std::string> read_truth(const std::filesystem::path& path) {
  std::map<std::string, std::string> kv;
  std::ifstream in(path);
  std::string key, value;
  while (in >> key && std::getline(in >> std::ws, value)) kv[key] = value;
  return kv;
}

struct TraceRun {
  std::map<std::string, std::string> truth;
  std::vector<BpfSyscallRecord> records;
  std::vector<std::pair<int64_t, BpfCallStats>> stats;
  std::vector<BpfSyscallRecord> in_flight;
  uint64_t dropped = 0;
  int exit_status = -1;

  long num(const std::string& key) const {
    auto it = truth.find(key);
    return it == truth.end() ? -999999 : std::stol(it->second);
  }
  std::vector<const BpfSyscallRecord*> of(pid_t tgid, int64_t nr) const {
    std::vector<const BpfSyscallRecord*> out;
    for (const auto& r : records)
      if (r.tgid == tgid && r.nr == nr) out.push_back(&r);
    return out;
  }
  const BpfCallStats* stat(int64_t nr) const {
    for (const auto& [n, s] : stats)
      if (n == nr) return &s;
    return nullptr;
  }
};

// Starts the target, traces it with `options` from before its first call of
// interest until it exited, and returns everything the tracer reported.
void trace_target(BpfTraceOptions options, bool fork, TraceRun& run) {
  TempDir dir;
  auto fifo = dir / "go";
  auto truth = dir / "truth";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  TargetProcess target(
      {BPF_SYSCALL_TARGET, "{ready_fd}", fifo.string(), truth.string(), fork ? "fork" : "nofork"});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true));  // blocked reading the FIFO

  options.tgid = target.pid();
  auto tracer = BpfTracer::open(options);
  ASSERT_TRUE(tracer.ok()) << tracer.error().message;

  int go = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_GE(go, 0) << std::strerror(errno);
  ASSERT_EQ(write(go, "g", 1), 1);
  close(go);

  auto collect = [&](const BpfSyscallRecord& r) { run.records.push_back(r); };
  auto deadline = std::chrono::steady_clock::now() + 30s;
  std::optional<int> status;
  while (!(status = target.wait_exit(0ms))) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "target did not exit";
    auto n = (*tracer)->poll(20, collect);
    ASSERT_TRUE(n.ok()) << n.error().message;
  }
  // The target is gone: whatever it did is in the ring by now.
  for (;;) {
    auto n = (*tracer)->poll(0, collect);
    ASSERT_TRUE(n.ok()) << n.error().message;
    if (*n == 0) break;
  }
  run.exit_status = *status;
  run.stats = (*tracer)->stats();
  run.in_flight = (*tracer)->in_flight();
  run.dropped = (*tracer)->dropped();
  run.truth = read_truth(truth);
  ASSERT_EQ(run.num("pid"), target.pid()) << "no truth from the target:\n" << target.output();
}

std::string bytes_text(const std::vector<std::byte>& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

TEST(BpfTracer, RecordsMatchTheTargetsTruth) {
  SKIP_WITHOUT_BPF();
  TraceRun run;
  BpfTraceOptions options;
  options.copy_limit = 256;
  ASSERT_NO_FATAL_FAILURE(trace_target(options, /*fork=*/false, run));
  EXPECT_EQ(run.exit_status, 0);
  EXPECT_EQ(run.dropped, 0u);
  pid_t pid = static_cast<pid_t>(run.num("pid"));

  // getppid x1000, each returning the parent, in order, with sane durations.
  auto getppid = run.of(pid, SYS_getppid);
  ASSERT_EQ(static_cast<long>(getppid.size()), run.num("getppid_calls"));
  uint64_t previous_exit = 0;
  for (const auto* r : getppid) {
    EXPECT_EQ(r->tid, pid);
    EXPECT_EQ(r->ret, run.num("parent"));
    EXPECT_FALSE(r->entered_before_trace);
    EXPECT_GT(r->enter_ns, 0u);
    EXPECT_LE(r->enter_ns, r->exit_ns);
    EXPECT_LT(r->exit_ns - r->enter_ns, 1'000'000'000u);  // getppid never takes a second
    EXPECT_GE(r->enter_ns, previous_exit);                // one thread: calls do not overlap
    previous_exit = r->exit_ns;
  }

  // openat of the missing path: ENOENT, the path copied with its NUL.
  std::string path = run.truth["openat_path"];
  const BpfSyscallRecord* open_rec = nullptr;
  for (const auto* r : run.of(pid, SYS_openat))
    if (!r->copies.empty() && bytes_text(r->copies[0].bytes) == path + '\0') open_rec = r;
  ASSERT_NE(open_rec, nullptr) << "no openat of " << path;
  EXPECT_EQ(open_rec->ret, -run.num("openat_errno"));
  // An int argument: the kernel reads the low 32 bits of the register only.
  EXPECT_EQ(static_cast<int32_t>(open_rec->args[0]), AT_FDCWD);
  EXPECT_EQ(open_rec->args[1], static_cast<uint64_t>(run.num("openat_addr")));
  EXPECT_EQ(open_rec->copies[0].addr, open_rec->args[1]);

  // write to /dev/null: the data copied from the target's address.
  const std::string payload = "corostack-bpf-write-payload\n";
  const BpfSyscallRecord* write_rec = nullptr;
  for (const auto* r : run.of(pid, SYS_write))
    if (static_cast<long>(r->args[0]) == run.num("write_fd")) write_rec = r;
  ASSERT_NE(write_rec, nullptr);
  EXPECT_EQ(write_rec->ret, run.num("write_ret"));
  EXPECT_EQ(write_rec->args[1], static_cast<uint64_t>(run.num("write_addr")));
  ASSERT_EQ(write_rec->copies.size(), 1u);
  EXPECT_EQ(bytes_text(write_rec->copies[0].bytes), payload);

  // The decoders read the copies as target memory; nothing else is readable.
  CopiedMemory mem(write_rec->copies);
  std::vector<std::byte> buf(payload.size());
  EXPECT_TRUE(mem.read(RemoteAddr(write_rec->args[1]), buf).complete(buf.size()));
  EXPECT_EQ(bytes_text(buf), payload);
  EXPECT_EQ(mem.read(RemoteAddr(write_rec->args[1] - 1), buf).bytes, 0u);
  EXPECT_EQ(mem.read(RemoteAddr(write_rec->args[1] + 1), buf).bytes, payload.size() - 1);

  // The pipe read: ret bytes copied at exit.
  const BpfSyscallRecord* read_rec = nullptr;
  for (const auto* r : run.of(pid, SYS_read))
    if (static_cast<long>(r->args[0]) == run.num("pipe_read_fd")) read_rec = r;
  ASSERT_NE(read_rec, nullptr);
  EXPECT_EQ(read_rec->ret, 4);
  ASSERT_EQ(read_rec->copies.size(), 1u);
  EXPECT_EQ(bytes_text(read_rec->copies[0].bytes), "ping");

  // The read of the go byte was already blocked when tracing began.
  bool saw_go = false;
  for (const auto* r : run.of(pid, SYS_read))
    if (r->entered_before_trace && r->ret == 1 && !r->copies.empty() &&
        bytes_text(r->copies[0].bytes) == "g")
      saw_go = true;
  EXPECT_TRUE(saw_go);

  // exit_group never returns: reported as such when the thread exits.
  auto exits = run.of(pid, SYS_exit_group);
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_TRUE(exits[0]->exited_in_call);
  EXPECT_EQ(exits[0]->args[0], 0u);

  EXPECT_TRUE(run.in_flight.empty()) << run.in_flight.size() << " calls left in flight";
}

TEST(BpfTracer, CountOnlyTotals) {
  SKIP_WITHOUT_BPF();
  TraceRun run;
  BpfTraceOptions options;
  options.count_only = true;
  ASSERT_NO_FATAL_FAILURE(trace_target(options, /*fork=*/false, run));
  EXPECT_TRUE(run.records.empty()) << run.records.size() << " records in count_only mode";
  const BpfCallStats* s = run.stat(SYS_getppid);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(static_cast<long>(s->calls), run.num("getppid_calls"));
  EXPECT_EQ(s->errors, 0u);
  EXPECT_GT(s->min_ns, 0u);
  EXPECT_LE(s->min_ns, s->total_ns / s->calls);
  EXPECT_GE(s->max_ns, s->total_ns / s->calls);
  const BpfCallStats* open_stats = run.stat(SYS_openat);
  ASSERT_NE(open_stats, nullptr);
  EXPECT_GE(open_stats->errors, 1u);  // the ENOENT
  EXPECT_EQ(run.dropped, 0u);
}

TEST(BpfTracer, FiltersCallNumbersInTheKernel) {
  SKIP_WITHOUT_BPF();
  TraceRun run;
  BpfTraceOptions options;
  options.traced_nrs.assign(SYS_openat + 1, false);
  options.traced_nrs[SYS_getppid] = true;
  options.traced_nrs[SYS_openat] = true;
  options.trace_unknown = false;
  ASSERT_NO_FATAL_FAILURE(trace_target(options, /*fork=*/false, run));
  pid_t pid = static_cast<pid_t>(run.num("pid"));
  for (const auto& r : run.records)
    EXPECT_TRUE(r.nr == SYS_getppid || r.nr == SYS_openat) << "untraced call " << r.nr;
  EXPECT_EQ(static_cast<long>(run.of(pid, SYS_getppid).size()), run.num("getppid_calls"));
  EXPECT_FALSE(run.of(pid, SYS_openat).empty());
}

TEST(BpfTracer, FollowsForks) {
  SKIP_WITHOUT_BPF();
  TraceRun with;
  BpfTraceOptions options;
  options.follow_forks = true;
  ASSERT_NO_FATAL_FAILURE(trace_target(options, /*fork=*/true, with));
  pid_t child = static_cast<pid_t>(with.num("child_pid"));
  ASSERT_GT(child, 0);
  auto calls = with.of(child, SYS_getppid);
  EXPECT_EQ(static_cast<long>(calls.size()), with.num("child_getppid_calls"));
  for (const auto* r : calls) {
    EXPECT_EQ(r->tid, child);
    EXPECT_EQ(r->ret, with.num("pid"));
  }
  // The parent's calls are all still there.
  EXPECT_EQ(static_cast<long>(with.of(static_cast<pid_t>(with.num("pid")), SYS_getppid).size()),
            with.num("getppid_calls"));

  TraceRun without;
  options.follow_forks = false;
  ASSERT_NO_FATAL_FAILURE(trace_target(options, /*fork=*/true, without));
  pid_t other_child = static_cast<pid_t>(without.num("child_pid"));
  for (const auto& r : without.records) EXPECT_NE(r.tgid, other_child);
}

// A program id that still resolves means the program is still in the kernel.
TEST(BpfTracer, LeavesNothingInTheKernel) {
  SKIP_WITHOUT_BPF();
  BpfTraceOptions options;
  options.tgid = getpid();
  options.follow_forks = true;
  std::vector<uint32_t> ids;
  {
    auto tracer = BpfTracer::open(options);
    ASSERT_TRUE(tracer.ok()) << tracer.error().message;
    ids = (*tracer)->program_ids();
    ASSERT_EQ(ids.size(), 4u);  // sys_enter, sys_exit, fork, exit
    for (uint32_t id : ids) EXPECT_TRUE(bpf_program_exists(id)) << id;
  }
  // Programs are freed after an RCU grace period, not at close.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (uint32_t id : ids) {
    while (bpf_program_exists(id) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(bpf_program_exists(id)) << "program " << id << " still loaded after destroy";
  }
}

TEST(BpfTracer, SaysWhyWhenThereIsNoProcess) {
  SKIP_WITHOUT_BPF();
  BpfTraceOptions options;
  options.tgid = 0x3ffffff;  // above pid_max's ceiling
  auto tracer = BpfTracer::open(options);
  ASSERT_FALSE(tracer.ok());
  EXPECT_EQ(tracer.error().kind, corostack::ErrorKind::kNotFound);
}

}  // namespace
}  // namespace e2e
