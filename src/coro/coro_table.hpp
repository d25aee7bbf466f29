#pragma once
// The per-module coroutine table: every C++20 coroutine a module defines,
// found through its split clones in .symtab (clang `X.resume`/`.destroy`/
// `.cleanup`, GCC `…<len><ramp>.Frame.actor`/`.destroy`), with the frame and
// promise layout from DWARF and a map from suspend index to source line.
// A memory scan keys on the destroy/cleanup addresses to find live frames;
// this table tells it how to validate a candidate and read its promise.
#include <elfutils/libdwfl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "coro/promise_members.hpp"

namespace corostack::coro {

enum class CoroCompiler { kClang, kGcc };

// How suspend points were mapped to lines: clang >= 21 DW_TAG_label entries
// (exact), an immediate-store scan of the resume code (exact at -O0 only),
// or not at all.
enum class LinePrecision { kLabels, kHeuristic, kNone };

// bit_size 0 = whole bytes. bit_offset is counted from the least significant
// bit of the byte_size-wide storage unit at `offset` (DWARF-4
// DW_AT_bit_offset, which counts from the most significant bit, is converted).
struct BitField {
  uint64_t offset = 0;
  uint32_t byte_size = 0;
  uint32_t bit_offset = 0;
  uint32_t bit_size = 0;
};

struct SuspendPoint {
  uint32_t index = 0;
  std::string file;
  int line = 0;
  uint64_t pc = 0;  // runtime address of the label or index store; 0 when unknown
};

struct CoroutineInfo {
  std::string ramp_linkage;  // mangled ramp name, e.g. _Z4leafi
  std::string name;          // demangled, e.g. leaf(int)
  CoroCompiler compiler = CoroCompiler::kClang;
  // Runtime addresses (module bias applied); 0 when absent. GCC: resume = actor.
  uint64_t resume = 0, destroy = 0, cleanup = 0;
  uint64_t resume_size = 0;  // byte size of the resume/actor code

  std::string frame_type;  // empty / 0 when DWARF has no frame type (clang 17-19 -O2)
  // The frame type's DIE, for coro --locals. It points into the module's
  // DWARF: valid only while the DwflSession the table was built from lives.
  std::optional<Dwarf_Die> frame_die;
  uint64_t frame_size = 0;
  std::string promise_type;
  uint64_t promise_offset = 0;
  uint64_t promise_size = 0;
  uint64_t promise_align = 0;
  std::optional<BitField> index;               // __coro_index / _Coro_resume_index
  std::optional<uint64_t> self_handle_offset;  // GCC _Coro_self_handle: frame+off holds frame
  // Offset of the continuation member from the promise start, found by name
  // (through base classes). nullopt: the promise has none (a leaf type such
  // as a generator). Never a guessed fixed offset.
  std::optional<uint64_t> continuation_offset;
  std::vector<PromiseMember> promise_members;  // printable members (coro --promise)

  std::vector<SuspendPoint> suspend_points;  // sorted by index
  LinePrecision precision = LinePrecision::kNone;
  std::string decl_file;
  int decl_line = 0;
  std::optional<uint32_t> max_index;  // largest valid index when known
};

struct CoroTableOptions {
  // Member names (or dotted member paths, e.g. "customizer.continuation")
  // tried in order to find the promise's continuation handle.
  std::vector<std::string> continuation_names{"continuation"};
};

// All coroutines of one module, sorted by ramp name. Fails only when the
// module itself is unreadable; a coroutine whose DWARF is partial or missing
// is returned with what is known.
Result<std::vector<CoroutineInfo>> build_coroutine_table(Dwfl_Module* module,
                                                         const CoroTableOptions& options);

// Runtime addresses of noop-coroutine resume/destroy functions in this module
// (libstdc++ `…noop_coroutine_promise…__dummy_resume_destroy`, libc++
// `__NoopCoro_ResumeDestroy`): a continuation chain ends there.
std::vector<uint64_t> noop_coroutine_functions(Dwfl_Module* module);

}  // namespace corostack::coro
