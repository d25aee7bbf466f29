#include "trace/bpf_record.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "trace/bpf/syscall_trace.h"

namespace corostack::trace {

static_assert(CT_MAX_COPIES == kBpfMaxCopies && CT_COPY_MAX == kBpfMaxCopyBytes &&
              CT_PY_MAX_FRAMES == kBpfMaxPyFrames && CT_EXEC_MAX_COPIES == kBpfMaxExecCopies &&
              CT_EXEC_DATA == kBpfMaxExecBytes);

bool parse_bpf_record(std::span<const std::byte> data, BpfSyscallRecord& r) {
  if (data.size() < sizeof(ct_record)) return false;
  ct_record hdr;
  std::memcpy(&hdr, data.data(), sizeof hdr);
  r.tid = static_cast<pid_t>(hdr.tid);
  r.tgid = static_cast<pid_t>(hdr.tgid);
  r.nr = hdr.nr;
  std::copy(std::begin(hdr.args), std::end(hdr.args), r.args.begin());
  r.ret = hdr.ret;
  r.enter_ns = hdr.enter_ns;
  r.exit_ns = hdr.exit_ns;
  r.entered_before_trace = hdr.flags & CT_F_NO_ENTRY;
  r.exited_in_call = hdr.flags & CT_F_EXITED;
  r.entry_len = hdr.has_entry_len ? std::optional<uint32_t>(hdr.entry_len) : std::nullopt;
  std::span<const std::byte> rest = data.subspan(sizeof hdr);
  // The Python frames come first; a count past what the record holds is cut.
  size_t py = std::min<size_t>({hdr.py_n, CT_PY_MAX_FRAMES, rest.size() / sizeof(ct_py_frame)});
  r.python.resize(py);
  for (size_t i = 0; i < py; ++i) {
    ct_py_frame f;
    std::memcpy(&f, rest.data() + i * sizeof f, sizeof f);
    r.python[i] = {f.code, f.pos, f.tlbc_index, f.owner};
  }
  rest = rest.subspan(py * sizeof(ct_py_frame));
  r.python_status =
      hdr.py_status <= CT_PY_FAULT ? static_cast<BpfPyStatus>(hdr.py_status) : BpfPyStatus::kFault;
  size_t n = std::min<size_t>(hdr.n_copies, CT_MAX_COPIES);
  r.copies.resize(n);
  for (size_t i = 0; i < n; ++i) {
    size_t len = std::min<size_t>({hdr.copies[i].len, rest.size(), CT_COPY_MAX});
    r.copies[i].addr = hdr.copies[i].addr;
    r.copies[i].bytes.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(len));
    // status is -errno as a __u32; negate in 64 bits (INT32_MIN must not overflow).
    int64_t status = static_cast<int32_t>(hdr.copies[i].status);
    r.copies[i].error = static_cast<int>(-status);
    rest = rest.subspan(len);
  }
  // execve's copies, read at entry: their headers, then their bytes.
  size_t extra =
      std::min<size_t>({hdr.n_extra, CT_EXEC_MAX_COPIES, rest.size() / sizeof(ct_copy_hdr)});
  std::vector<ct_copy_hdr> hdrs(extra);
  if (extra) std::memcpy(hdrs.data(), rest.data(), extra * sizeof(ct_copy_hdr));
  rest = rest.subspan(extra * sizeof(ct_copy_hdr));
  for (const ct_copy_hdr& h : hdrs) {
    BpfCopy& c = r.copies.emplace_back();
    size_t len = std::min<size_t>({h.len, rest.size(), CT_EXEC_DATA});
    c.addr = h.addr;
    c.bytes.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(len));
    c.error = static_cast<int>(-static_cast<int64_t>(static_cast<int32_t>(h.status)));
    rest = rest.subspan(len);
  }
  return true;
}

}  // namespace corostack::trace
