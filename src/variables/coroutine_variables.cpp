#include "variables/coroutine_variables.hpp"

#include <dwarf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "coro/dwarf_types.hpp"

namespace corostack::variables {
namespace {

constexpr size_t kMaxMembers = 256;

// The frame's ABI header and the compilers' bookkeeping: not the program's variables.
bool is_header(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "__resume_fn",
      "__destroy_fn",
      "__promise",
      "__coro_index",
      "_Coro_resume_fn",
      "_Coro_destroy_fn",
      "_Coro_promise",
      "_Coro_self_handle",
      "_Coro_resume_index",
      "_Coro_frame_needs_free",
      "_Coro_initial_await_resume_called",
  };
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// clang's names for slots it cannot tie to a variable: `__int_32_0`,
// `__int_8`, `__double_`, `PointerType_2`, `struct_std__source_location`.
bool is_compiler_name(std::string_view name) {
  return name.rfind("__int_", 0) == 0 || name.rfind("__float_", 0) == 0 ||
         name.rfind("__double_", 0) == 0 || name.rfind("PointerType", 0) == 0 ||
         name.rfind("struct_", 0) == 0 || name.rfind("class_", 0) == 0 ||
         name.rfind("union_", 0) == 0 || name.rfind("__coro_", 0) == 0 ||
         name.rfind("D.", 0) == 0;  // GCC's temporaries
}

}  // namespace

CoroutineVariables coroutine_variables(const MemoryReader& memory, uint64_t frame,
                                       Dwarf_Die frame_type, const PrintLimits& limits) {
  CoroutineVariables out;
  Dwarf_Die type = coro::strip_typedefs(frame_type);
  uint64_t size = coro::type_size(&type).value_or(0);
  if (size == 0 || size > limits.max_value_bytes) {
    out.error = "frame type of unknown or excessive size";
    return out;
  }
  std::vector<uint8_t> bytes(size);
  auto r = memory.read(RemoteAddr(frame), std::as_writable_bytes(std::span(bytes)));
  if (!r.complete(bytes.size())) {
    out.error = fmt::format("cannot read the frame at {:#x}", frame);
    return out;
  }
  ValuePrinter printer(memory, nullptr, limits);
  Dwarf_Die member;
  if (dwarf_child(&type, &member) != 0) return out;
  size_t budget = 100000;
  do {
    if (--budget == 0 || out.variables.size() >= kMaxMembers) break;
    if (dwarf_tag(&member) != DW_TAG_member) continue;
    std::string_view name = coro::die_name(&member);
    if (name.empty() || is_header(name)) continue;
    auto mtype = coro::die_type(&member);
    auto off = coro::member_offset(&member);
    if (!mtype || !off) continue;
    Dwarf_Die mt = coro::strip_typedefs(*mtype);
    uint64_t msize = coro::type_size(&mt).value_or(0);
    CoroutineVariable v;
    v.name = name;
    if (*off > bytes.size() || msize > bytes.size() - *off)
      v.value = "<outside the frame>";
    else
      v.value = printer.print(*mtype, std::span<const uint8_t>(bytes).subspan(*off, msize));
    out.compiler_named = out.compiler_named || is_compiler_name(name);
    out.variables.push_back(std::move(v));
  } while (dwarf_siblingof(&member, &member) == 0);
  return out;
}

}  // namespace corostack::variables
