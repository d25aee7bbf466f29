#include "python/gil_state.hpp"

#include <unordered_set>

namespace corostack::python {
namespace {

constexpr size_t kMaxInterpreters = 64;

void set_range(FieldLoc f, RemoteAddr gil, uint64_t& begin, uint64_t& end) {
  if (!f.present() || f.size <= 0) return;
  auto at = checked_offset(gil, static_cast<uint64_t>(f.offset));
  if (!at) return;
  begin = at->value();
  end = begin + static_cast<uint64_t>(f.size);
}

}  // namespace

std::optional<GilState> read_gil_state(const RemoteObjects& ro, RemoteAddr runtime,
                                       RemoteAddr interp) {
  const PythonLayout& l = ro.layout();
  std::optional<RemoteAddr> gil;
  if (l.runtime_gil.present()) {
    gil = checked_offset(runtime, static_cast<uint64_t>(l.runtime_gil.offset));
  } else if (l.interp_ceval_gil.present() && !interp.is_null()) {
    gil = ro.pointer_field(interp, l.interp_ceval_gil);
  }
  if (!gil || gil->is_null() || !l.gil_locked.present()) return std::nullopt;
  GilState s;
  s.address = *gil;
  if (l.gil_enabled.present()) {
    auto enabled = ro.field(*gil, l.gil_enabled);
    if (!enabled) return std::nullopt;
    s.enabled = *enabled != 0;
  }
  auto locked = ro.field(*gil, l.gil_locked);
  auto holder = ro.pointer_field(*gil, l.gil_last_holder);
  if (!locked || !holder) return std::nullopt;
  s.locked = *locked != 0;
  s.last_holder = *holder;
  if (l.gil_switch_number.present()) s.switch_number = ro.field(*gil, l.gil_switch_number);
  set_range(l.gil_cond, *gil, s.cond_begin, s.cond_end);
  set_range(l.gil_mutex, *gil, s.mutex_begin, s.mutex_end);
  return s;
}

std::vector<GilState> read_gil_states(const RemoteObjects& ro, RemoteAddr runtime,
                                      RemoteAddr interp_head) {
  std::vector<GilState> out;
  std::unordered_set<RemoteAddr> seen_interps, seen_gils;
  RemoteAddr interp = interp_head;
  while (!interp.is_null() && seen_interps.size() < kMaxInterpreters &&
         seen_interps.insert(interp).second) {
    if (auto s = read_gil_state(ro, runtime, interp)) {
      if (seen_gils.insert(s->address).second) out.push_back(*s);
    }
    if (ro.layout().runtime_gil.present()) break;  // one GIL for all
    auto next = ro.pointer_field(interp, ro.layout().interp_next);
    if (!next) break;
    interp = *next;
  }
  return out;
}

}  // namespace corostack::python
