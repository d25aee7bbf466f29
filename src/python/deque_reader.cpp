#include "python/deque_reader.hpp"

namespace corostack::python {

std::vector<RemoteAddr> deque_items(const RemoteObjects& ro, RemoteAddr deque, size_t max_items) {
  std::vector<RemoteAddr> out;
  const PythonLayout& l = ro.layout();
  if (!l.deque_leftblock.present() || !l.block_data.present() || !l.block_rightlink.present())
    return out;
  const uint64_t block_len =
      static_cast<uint64_t>(l.block_rightlink.offset - l.block_data.offset) / 8;
  auto size = ro.field(deque, l.varobject_size);
  auto block = ro.pointer_field(deque, l.deque_leftblock);
  auto index = ro.field(deque, l.deque_leftindex);
  if (!size || !block || !index || block_len == 0 || *index >= block_len) return out;
  uint64_t n = std::min<uint64_t>(*size, max_items);  // ob_size is never negative here
  RemoteAddr b = *block;
  uint64_t i = *index;
  for (uint64_t k = 0; k < n; ++k) {
    if (b.is_null()) break;
    auto item = ro.word(b, static_cast<uint64_t>(l.block_data.offset) + i * 8);
    if (!item) break;
    out.emplace_back(*item);
    if (++i == block_len) {
      auto next = ro.pointer_field(b, l.block_rightlink);
      if (!next) break;
      b = *next;
      i = 0;
    }
  }
  return out;
}

}  // namespace corostack::python
