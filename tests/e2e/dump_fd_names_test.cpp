// `dump` names the fd a blocked call works on, as `strace -y` does
// (`read(3<pipe:[88213]>, …)`, `epoll_wait(5<anon_inode:[eventpoll]>, …)`),
// in text and JSON, live and from a core written by `corostack gcore` (which
// records the fd table in a note). The oracle is the kernel: the
// /proc/PID/fd/N link of that fd, read by the test itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "corostack.hpp"
#include "native_target.hpp"
#include "paths.hpp"

namespace e2e {
namespace {

std::string fd_link(pid_t pid, uint64_t fd) {
  char buf[4096];
  std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

class DumpFdNames : public testing::TestWithParam<bool> {};

TEST_P(DumpFdNames, BlockedCallsNameTheirFd) {
  const bool core = GetParam();
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO2, native_threads_args(), dir, &target, &truth));
  pid_t pid = target->pid();
  std::vector<std::string> source = {"-p", std::to_string(pid)};
  if (core) {
    auto g = run_corostack({"gcore", "-p", std::to_string(pid), "-o", (dir / "core").string()});
    ASSERT_TRUE(g.ok()) << g.describe();
    source = {"--core", (dir / "core").string()};
  }
  std::vector<std::string> args = {"dump", "--json"};
  args.insert(args.end(), source.begin(), source.end());
  JsonRun run = run_corostack_json(args);
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << run.cmd.describe();
  std::set<std::string> named_calls;
  for (const auto& t : run.json["threads"]) {
    const auto& sc = t["syscall"];
    if (!sc.is_object()) continue;
    std::string name = sc["name"];
    if (name != "read" && name != "epoll_wait") continue;
    SCOPED_TRACE("thread " + t["tid"].dump() + " in " + name);
    ASSERT_TRUE(sc.contains("fd")) << sc.dump();
    uint64_t fd = std::stoull(sc["args"][0].get<std::string>(), nullptr, 16);
    EXPECT_EQ(sc["fd"]["number"].get<uint64_t>(), fd);
    std::string want = fd_link(pid, fd);
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(sc["fd"]["name"], want);
    EXPECT_EQ(want.rfind(name == "read" ? "pipe:[" : "anon_inode:[eventpoll]", 0), 0u) << want;
    named_calls.insert(name);
  }
  EXPECT_EQ(named_calls, (std::set<std::string>{"read", "epoll_wait"}));
  std::vector<std::string> text_args = {"dump"};
  text_args.insert(text_args.end(), source.begin(), source.end());
  auto text = run_corostack(text_args);
  EXPECT_NE(text.out.find("<anon_inode:[eventpoll]>, "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("in read("), std::string::npos);
  EXPECT_NE(text.out.find("<pipe:["), std::string::npos) << text.out;
}

INSTANTIATE_TEST_SUITE_P(LiveAndCore, DumpFdNames, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "core" : "live";
                         });

}  // namespace
}  // namespace e2e
