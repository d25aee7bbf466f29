#pragma once
// The items of a collections.deque read from outside: a doubly linked list
// of fixed-size blocks (Modules/_collectionsmodule.c), the first item at
// leftblock->data[leftindex], ob_size items in all. BLOCKLEN is not in DWARF
// as a number; it is the data array's length, (rightlink - data) / 8.
#include <vector>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

// At most max_items items; fewer when the deque is unreadable or corrupt.
std::vector<RemoteAddr> deque_items(const RemoteObjects& ro, RemoteAddr deque, size_t max_items);

}  // namespace corostack::python
