#pragma once
// The members of a promise type worth printing (`coro --promise`): scalars,
// pointers, coroutine handles and std::string / std::string_view, with
// their offsets from the promise start, flattened through base classes.
// Read once from DWARF per coroutine; the values are read per frame.
#include <elfutils/libdw.h>

#include <cstdint>
#include <string>
#include <vector>

namespace corostack::coro {

enum class MemberKind { kSigned, kUnsigned, kBool, kChar, kFloat, kPointer, kString, kStringView };

struct PromiseMember {
  std::string name;  // "id", or "base.member" for members of a base class
  uint64_t offset = 0;
  uint32_t size = 0;
  MemberKind kind = MemberKind::kUnsigned;
};

// At most max_members members; nested structs other than strings are skipped.
std::vector<PromiseMember> promise_members(Dwarf_Die promise, size_t max_members = 64);

}  // namespace corostack::coro
