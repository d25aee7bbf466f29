#include "target/fake_target.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "base/checked.hpp"

namespace corostack {

void FakeTarget::add_region(RemoteAddr start, std::vector<std::byte> bytes, std::string_view perms,
                            std::string path, uint64_t file_offset) {
  auto end = checked_add(start.value(), bytes.size());
  if (bytes.empty() || !end) throw std::invalid_argument("FakeTarget: empty or wrapping region");
  if (perms.size() != 4) throw std::invalid_argument("FakeTarget: perms must look like \"r-xp\"");
  MemoryMap m;
  m.start = start;
  m.end = RemoteAddr(*end);
  m.set_permissions(perms);
  m.file_offset = file_offset;
  m.path = std::move(path);
  auto it = std::upper_bound(maps_.begin(), maps_.end(), start,
                             [](RemoteAddr a, const MemoryMap& r) { return a < r.start; });
  if ((it != maps_.end() && it->start < m.end) ||
      (it != maps_.begin() && std::prev(it)->end > start))
    throw std::invalid_argument("FakeTarget: region overlaps an existing one");
  auto index = it - maps_.begin();
  maps_.insert(it, std::move(m));
  data_.insert(data_.begin() + index, std::move(bytes));
}

ReadResult FakeTarget::read(RemoteAddr addr, std::span<std::byte> out) const {
  ++read_calls_;
  size_t done = 0;
  while (done < out.size()) {
    auto a = checked_add(addr.value(), done);
    if (!a) return {done, ErrorKind::kUnreadable};
    const MemoryMap* m = find_map(maps_, RemoteAddr(*a));
    if (!m || !m->readable) return {done, ErrorKind::kUnreadable};
    const auto& bytes = data_[static_cast<size_t>(m - maps_.data())];
    uint64_t off = *a - m->start.value();
    size_t n = std::min<size_t>(out.size() - done, bytes.size() - off);
    std::memcpy(out.data() + done, bytes.data() + off, n);
    done += n;
  }
  return {done, ErrorKind::kUnreadable};
}

Result<Capture> FakeTarget::capture(const CaptureOptions& options) {
  if (capture_error_) return *capture_error_;
  if (options.while_paused) options.while_paused(*this);
  Capture cap;
  cap.threads = threads_;
  std::sort(cap.threads.begin(), cap.threads.end(),
            [this](const ThreadState& a, const ThreadState& b) {
              if ((a.tid == pid_) != (b.tid == pid_)) return a.tid == pid_;
              return a.tid < b.tid;
            });
  return cap;
}

}  // namespace corostack
