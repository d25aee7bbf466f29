#pragma once
// The memory-only half of locating CPython: validating a candidate
// PyInterpreterState, and bounded scans of a module's data for the
// _Py_DebugOffsets cookie, a plausible _PyRuntime, or the version string.
// Works on any MemoryReader (live, core, fake); everything read is untrusted.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/remote_addr.hpp"
#include "python/python_layout.hpp"
#include "target/memory_map.hpp"
#include "target/memory_reader.hpp"

namespace corostack::python {

// A range of target memory to scan.
struct ScanRange {
  RemoteAddr start;
  uint64_t size = 0;
};

// Caps shared by the scans. The defaults bound a scan to the data and bss of
// one module (a libpython has ~1-3 MiB; 64 MiB is far above any real build).
struct ScanLimits {
  uint64_t max_bytes = 64ull << 20;   // total bytes read by one scan
  uint64_t max_candidates = 200'000;  // interpreter candidates validated by one scan
  size_t max_threads = 4096;          // thread states followed per candidate
};

// A non-null, 8-aligned address in the x86-64 user half.
bool plausible_pointer(uint64_t v);

struct InterpreterCheck {
  bool valid = false;
  int back_references = 0;  // thread states (from the head on) whose interp == the candidate
  bool list_ended = false;  // the thread list ended with NULL (not at a cap, cycle or bad read)
  std::string reason;       // why it is not valid
};

// `interp` is a PyInterpreterState if it is readable, its thread list is not
// empty and the first thread state's interp points back at it. The list is
// followed (at most limits.max_threads, cycles stop it) to count how many
// thread states point back.
InterpreterCheck check_interpreter(const MemoryReader& mem, const PythonLayout& layout,
                                   RemoteAddr interp, const ScanLimits& limits = {});

// The first 8-aligned word equal to `value` in `ranges`.
std::optional<RemoteAddr> find_word(const MemoryReader& mem, std::span<const ScanRange> ranges,
                                    uint64_t value, const ScanLimits& limits = {});

// PY_VERSION_HEX split: major.minor.micro.
struct VersionTriple {
  int major = 0;
  int minor = 0;
  int micro = 0;
};
VersionTriple split_version_hex(uint64_t hex);

// The _Py_DebugOffsets header at `addr`: cookie "xdebugpy" then a version
// (PY_VERSION_HEX) of CPython 3.13 or later. nullopt otherwise.
std::optional<uint64_t> debug_offsets_version_at(const MemoryReader& mem, RemoteAddr addr);

struct DebugOffsetsHit {
  RemoteAddr addr;  // start of _Py_DebugOffsets == start of _PyRuntime
  uint64_t version_hex = 0;
};
// The first 8-aligned "xdebugpy" followed by a plausible 3.13+ version.
std::optional<DebugOffsetsHit> scan_for_debug_offsets(const MemoryReader& mem,
                                                      std::span<const ScanRange> ranges,
                                                      const ScanLimits& limits = {});

struct RuntimeScanHit {
  RemoteAddr runtime;  // 3.7+: _PyRuntime; 3.6: the word holding the head interpreter
  RemoteAddr interp;   // the validated first PyInterpreterState*
  int back_references = 0;
};
// Every 8-aligned word of `ranges` that points into a readable, writable
// mapping of `maps` is tried as _PyRuntime.interpreters.head (3.6: as
// interp_head itself) and validated with check_interpreter; candidates need
// at least `min_back_references` thread states pointing back (a candidate
// whose whole thread list, ended by NULL, is shorter also passes). With 3.7+
// layouts, a candidate followed by the same pointer (interpreters.head then
// interpreters.main, equal unless a subinterpreter was created last) wins
// over the first validated one.
std::optional<RuntimeScanHit> scan_for_runtime(
    const MemoryReader& mem, const std::vector<MemoryMap>& maps, const PythonLayout& layout,
    std::span<const ScanRange> ranges, int min_back_references, const ScanLimits& limits = {});

// "3.11.7" at the start of `text`, followed by an optional release level
// (a1, b2, rc1, +) and then the terminator `end` (e.g. " (" or "\0").
std::optional<VersionTriple> parse_version_prefix(std::string_view text, std::string_view end);

// The buffer Py_GetVersion() fills at startup (sys.version): "3.X.Y (" at an
// 8-aligned address or after a NUL, in `ranges`. Returns the first.
std::optional<VersionTriple> scan_for_version_string(const MemoryReader& mem,
                                                     std::span<const ScanRange> ranges,
                                                     const ScanLimits& limits = {});

// PY_VERSION in a file's read-only data: "3.X.Y\0" preceded by a byte that is
// not a digit or '.' (the linker may tail-merge it into a longer string such as
// a build path ending in "Python-3.X.Y"). Only `major`.`minor` when minor >= 0;
// the most frequent match wins; without a minor, matches of different minors
// are ambiguous and give nullopt.
std::optional<VersionTriple> find_version_in_bytes(std::span<const std::byte> bytes, int major,
                                                   int minor);

}  // namespace corostack::python
