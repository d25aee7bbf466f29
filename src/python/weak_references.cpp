#include "python/weak_references.hpp"

#include <cstdint>

namespace corostack::python {
namespace {

constexpr uint64_t kWeaklistOffsetAfterFlags = 5 * 8;
// Managed weakrefs sit a few words before the object; anything further out
// either way is corrupt.
constexpr int64_t kMinWeaklistOffset = -64;
constexpr int64_t kMaxWeaklistOffset = int64_t{1} << 20;

}  // namespace

std::optional<bool> has_weak_references(const RemoteObjects& ro, RemoteAddr obj) {
  const PythonLayout& l = ro.layout();
  if (!l.type_flags.present()) return std::nullopt;
  auto type = ro.pointer_field(obj, l.object_type);
  if (!type || type->is_null()) return std::nullopt;
  auto raw = ro.word(*type, static_cast<uint64_t>(l.type_flags.offset) + kWeaklistOffsetAfterFlags);
  if (!raw) return std::nullopt;
  auto offset = static_cast<int64_t>(*raw);
  if (offset == 0) return false;
  if (offset < kMinWeaklistOffset || offset > kMaxWeaklistOffset) return std::nullopt;
  if (offset < 0 && obj.value() < static_cast<uint64_t>(-offset)) return std::nullopt;
  RemoteAddr list(obj.value() + static_cast<uint64_t>(offset));  // wraps back for a negative one
  auto head = ro.word(list);
  if (!head) return std::nullopt;
  return *head != 0;
}

}  // namespace corostack::python
