#pragma once
// Shared by fuzz_python_walker and fuzz_asyncio_walker: the input is
//   u8 version (index into supported_python_versions(), modulo their count)
//   u8 flags   (bit 0: read locals; bit 1: thread names; bit 2: asyncio unawaited search;
//               bit 3: _PyRuntime starts with a _Py_DebugOffsets (3.13+): apply it over
//               the table first, as the locator does)
//   u64 address of _PyRuntime, u64 first PyInterpreterState*
//   the rest: target memory mapped at kFuzzBase (read-write)
// make_walker_seeds writes inputs of this shape from hand-built CPython objects.
#include <memory>
#include <vector>

#include "fuzz_entry.hpp"
#include "python/debug_offsets.hpp"
#include "python/python_locator.hpp"
#include "python/python_versions.hpp"
#include "target/fake_target.hpp"

namespace corostack::fuzz {

inline constexpr uint64_t kFuzzBase = 0x10000000;
inline constexpr size_t kWalkerHeader = 2 + 8 + 8;

struct FakePythonInput {
  FakeTarget target;
  python::PythonRuntime runtime;
  uint8_t flags = 0;
  std::shared_ptr<const python::PythonLayout> own_layout;  // flag bit 3: the target's offsets
};

// Null when the input is too short to hold the header.
inline std::unique_ptr<FakePythonInput> fake_python_input(const uint8_t* data, size_t size) {
  if (size < kWalkerHeader) return nullptr;
  Input in(data, size);
  auto out = std::make_unique<FakePythonInput>();
  auto versions = python::supported_python_versions();
  const auto& v = versions[in.u8() % versions.size()];
  out->flags = in.u8();
  const python::PythonLayout* layout = python::layout_for(v.major, v.minor);
  FUZZ_CHECK(layout != nullptr);
  out->runtime.major = v.major;
  out->runtime.minor = v.minor;
  out->runtime.layout = layout;
  out->runtime.runtime = RemoteAddr(in.u64());
  out->runtime.interp_head = RemoteAddr(in.u64());
  size_t n = 0;
  const uint8_t* image = in.rest(n);
  if (n > 0) {
    const auto* b = reinterpret_cast<const std::byte*>(image);
    out->target.add_region(RemoteAddr(kFuzzBase), std::vector<std::byte>(b, b + n));
  }
  if ((out->flags & 8) && (v.major > 3 || v.minor >= 13)) {
    // A refused description (bad cookie, other build kind, offsets outside
    // their sizes) leaves the table, as the locator would.
    if (auto applied = python::apply_debug_offsets(out->target, out->runtime.runtime, *layout)) {
      out->own_layout = applied->layout;
      out->runtime.layout = out->own_layout.get();
    }
  }
  return out;
}

}  // namespace corostack::fuzz
