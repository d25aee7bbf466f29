#pragma once
// The one reader of CPython set and frozenset tables (PySetObject: used,
// mask, table of setentry{key, hash}; the same in every 3.x; 2.7's
// setentry is {hash, key} and a deleted key becomes a shared dummy str, see
// set_reader.cpp). Used by the
// repr code and by the asyncio walker (WeakSet.data, _eager_tasks). Bounded:
// at most max_slots table slots are scanned, whatever the set says.
#include <cstdint>
#include <functional>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

// Visit one key; return false to stop.
using SetKeyVisitor = std::function<bool(RemoteAddr key)>;

struct SetWalk {
  bool valid = false;  // the header was readable and sane (else nothing was visited)
  int64_t used = 0;    // what the set says it holds
  uint64_t visited = 0;
  bool cut = false;  // stopped early: a slot limit, an unreadable part, or the visitor
};

// Visits live keys (not empty, not the dummy of a deleted key) in table order.
SetWalk for_each_set_key(const RemoteObjects& ro, RemoteAddr set, uint64_t max_slots,
                         const SetKeyVisitor& visit);

}  // namespace corostack::python
