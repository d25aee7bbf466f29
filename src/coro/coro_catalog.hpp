#pragma once
// Every coroutine of every module of the target, keyed by the addresses a
// live frame holds in its destroy slot (frame[8]): `.destroy` and, for
// frames clang elided into their caller (HALO), `.cleanup`. Built before
// the pause: it reads symbol tables and DWARF only.
#include <elfutils/libdwfl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "coro/coro_table.hpp"

namespace corostack::coro {

struct ModuleCoroutines {
  std::string path;
  std::vector<CoroutineInfo> coroutines;
};

class CoroCatalog {
 public:
  static CoroCatalog build(Dwfl* dwfl, const CoroTableOptions& options);

  // The coroutine whose destroy or cleanup clone starts at `addr`, or null.
  const CoroutineInfo* by_destroy_slot(uint64_t addr) const {
    if (addr - min_key_ > key_span_) return nullptr;  // almost every word stops here
    auto it = by_destroy_.find(addr);
    return it == by_destroy_.end() ? nullptr : it->second;
  }
  // The coroutine whose resume (actor) code contains pc, or null.
  const CoroutineInfo* by_resume_pc(uint64_t pc) const;
  bool is_noop_function(uint64_t addr) const { return noop_.count(addr) != 0; }
  const std::string& module_of(const CoroutineInfo* info) const;

  size_t size() const { return by_destroy_.size(); }
  bool empty() const { return by_destroy_.empty(); }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  // unique_ptr: the CoroutineInfo pointers must stay valid as modules are added.
  std::vector<std::unique_ptr<ModuleCoroutines>> modules_;
  std::unordered_map<uint64_t, const CoroutineInfo*> by_destroy_;
  std::unordered_map<const CoroutineInfo*, size_t> module_index_;
  std::vector<std::pair<uint64_t, const CoroutineInfo*>> resume_starts_;  // sorted
  std::unordered_set<uint64_t> noop_;
  uint64_t min_key_ = 1, key_span_ = 0;  // empty: nothing matches
  std::vector<std::string> warnings_;
};

}  // namespace corostack::coro
