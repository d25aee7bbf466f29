// parse_bpf_record on records laid out as the kernel program writes them
// (trace/bpf/syscall_trace.h): a write with its data, a failed copy, Python
// frames before the copies, and hostile headers whose counts and lengths
// point past the record.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "trace/bpf/syscall_trace.h"
#include "trace/bpf_record.hpp"

namespace corostack::trace {
namespace {

std::vector<std::byte> record(const ct_record& hdr, const std::string& tail) {
  std::vector<std::byte> out(sizeof hdr + tail.size());
  std::memcpy(out.data(), &hdr, sizeof hdr);
  std::memcpy(out.data() + sizeof hdr, tail.data(), tail.size());
  return out;
}

// Structs as the kernel lays them after the header (frames, copy headers).
template <typename T>
std::string raw(const std::vector<T>& items) {
  std::string out(items.size() * sizeof(T), '\0');
  std::memcpy(out.data(), items.data(), out.size());
  return out;
}

TEST(BpfRecord, AWriteWithItsData) {
  ct_record h{};
  h.tid = 11;
  h.tgid = 10;
  h.nr = 1;
  h.args[0] = 3;
  h.args[1] = 0x1000;
  h.args[2] = 5;
  h.ret = 5;
  h.n_copies = 1;
  h.copies[0] = {0x1000, 5, 0};
  BpfSyscallRecord r;
  ASSERT_TRUE(parse_bpf_record(record(h, "hello"), r));
  EXPECT_EQ(r.tid, 11);
  EXPECT_EQ(r.tgid, 10);
  EXPECT_EQ(r.nr, 1);
  EXPECT_EQ(r.ret, 5);
  ASSERT_EQ(r.copies.size(), 1u);
  EXPECT_EQ(r.copies[0].addr, 0x1000u);
  ASSERT_EQ(r.copies[0].bytes.size(), 5u);
  EXPECT_EQ(static_cast<char>(r.copies[0].bytes[4]), 'o');
  EXPECT_EQ(r.copies[0].error, 0);
  EXPECT_FALSE(r.entered_before_trace);
  EXPECT_FALSE(r.exited_in_call);
}

TEST(BpfRecord, AFailedCopyCarriesItsErrno) {
  ct_record h{};
  h.flags = CT_F_NO_ENTRY | CT_F_EXITED;
  h.n_copies = 1;
  h.copies[0] = {0x2000, 0, static_cast<__u32>(-14)};
  BpfSyscallRecord r;
  ASSERT_TRUE(parse_bpf_record(record(h, ""), r));
  ASSERT_EQ(r.copies.size(), 1u);
  EXPECT_EQ(r.copies[0].error, 14);  // EFAULT
  EXPECT_TRUE(r.copies[0].bytes.empty());
  EXPECT_TRUE(r.entered_before_trace);
  EXPECT_TRUE(r.exited_in_call);
}

TEST(BpfRecord, TheLengthOfferedAtEntry) {
  ct_record h{};
  h.nr = 288;  // accept4
  BpfSyscallRecord r;
  r.entry_len = 1;  // from an earlier record: must not survive
  ASSERT_TRUE(parse_bpf_record(record(h, ""), r));
  EXPECT_FALSE(r.entry_len.has_value());
  h.entry_len = 110;
  h.has_entry_len = 1;
  ASSERT_TRUE(parse_bpf_record(record(h, ""), r));
  ASSERT_TRUE(r.entry_len.has_value());
  EXPECT_EQ(*r.entry_len, 110u);
}

TEST(BpfRecord, HostileCountsStayInsideTheRecord) {
  ct_record h{};
  h.n_copies = 0xffffffffu;
  h.copies[0] = {0x1000, 0xffffffffu, 0x80000000u};
  h.copies[1] = {0x2000, 0xffffffffu, 0};
  BpfSyscallRecord r;
  ASSERT_TRUE(parse_bpf_record(record(h, "abc"), r));
  ASSERT_EQ(r.copies.size(), 2u);
  EXPECT_EQ(r.copies[0].bytes.size(), 3u);
  EXPECT_TRUE(r.copies[1].bytes.empty());
  EXPECT_NE(r.copies[0].error, 0);
  std::vector<std::byte> shorter(sizeof(ct_record) - 1);
  EXPECT_FALSE(parse_bpf_record(shorter, r));
}

// execve: its copies were read at entry and come after the record's own.
TEST(BpfRecord, ExecveCopiesFollowTheRecordsOwn) {
  ct_record h{};
  h.nr = 59;
  h.args[0] = 0x1000;
  h.args[1] = 0x3000;
  h.n_copies = 0;
  h.n_extra = 3;
  std::string path("/bin/true\0", 10), arg("-v\0", 3), argv(24, '\0');
  uint64_t ptrs[2] = {0x2000, 0};
  std::memcpy(argv.data(), ptrs, sizeof ptrs);
  argv.resize(16);
  std::string tail =
      raw<ct_copy_hdr>({{0x1000, 10, 0}, {0x2000, 3, 0}, {0x3000, 16, 0}}) + path + arg + argv;
  BpfSyscallRecord r;
  ASSERT_TRUE(parse_bpf_record(record(h, tail), r));
  ASSERT_EQ(r.copies.size(), 3u);
  EXPECT_EQ(r.copies[0].addr, 0x1000u);
  EXPECT_EQ(r.copies[0].bytes.size(), 10u);
  EXPECT_EQ(static_cast<char>(r.copies[0].bytes[1]), 'b');
  EXPECT_EQ(r.copies[1].addr, 0x2000u);
  EXPECT_EQ(static_cast<char>(r.copies[1].bytes[1]), 'v');
  EXPECT_EQ(r.copies[2].addr, 0x3000u);
  EXPECT_EQ(r.copies[2].bytes.size(), 16u);
}

TEST(BpfRecord, HostileExecveCountsStayInsideTheRecord) {
  ct_record h{};
  h.nr = 59;
  h.n_extra = 0xffffffffu;
  // Two headers, whose lengths run past the bytes present.
  std::string tail =
      raw<ct_copy_hdr>({{0x1000, 0xffffffffu, 0}, {0x2000, 7, 0x80000000u}}) + "abcdefgh";
  BpfSyscallRecord r;
  r.copies.resize(5);  // from an earlier record: must not survive
  ASSERT_TRUE(parse_bpf_record(record(h, tail), r));
  ASSERT_EQ(r.copies.size(), 2u);
  EXPECT_EQ(r.copies[0].bytes.size(), 8u);
  EXPECT_TRUE(r.copies[1].bytes.empty());
  EXPECT_NE(r.copies[1].error, 0);
}

TEST(BpfRecord, PythonFramesComeBeforeTheCopies) {
  ct_record h{};
  h.nr = 1;
  h.n_copies = 1;
  h.copies[0] = {0x1000, 5, 0};
  h.py_n = 2;
  h.py_status = CT_PY_OK;
  std::vector<ct_py_frame> fs(2);
  fs[0].code = 0x7f0000001003;  // a tagged 3.14 reference stays as read
  fs[0].pos = 0x7f0000001080;
  fs[0].tlbc_index = 2;
  fs[0].owner = 1;
  fs[1].code = 0x7f0000002000;
  fs[1].pos = static_cast<__u64>(-1);  // f_lasti -1, sign-extended
  fs[1].tlbc_index = -1;
  BpfSyscallRecord r;
  ASSERT_TRUE(parse_bpf_record(record(h, raw(fs) + "hello"), r));
  ASSERT_EQ(r.python.size(), 2u);
  EXPECT_EQ(r.python_status, BpfPyStatus::kOk);
  EXPECT_EQ(r.python[0].code, 0x7f0000001003u);
  EXPECT_EQ(r.python[0].position, 0x7f0000001080u);
  EXPECT_EQ(r.python[0].tlbc_index, 2);
  EXPECT_EQ(r.python[0].owner, 1);
  EXPECT_EQ(static_cast<int64_t>(r.python[1].position), -1);
  ASSERT_EQ(r.copies.size(), 1u);
  ASSERT_EQ(r.copies[0].bytes.size(), 5u);
  EXPECT_EQ(static_cast<char>(r.copies[0].bytes[0]), 'h');
}

TEST(BpfRecord, HostilePythonCountsStayInsideTheRecord) {
  ct_record h{};
  h.py_n = 0xffffffffu;
  h.py_status = 77;  // unknown: reported as a fault, never trusted
  h.n_copies = 1;
  h.copies[0] = {0x1000, 3, 0};
  BpfSyscallRecord r;
  r.python.resize(9);  // from an earlier record: must not survive
  // One whole frame and a piece of another: one frame, no bytes for the copy.
  std::string tail = raw<ct_py_frame>({ct_py_frame{}}) + "xyz";
  ASSERT_TRUE(parse_bpf_record(record(h, tail), r));
  EXPECT_EQ(r.python.size(), 1u);
  EXPECT_EQ(r.python_status, BpfPyStatus::kFault);
  ASSERT_EQ(r.copies.size(), 1u);
  EXPECT_EQ(r.copies[0].bytes.size(), 3u);
  h.py_n = 0;
  ASSERT_TRUE(parse_bpf_record(record(h, "abc"), r));
  EXPECT_TRUE(r.python.empty());
}

}  // namespace
}  // namespace corostack::trace
