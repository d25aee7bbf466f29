// System-call decoders over hostile registers and memory: the input picks the
// call number, six arguments, the return value and DecodeOptions, then gives
// a memory image mapped at two addresses the arguments tend to point at.
// Invariants: no raw control byte (nor DEL) in any output and bounded length.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_entry.hpp"
#include "trace/syscall_decode.hpp"
#include "trace/syscall_table.hpp"

using namespace corostack;
using namespace corostack::trace;

namespace {

// The image is readable at kBase.. and again at kBase + kMirror.., so
// pointers found inside it (also fuzzed) often land in it.
constexpr uint64_t kBase = 0x10000;
constexpr uint64_t kMirror = 0x100000;

class ImageMemory : public MemoryReader {
 public:
  ImageMemory(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  ReadResult read(RemoteAddr a, std::span<std::byte> out) const override {
    for (uint64_t base : {kBase, kBase + kMirror}) {
      if (a.value() < base || a.value() - base >= size_) continue;
      size_t off = static_cast<size_t>(a.value() - base);
      size_t n = std::min(out.size(), size_ - off);
      if (n > 0) std::memcpy(out.data(), data_ + off, n);
      return {n, ErrorKind::kUnreadable};
    }
    return {};
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

class NoisyFds : public FdNames {
 public:
  std::string describe(pid_t, int fd, int) const override {
    return fd % 3 == 0 ? "/tmp/\x1b[31mred\n" : (fd % 3 == 1 ? "" : "pipe:[1]");
  }
};

// Arguments are small numbers, pointers into the image, or raw values.
uint64_t pick_arg(fuzz::Input& in) {
  uint8_t kind = in.u8();
  switch (kind % 4) {
    case 0:
      return in.u8();
    case 1:
      return kBase + in.u64(2);
    case 2:
      return kBase + kMirror + in.u64(2);
    default:
      return in.u64();
  }
}

void check_text(const std::string& s, size_t limit) {
  FUZZ_CHECK(s.size() <= limit);
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    FUZZ_CHECK(u >= 0x20 && u != 0x7f);
  }
}

}  // namespace

FUZZ_ENTRY(fuzz_syscall_decoders) {
  fuzz::Input in(data, size);
  CallArgs call;
  call.tid = 1;
  call.nr = static_cast<int64_t>(in.u64(2) % 512);
  for (auto& a : call.args) a = pick_arg(in);
  int64_t ret =
      static_cast<int64_t>(in.u8() & 1 ? -static_cast<int64_t>(in.u64(2) % 600) : in.u64(2));
  DecodeOptions opts;
  opts.string_limit = in.u8() % 80;
  opts.hex = in.u8() % 3;
  opts.fd_detail = in.u8() % 3;
  size_t image_size = 0;
  const uint8_t* image = in.rest(image_size);
  ImageMemory mem(image, image_size);
  NoisyFds fds;

  // Each argument stays far below this: strings and arrays are cut at -s
  // (an escaped byte is at most 4 characters), nesting is shallow.
  const size_t limit = 64 * 1024 + opts.string_limit * 4 * 64;
  auto entry = decode_entry(call, mem, fds, opts);
  auto exit = decode_exit(call, ret, mem, fds, opts);
  FUZZ_CHECK(entry.size() + exit.size() <= 6);
  for (const auto& a : entry) check_text(a, limit);
  for (const auto& a : exit) check_text(a, limit);
  check_text(format_return(call, ret, fds, opts), limit);
  check_text(format_return(call, ret, mem, fds, opts), limit);
  return 0;
}
