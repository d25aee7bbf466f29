#include "coro/coro_catalog.hpp"

#include <algorithm>

namespace corostack::coro {
namespace {

struct Collect {
  std::vector<Dwfl_Module*> modules;
};

int collect_module(Dwfl_Module* m, void**, const char*, Dwarf_Addr, void* arg) {
  static_cast<Collect*>(arg)->modules.push_back(m);
  return DWARF_CB_OK;
}

}  // namespace

CoroCatalog CoroCatalog::build(Dwfl* dwfl, const CoroTableOptions& options) {
  CoroCatalog c;
  Collect all;
  if (dwfl) dwfl_getmodules(dwfl, collect_module, &all, 0);
  uint64_t lo = UINT64_MAX, hi = 0;
  for (Dwfl_Module* m : all.modules) {
    const char* name =
        dwfl_module_info(m, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    for (uint64_t a : noop_coroutine_functions(m)) c.noop_.insert(a);
    auto table = build_coroutine_table(m, options);
    if (!table) {
      c.warnings_.push_back(std::string(name ? name : "?") + ": " + table.error().message);
      continue;
    }
    if (table->empty()) continue;
    auto mod = std::make_unique<ModuleCoroutines>();
    mod->path = name ? name : "";
    mod->coroutines = std::move(*table);
    for (const CoroutineInfo& info : mod->coroutines) {
      c.module_index_[&info] = c.modules_.size();
      for (uint64_t key : {info.destroy, info.cleanup}) {
        if (!key) continue;
        c.by_destroy_.emplace(key, &info);
        lo = std::min(lo, key);
        hi = std::max(hi, key);
      }
      if (info.resume) c.resume_starts_.emplace_back(info.resume, &info);
    }
    c.modules_.push_back(std::move(mod));
  }
  if (!c.by_destroy_.empty()) {
    c.min_key_ = lo;
    c.key_span_ = hi - lo;
  }
  std::sort(c.resume_starts_.begin(), c.resume_starts_.end());
  return c;
}

const CoroutineInfo* CoroCatalog::by_resume_pc(uint64_t pc) const {
  auto it = std::upper_bound(resume_starts_.begin(), resume_starts_.end(), pc,
                             [](uint64_t v, const auto& e) { return v < e.first; });
  if (it == resume_starts_.begin()) return nullptr;
  --it;
  const CoroutineInfo* info = it->second;
  uint64_t size = info->resume_size ? info->resume_size : 1;
  return pc - it->first < size ? info : nullptr;
}

const std::string& CoroCatalog::module_of(const CoroutineInfo* info) const {
  static const std::string kUnknown;
  auto it = module_index_.find(info);
  return it == module_index_.end() ? kUnknown : modules_[it->second]->path;
}

}  // namespace corostack::coro
