// corostack trace against a native target, with strace as the oracle:
// syscall_mix (tests/targets/syscall_mix.cpp), started by the tracer, makes
// a fixed sequence of AF_UNIX and AF_INET socket calls, pipe2 and epoll
// calls, a fork whose child execve()s /bin/true, and a thread (clone3)
// that writes once. strace -f and corostack trace -f, given the same
// options, socket path and port, must write the same lines.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "run_command.hpp"
#include "temp_dir.hpp"
#include "trace/bpf_tracer.hpp"
#include "trace_support.hpp"

namespace e2e {
namespace {

constexpr const char* kSyscallMix = SYSCALL_MIX;
// Everything the target does of interest, nothing whose decoding depends on
// the moment: %process is execve, clone, clone3, wait4, exit and exit_group
// here; the reads are the dynamic loader's ELF headers and the target's own.
constexpr const char* kCalls =
    "trace=%network,%process,pipe2,epoll_create1,epoll_ctl,epoll_wait,write,read";

// A TCP port free now: bound to port 0, learnt, released. Both runs use it
// (the target sets SO_REUSEADDR, so the first run's TIME_WAIT is no bar).
int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

struct RawLine {
  pid_t pid = 0;
  std::string body;
};

// "PID  body" lines (-f -o FILE puts the pid first), tracer notes left out.
std::vector<RawLine> raw_lines(const std::filesystem::path& file) {
  static const std::regex leader(R"(^(\d+) +)");
  std::vector<RawLine> out;
  for (const std::string& l : read_lines(file)) {
    if (l.rfind("strace: ", 0) == 0 || l.rfind("corostack: ", 0) == 0) continue;
    std::smatch m;
    RawLine r;
    if (std::regex_search(l, m, leader)) {
      r.pid = std::stoi(m[1]);
      r.body = m.suffix();
    } else {
      r.body = l;
    }
    out.push_back(std::move(r));
  }
  return out;
}

// Lines made comparable across two runs:
//  - a call split by another process's line ("wait4(N,  <unfinished ...>"
//    ... "<... wait4 resumed>[...], 0, NULL) = N") joined again, so where
//    the kernel happened to switch does not matter, and the padding before
//    " = " (which depends on the split) reduced to one space;
//  - each line prefixed with the role of its process: main, child (the
//    fork that execve()s) or thread; pids in the lines replaced by the
//    role, where a pid is printed (clone's result, wait4's, si_pid,
//    parent_tid), never as a blanket: a pid may equal a length or a port;
//  - addresses, inodes, environment sizes as normalize_trace_line, and the
//    child's CPU ticks in SIGCHLD's siginfo.
std::vector<std::string> comparable_lines(const std::filesystem::path& file) {
  std::vector<RawLine> raw = raw_lines(file);
  std::vector<RawLine> joined;
  std::map<pid_t, std::string> open;
  static const std::regex resumed(R"(^<\.\.\. [a-z0-9_]+ resumed>)");
  for (RawLine& r : raw) {
    const std::string unfinished = " <unfinished ...>";
    if (r.body.size() > unfinished.size() &&
        r.body.compare(r.body.size() - unfinished.size(), unfinished.size(), unfinished) == 0) {
      open[r.pid] = r.body.substr(0, r.body.size() - unfinished.size());
      continue;
    }
    std::smatch m;
    if (auto it = open.find(r.pid); it != open.end() && std::regex_search(r.body, m, resumed)) {
      r.body = it->second + m.suffix().str();
      open.erase(it);
    }
    joined.push_back(std::move(r));
  }
  for (auto& [pid, text] : open) joined.push_back({pid, text + " <unfinished ...>"});

  // Roles: the first line's process is main; another that execve()s is the
  // forked child; any other is the thread.
  std::map<pid_t, std::string> role;
  if (!joined.empty()) role[joined.front().pid] = "MAIN";
  for (const RawLine& r : joined)
    if (!role.count(r.pid) && r.body.rfind("execve(", 0) == 0) role[r.pid] = "CHILD";
  for (const RawLine& r : joined)
    if (!role.count(r.pid)) role[r.pid] = "THREAD";

  static const std::regex padding(R"(\) +(= ))");
  static const std::regex ticks(R"(si_utime=\d+, si_stime=\d+)");
  std::vector<std::string> out;
  for (const RawLine& r : joined) {
    // No blanket pid replacement in normalize_trace_line: a pid it cannot meet.
    std::string s = normalize_trace_line(r.body, std::numeric_limits<pid_t>::max());
    s = std::regex_replace(s, padding, ") $1");
    s = std::regex_replace(s, ticks, "si_utime=N, si_stime=N");
    for (const auto& [pid, name] : role) {
      std::string n = std::to_string(pid);
      std::regex result("^((?:clone|clone3|fork|vfork|wait4)\\(.*\\) = )" + n + "$");
      std::regex argument("(^wait4\\(|si_pid=|parent_tid=\\[)" + n + "\\b");
      s = std::regex_replace(s, result, "$1" + name);
      s = std::regex_replace(s, argument, "$1" + name);
    }
    out.push_back(role[r.pid] + ": " + s);
  }
  return out;
}

std::string listed(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += "  " + l + "\n";
  return s;
}

class TraceNativeOracleTest : public testing::Test {
 protected:
  void SetUp() override {
    if (run_command({"strace", "-V"}).exit_code != 0)
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] strace is not installed (the oracle)";
  }
};

// Runs the target under strace and under corostack with the same options;
// returns both outputs made comparable (sorted: processes interleave as the
// kernel schedules them; each line keeps its process's role).
void run_both(const std::vector<std::string>& options, int port, std::vector<std::string>* want,
              std::vector<std::string>* got, const std::string& backend = "ptrace") {
  TempDir dir;
  std::string sock = (dir / "mix.sock").string();
  ASSERT_LT(sock.size(), 108u) << "too long for sun_path: " << sock;
  std::vector<std::string> target = {kSyscallMix, sock, std::to_string(port)};

  auto s_out = dir / "strace.out";
  std::vector<std::string> s_args = {"strace", "-f"};
  s_args.insert(s_args.end(), options.begin(), options.end());
  s_args.insert(s_args.end(), {"-o", s_out.string(), "--"});
  s_args.insert(s_args.end(), target.begin(), target.end());
  CommandResult s = run_command(s_args);
  ASSERT_TRUE(s.ok()) << s.describe();

  std::filesystem::remove(sock);
  auto c_out = dir / "corostack.out";
  std::vector<std::string> c_args = {COROSTACK_BIN, "trace", "--backend", backend, "-f"};
  c_args.insert(c_args.end(), options.begin(), options.end());
  c_args.insert(c_args.end(), {"-o", c_out.string(), "--"});
  c_args.insert(c_args.end(), target.begin(), target.end());
  CommandResult c = run_command(c_args);
  ASSERT_TRUE(c.ok()) << c.describe();
  EXPECT_FALSE(std::filesystem::exists(sock)) << "the target did not get to its unlink";
  // With -o, strace says nothing on stderr of the children and threads it
  // follows; neither may corostack.
  EXPECT_EQ(s.err.find("attached"), std::string::npos) << s.err;
  if (backend == "ptrace") {
    EXPECT_EQ(c.err.find("attached"), std::string::npos) << c.err;
  }

  *want = comparable_lines(s_out);
  *got = comparable_lines(c_out);
  std::sort(want->begin(), want->end());
  std::sort(got->begin(), got->end());
}

TEST_F(TraceNativeOracleTest, SocketsPipesEpollForkExecCloneMatchStrace) {
  int port = free_tcp_port();
  ASSERT_NE(port, 0) << "no free TCP port on 127.0.0.1";
  std::vector<std::string> want, got;
  run_both({"-e", kCalls}, port, &want, &got);
  if (HasFatalFailure()) return;
  // The oracle saw what the target does (else equal lists prove little).
  for (const std::string& line : {
           std::string("MAIN: epoll_wait(5, [{events=EPOLLIN, data={u32=3, u64=3}}], 4, 0) = 1"),
           std::string("CHILD: execve(\"/bin/true\", [\"/bin/true\"], 0xADDR /* N vars */) = 0"),
           std::string("MAIN: wait4(CHILD, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = "
                       "CHILD"),
           std::string("THREAD: write(4, \"from thread\", 11) = 11"),
           std::string("MAIN: getsockname(3, {sa_family=AF_INET, sin_port=htons(") +
               std::to_string(port) + "), sin_addr=inet_addr(\"127.0.0.1\")}, [16]) = 0",
       })
    EXPECT_NE(std::find(want.begin(), want.end(), line), want.end())
        << "strace has no line '" << line << "':\n"
        << listed(want);
  EXPECT_EQ(got, want) << "strace:\n" << listed(want) << "corostack:\n" << listed(got);
  if (!HasFailure()) std::cout << "trace native: " << want.size() << " lines as strace\n";
}

// -yy: fds named with their socket's endpoints, UNIX peers included (through
// sock_diag, inside the analysis sandbox).
TEST_F(TraceNativeOracleTest, SocketEndpointsMatchStrace) {
  int port = free_tcp_port();
  ASSERT_NE(port, 0) << "no free TCP port on 127.0.0.1";
  std::vector<std::string> want, got;
  run_both({"-yy", "-e", "trace=bind,listen,accept4,connect,sendto,recvfrom,getsockname"}, port,
           &want, &got);
  if (HasFatalFailure()) return;
  bool peer = std::any_of(want.begin(), want.end(), [](const std::string& l) {
    return l.find("UNIX-STREAM:[") != std::string::npos && l.find("->") != std::string::npos;
  });
  EXPECT_TRUE(peer) << "strace shows no UNIX peer:\n" << listed(want);
  // listen() on a TCP socket bound but not yet listening: strace names it by
  // its address (inet_diag), though /proc/net/tcp does not list it.
  const std::string bound = "listen(3<TCP:[127.0.0.1:" + std::to_string(port) + "]>";
  bool named = std::any_of(want.begin(), want.end(), [&](const std::string& l) {
    return l.find(bound) != std::string::npos;
  });
  EXPECT_TRUE(named) << "strace does not name the bound socket:\n" << listed(want);
  // Inodes of connected UNIX sockets and the client's ephemeral port differ
  // from run to run; the listening port is the same in both.
  auto steady = [port](std::vector<std::string> lines) {
    static const std::regex pair(R"(UNIX-STREAM:\[\d+->\d+)");
    static const std::regex single(R"(UNIX-STREAM:\[\d+)");
    const std::regex ephemeral("127\\.0\\.0\\.1:(?!" + std::to_string(port) + "\\b)\\d+");
    for (std::string& l : lines) {
      l = std::regex_replace(l, pair, "UNIX-STREAM:[INODE->INODE");
      l = std::regex_replace(l, single, "UNIX-STREAM:[INODE");
      l = std::regex_replace(l, ephemeral, "127.0.0.1:EPHEMERAL");
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  want = steady(want);
  got = steady(got);
  EXPECT_EQ(got, want) << "strace:\n" << listed(want) << "corostack:\n" << listed(got);
}

// --native against strace -k: each call's stack as "call: module [offset]"
// frames, innermost first, where offset is the pc's place in its module (the
// same in every run, whatever ASLR does). Symbol names are not compared:
// strace takes libc's from .dynsym (a static function shows as the exported
// one before it), corostack from the symbol table of libc's debug file when
// one is installed. A stack belongs to the call line it follows (or the
// "<... resumed>" line of the same process).
std::vector<std::string> call_stacks(const std::filesystem::path& file,
                                     std::map<std::string, std::vector<std::string>>* named) {
  static const std::regex call(R"(^(\d+) +(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>))");
  static const std::regex frame(R"(^ > (.*?)\((.*)\) \[(0x[0-9a-f]+)\]$)");
  std::vector<std::string> out;
  std::string current;  // "write: " and the frames so far
  auto flush = [&] {
    if (!current.empty()) out.push_back(current);
    current.clear();
  };
  std::string last_call;
  for (const std::string& l : read_lines(file)) {
    std::smatch m;
    if (std::regex_search(l, m, frame)) {
      if (last_call.empty()) continue;
      if (current.empty()) current = last_call + ":";
      std::string module = std::filesystem::path(m[1].str()).filename().string();
      current += " " + module + " [" + m[3].str() + "]";
      if (named) (*named)[last_call].push_back(module + ":" + m[2].str());
      continue;
    }
    flush();
    last_call = std::regex_search(l, m, call) ? m[2].str() : "";
  }
  flush();
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(TraceNativeOracleTest, NativeStacksMatchStraceK) {
  int port = free_tcp_port();
  ASSERT_NE(port, 0) << "no free TCP port on 127.0.0.1";
  TempDir dir;
  std::string sock = (dir / "mix.sock").string();
  const std::string calls = "trace=write,pipe2,socket,bind,listen,epoll_ctl";
  std::vector<std::string> target = {kSyscallMix, sock, std::to_string(port)};
  auto s_out = dir / "strace.out";
  std::vector<std::string> s_args = {"strace", "-f", "-k", "-e", calls, "-o", s_out.string(), "--"};
  s_args.insert(s_args.end(), target.begin(), target.end());
  CommandResult s = run_command(s_args);
  ASSERT_TRUE(s.ok()) << s.describe();
  std::filesystem::remove(sock);
  auto c_out = dir / "corostack.out";
  std::vector<std::string> c_args = {COROSTACK_BIN, "trace", "--native",     "-f", "-e",
                                     calls,         "-o",    c_out.string(), "--"};
  c_args.insert(c_args.end(), target.begin(), target.end());
  CommandResult c = run_command(c_args);
  ASSERT_TRUE(c.ok()) << c.describe();

  std::map<std::string, std::vector<std::string>> names;
  auto want = call_stacks(s_out, nullptr);
  auto got = call_stacks(c_out, &names);
  ASSERT_GE(want.size(), 6u) << "strace -k printed too few stacks:\n" << listed(want);
  EXPECT_EQ(got, want) << "strace -k:\n" << listed(want) << "corostack --native:\n" << listed(got);
  // The target's own functions, by the names in its source: main makes the
  // pipe2, thread_main the thread's write.
  auto has = [&](const std::string& call, const std::string& function) {
    for (const std::string& f : names[call])
      if (f.rfind("syscall_mix:", 0) == 0 && f.find(function + "+0x") != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(has("pipe2", "main")) << listed(names["pipe2"]);
  EXPECT_TRUE(has("write", "thread_main(void*)")) << listed(names["write"]);
  if (!HasFailure()) std::cout << "trace --native: " << got.size() << " stacks as strace -k\n";
}

// The in-kernel backend decodes the same calls from the bytes it copies
// when each call returns. What it cannot show, by design, is normalised away
// on both sides: signals (it sees none) and what clone3's parent_tid points
// to. What a call overwrites or replaces is read at entry: the length
// accept4 and getsockname were offered ("[110 => 2]" as strace prints it),
// and execve's path, argv and envp count (the child's execve of /bin/true).
TEST_F(TraceNativeOracleTest, BpfBackendMatchesStrace) {
  std::string why;
  if (!corostack::trace::bpf_supported(&why))
    GTEST_SKIP() << "*** eBPF trace backend NOT TESTED on this machine: " << why;
  int port = free_tcp_port();
  ASSERT_NE(port, 0) << "no free TCP port on 127.0.0.1";
  std::vector<std::string> want, got;
  run_both({"-e", std::string(kCalls) + ",getsockname,accept4,poll"}, port, &want, &got, "bpf");
  if (HasFatalFailure()) return;
  auto known = [](std::vector<std::string> lines) {
    static const std::regex parent_tid(R"( => \{parent_tid=[^}]*\})");
    std::vector<std::string> out;
    for (std::string& l : lines) {
      if (l.find(": --- SIG") != std::string::npos) continue;
      l = std::regex_replace(l, parent_tid, "");
      out.push_back(l);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  want = known(want);
  got = known(got);
  for (const std::string& line :
       {std::string("MAIN: epoll_wait(5, [{events=EPOLLIN, data={u32=3, u64=3}}], 4, 0) = 1"),
        std::string("THREAD: write(4, \"from thread\", 11) = 11"),
        std::string("MAIN: accept4(3, {sa_family=AF_UNIX}, [110 => 2], SOCK_CLOEXEC) = 5"),
        std::string("CHILD: execve(\"/bin/true\", [\"/bin/true\"], 0xADDR /* N vars */) = 0")})
    EXPECT_TRUE(std::find(want.begin(), want.end(), line) != want.end()) << line << "\n"
                                                                         << listed(want);
  EXPECT_EQ(got, want) << "strace:\n"
                       << listed(want) << "corostack --backend bpf:\n"
                       << listed(got);
}

}  // namespace
}  // namespace e2e
