// The call table, -e trace= sets, errno and signal names.
#include <gtest/gtest.h>

#include "trace/syscall_table.hpp"

namespace corostack::trace {
namespace {

TEST(TraceSyscallTable, NumbersNamesAndArgumentCounts) {
  ASSERT_NE(syscall_spec(0), nullptr);
  EXPECT_EQ(syscall_spec(0)->name, "read");
  EXPECT_EQ(syscall_spec(0)->nargs, 3);
  EXPECT_EQ(syscall_spec(202)->name, "futex");
  EXPECT_EQ(syscall_spec(202)->nargs, 6);
  EXPECT_EQ(syscall_spec(435)->name, "clone3");
  EXPECT_EQ(syscall_spec(335), nullptr);  // the gap before 424
  EXPECT_EQ(syscall_number("openat"), 257);
  EXPECT_FALSE(syscall_number("opne"));
  EXPECT_EQ(syscall_display_name(999), "syscall_0x3e7");
  EXPECT_EQ(syscall_count(), 451);
}

TEST(TraceSyscallTable, ClassesFollowStrace) {
  EXPECT_TRUE(syscall_spec(2)->classes & kClassFile);  // open
  EXPECT_TRUE(syscall_spec(2)->classes & kClassDesc);
  EXPECT_TRUE(syscall_spec(4)->classes & kClassStat);      // stat
  EXPECT_TRUE(syscall_spec(5)->classes & kClassFstat);     // fstat
  EXPECT_TRUE(syscall_spec(39)->classes & kClassPure);     // getpid
  EXPECT_TRUE(syscall_spec(44)->classes & kClassNetwork);  // sendto
  EXPECT_TRUE(syscall_spec(228)->classes & kClassClock);   // clock_gettime
  EXPECT_TRUE(syscall_spec(105)->classes & kClassCreds);   // setuid
  EXPECT_EQ(syscall_spec(24)->classes, 0u);                // sched_yield
}

std::optional<SyscallSet> parse(std::string_view spec) {
  std::string error;
  return parse_syscall_set(spec, error);
}

TEST(TraceSyscallSet, NamesNumbersClassesAndRegex) {
  auto s = parse("openat,close,%net,1");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->contains(257));
  EXPECT_TRUE(s->contains(3));
  EXPECT_TRUE(s->contains(1));
  EXPECT_TRUE(s->contains(42));  // connect
  EXPECT_FALSE(s->contains(0));
  auto r = parse("/^epoll_");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains(232));
  EXPECT_TRUE(r->contains(291));
  EXPECT_FALSE(r->contains(0));
  auto legacy = parse("file,PROCESS");  // class names are case-insensitive
  ASSERT_TRUE(legacy);
  EXPECT_TRUE(legacy->contains(2));
  EXPECT_TRUE(legacy->contains(59));  // execve
  auto stats = parse("%%stat");
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->contains(4));
  EXPECT_TRUE(stats->contains(262));   // newfstatat
  EXPECT_TRUE(stats->contains(332));   // statx
  EXPECT_FALSE(stats->contains(137));  // statfs
}

TEST(TraceSyscallSet, InversionAllNoneAndErrors) {
  auto s = parse("!close");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->contains(3));
  EXPECT_TRUE(s->contains(0));
  EXPECT_TRUE(s->contains(5000));  // unknown numbers are in an inverted set
  EXPECT_TRUE(parse("all")->contains(0));
  EXPECT_FALSE(parse("none")->contains(0));
  EXPECT_TRUE(parse("!none")->contains(0));
  std::string error;
  EXPECT_FALSE(parse_syscall_set("opne", error));
  EXPECT_EQ(error, "invalid system call 'opne'");
  EXPECT_FALSE(parse_syscall_set("9999", error));
  EXPECT_EQ(error, "invalid system call '9999'");
  EXPECT_FALSE(parse_syscall_set("%foo", error));
  EXPECT_FALSE(parse_syscall_set("", error));
  EXPECT_EQ(error, "invalid system call ''");
  EXPECT_FALSE(parse_syscall_set("all,!close", error));
  EXPECT_EQ(error, "invalid system call '!close'");
  EXPECT_FALSE(parse_syscall_set("/[", error));
  EXPECT_NE(error.find("regcomp"), std::string::npos);
  auto q = parse_syscall_set("?opne,close", error);
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->contains(3));
}

TEST(TraceNames, ErrnoAndSignals) {
  EXPECT_EQ(errno_name(2), "ENOENT");
  EXPECT_EQ(errno_name(11), "EAGAIN");
  EXPECT_EQ(errno_name(95), "EOPNOTSUPP");
  EXPECT_EQ(errno_name(512), "ERESTARTSYS");
  EXPECT_EQ(errno_name(4000), "");
  EXPECT_EQ(errno_message(2), "No such file or directory");
  EXPECT_EQ(signal_name(17), "SIGCHLD");
  EXPECT_EQ(signal_name(32), "SIGRTMIN");
  EXPECT_EQ(signal_name(40), "SIGRT_8");
  EXPECT_EQ(signal_name(65), "65");
  std::string error;
  auto set = parse_signal_set("TERM,SIGINT,9,rt_8", error);
  ASSERT_TRUE(set);
  EXPECT_TRUE((*set)[15] && (*set)[2] && (*set)[9] && (*set)[40]);
  EXPECT_FALSE((*set)[1]);
  auto inv = parse_signal_set("!all", error);
  ASSERT_TRUE(inv);
  EXPECT_FALSE((*inv)[15]);
  EXPECT_FALSE(parse_signal_set("SIGFOO", error));
  EXPECT_EQ(error, "invalid signal 'SIGFOO'");
}

}  // namespace
}  // namespace corostack::trace
