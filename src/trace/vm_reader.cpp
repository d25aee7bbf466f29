#include "trace/vm_reader.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace corostack::trace {

VmReader::~VmReader() {
  if (mem_fd_ >= 0) ::close(mem_fd_);
}

ReadResult VmReader::read(RemoteAddr addr, std::span<std::byte> out) const {
  ReadResult r;
  if (out.empty()) return r;
  if (addr.value() + out.size() < addr.value()) return r;  // wraps: nothing there
  if (vm_readv_works_) {
    iovec local{out.data(), out.size()};
    iovec remote{reinterpret_cast<void*>(addr.value()), out.size()};
    ssize_t n = ::process_vm_readv(pid_, &local, 1, &remote, 1, 0);
    if (n >= 0) {
      r.bytes = static_cast<size_t>(n);
      return r;
    }
    if (errno != ENOSYS) {
      r.error = errno == ESRCH   ? ErrorKind::kGone
                : errno == EPERM ? ErrorKind::kPermission
                                 : ErrorKind::kUnreadable;
      // A read crossing into an unmapped page fails whole: retry up to the page end.
      uint64_t page_end = (addr.value() | 0xfff) + 1;
      if (errno == EFAULT && page_end - addr.value() < out.size())
        return read(addr, out.first(page_end - addr.value()));
      return r;
    }
    vm_readv_works_ = false;
  }
  if (mem_fd_ < 0) {
    mem_fd_ = ::open(("/proc/" + std::to_string(pid_) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (mem_fd_ < 0) return r;
  }
  ssize_t n = ::pread(mem_fd_, out.data(), out.size(), static_cast<off_t>(addr.value()));
  if (n > 0) r.bytes = static_cast<size_t>(n);
  return r;
}

}  // namespace corostack::trace
