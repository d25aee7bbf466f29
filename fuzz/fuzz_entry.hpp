#pragma once
// One source file per fuzz target. In libFuzzer builds (COROSTACK_LIBFUZZER)
// FUZZ_ENTRY(name) is LLVMFuzzerTestOneInput; in every other build it is a
// plain function `name` that corostack_fuzz_replay calls on each file of
// fuzz/corpus/<name>/, so the corpus is replayed by `make test`.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#ifdef COROSTACK_LIBFUZZER
#define FUZZ_ENTRY(name) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#else
#define FUZZ_ENTRY(name) int name(const uint8_t* data, size_t size)
int fuzz_core_file(const uint8_t* data, size_t size);
int fuzz_proc_parsers(const uint8_t* data, size_t size);
int fuzz_python_walker(const uint8_t* data, size_t size);
int fuzz_asyncio_walker(const uint8_t* data, size_t size);
int fuzz_coro(const uint8_t* data, size_t size);
int fuzz_renderers(const uint8_t* data, size_t size);
int fuzz_profile_writers(const uint8_t* data, size_t size);
int fuzz_syscall_decoders(const uint8_t* data, size_t size);
int fuzz_doctor(const uint8_t* data, size_t size);
int fuzz_variables(const uint8_t* data, size_t size);
int fuzz_bpf_record(const uint8_t* data, size_t size);
#endif

// A broken invariant is a crash for the fuzzer and a failure for the replay test.
#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace corostack::fuzz {

// Consumes the input from the front: fixed-size values, then the rest.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  uint8_t u8() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  uint64_t u64(size_t bytes = 8) {
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v |= uint64_t{u8()} << (8 * i);
    return v;
  }
  // Up to max bytes, length taken from the input.
  const uint8_t* take(size_t max, size_t& len) {
    len = n_ == 0 ? 0 : (max > 255 ? u64(2) : u8()) % (max + 1);
    if (len > n_) len = n_;
    const uint8_t* at = p_;
    p_ += len;
    n_ -= len;
    return at;
  }
  // take() as a string: target-derived text of any bytes.
  std::string string(size_t max = 64) {
    size_t len = 0;
    const uint8_t* at = take(max, len);
    return std::string(reinterpret_cast<const char*>(at), len);
  }
  const uint8_t* rest(size_t& len) {
    len = n_;
    const uint8_t* at = p_;
    p_ += n_;
    n_ = 0;
    return at;
  }
  size_t left() const { return n_; }

 private:
  const uint8_t* p_;
  size_t n_;
};

}  // namespace corostack::fuzz
