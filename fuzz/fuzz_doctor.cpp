// doctor's native lock reading and rules over hostile threads and memory: the
// input gives up to 64 threads (tids from a small range, so owners often name
// another thread and cycles form), each maybe in futex() on a word of a
// memory image whose bytes are the lock words, with or without a locking
// frame; then the report is rendered as text and JSON.
// Invariants: every reported cycle is closed (each edge's holder is the next
// edge's waiter), and nothing but printable text reaches the terminal.
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "diagnose/native_lock_rules.hpp"
#include "diagnose/native_lock_waits.hpp"
#include "fuzz_entry.hpp"
#include "render/doctor_renderer.hpp"

using namespace corostack;
using namespace corostack::diagnose;

namespace {

constexpr uint64_t kBase = 0x20000;

class ImageMemory : public MemoryReader {
 public:
  ImageMemory(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  ReadResult read(RemoteAddr a, std::span<std::byte> out) const override {
    if (a.value() < kBase || a.value() - kBase >= size_) return {};
    size_t off = static_cast<size_t>(a.value() - kBase);
    size_t n = std::min(out.size(), size_ - off);
    std::memcpy(out.data(), data_ + off, n);
    return {n, ErrorKind::kUnreadable};
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

}  // namespace

FUZZ_ENTRY(fuzz_doctor) {
  if (size < 2) return 0;
  size_t nthreads = std::min<size_t>(data[0] % 65, (size - 1) / 4);
  ProcessSnapshot snap;
  snap.pid = 100;
  static const char* kNames[] = {"___pthread_mutex_lock", "pthread_rwlock_wrlock",
                                 "pthread_rwlock_rdlock", "std::mutex::lock()", nullptr};
  for (size_t i = 0; i < nthreads; ++i) {
    const uint8_t* t = data + 1 + i * 4;
    ThreadSnapshot th;
    th.tid = 100 + (t[0] % 16);
    th.name = (t[0] & 0x80) ? "\x1b]0;evil\x07" : "w";
    uint64_t addr = kBase + (static_cast<uint64_t>(t[1]) * 8) % std::max<size_t>(size, 1);
    uint64_t op = (t[2] & 1 ? 0x80 : 0) | (t[2] >> 1) % 14;
    th.syscall =
        SyscallInfo{202, "futex", {addr, op, static_cast<uint64_t>(t[3] % 4), 0, 0, 0}, {}};
    if (const char* n = kNames[t[3] / 4 % 5]) {
      Frame f;
      f.function = n;
      th.frames.push_back(f);
      Frame user;
      user.function = "caller\n\x1b[2J";
      user.file = "/x/\x7f.c";
      user.line = t[3];
      th.frames.push_back(user);
    }
    snap.threads.push_back(th);
  }
  ImageMemory mem(data, size);
  auto waits = find_native_lock_waits(snap, mem);
  DoctorReport report;
  check_native_locks(
      waits, snap, [](uint64_t a) { return a % 3 == 0 ? std::string("mu\x1b[0m") : std::string(); },
      report);
  report.sort();
  for (const Finding& f : report.findings) {
    if (f.kind != FindingKind::kNativeDeadlock) continue;
    for (size_t i = 0; i < f.edges.size(); ++i)
      FUZZ_CHECK(f.edges[i].holder == f.edges[(i + 1) % f.edges.size()].waiter);
  }
  std::ostringstream text, json;
  render_doctor_text(snap, report, false, text);
  render_doctor_json(snap, report, json);
  for (char c : text.str())
    FUZZ_CHECK(c == '\n' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
  return 0;
}
