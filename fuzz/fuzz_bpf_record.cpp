// The in-kernel tracer's ring-buffer records, as untrusted bytes: parsed by
// parse_bpf_record (a header, then the copied argument bytes), then decoded
// and printed as strace lines the way BpfSource does, with the copies as the
// only readable memory. Invariants: the copies (execve's too) stay within the
// record and CT_COPY_MAX, and the line has no raw control byte (nor DEL).
#include <algorithm>
#include <cstring>
#include <span>
#include <string>

#include "fuzz_entry.hpp"
#include "trace/bpf_record.hpp"
#include "trace/copied_memory.hpp"
#include "trace/syscall_decode.hpp"

using namespace corostack;
using namespace corostack::trace;

namespace {

class NoFds : public FdNames {
 public:
  std::string describe(pid_t, int, int) const override { return ""; }
};

void check_text(const std::string& s) {
  FUZZ_CHECK(s.size() <= 256 * 1024);
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    FUZZ_CHECK(u >= 0x20 && u != 0x7f);
  }
}

}  // namespace

FUZZ_ENTRY(fuzz_bpf_record) {
  BpfSyscallRecord r;
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  if (!parse_bpf_record(bytes, r)) return 0;
  FUZZ_CHECK(r.copies.size() <= kBpfMaxCopies + kBpfMaxExecCopies);
  size_t copied = 0;
  for (const BpfCopy& c : r.copies) {
    FUZZ_CHECK(c.bytes.size() <= kBpfMaxCopyBytes);
    copied += c.bytes.size();
  }
  FUZZ_CHECK(copied <= size);
  CopiedMemory mem(r.copies);
  NoFds fds;
  CallArgs call;
  call.tid = r.tid;
  call.nr = r.nr;
  call.args = r.args;
  DecodeOptions opts;
  opts.string_limit = 32;
  for (const std::string& a : decode_entry(call, mem, fds, opts)) check_text(a);
  if (!r.exited_in_call) {
    for (const std::string& a : decode_exit(call, r.ret, mem, fds, opts)) check_text(a);
    check_text(format_return(call, r.ret, mem, fds, opts));
  }
  return 0;
}
