#include "trace/located_python.hpp"

#include <string>

namespace corostack::trace {

Result<std::unique_ptr<LocatedPython>> LocatedPython::locate(pid_t tgid) {
  auto p = LiveProcess::open(tgid);
  if (!p) return p.error();
  auto out = std::make_unique<LocatedPython>();
  out->proc = std::move(*p);
  auto rt = python::locate_python(*out->proc);
  if (!rt) return rt.error();
  if (!rt->layout || rt->interp_head.is_null())
    return make_error(ErrorKind::kUnsupported, "Python " + std::to_string(rt->major) + "." +
                                                   std::to_string(rt->minor) +
                                                   " found, but it cannot be read (no layout)");
  out->runtime = std::move(*rt);
  const auto& head = out->runtime.layout->runtime_interpreters_head;
  out->interp_head_slot =
      head.present() ? RemoteAddr(out->runtime.runtime.value() + static_cast<uint64_t>(head.offset))
                     : out->runtime.runtime;
  out->ro.emplace(*out->proc, *out->runtime.layout);
  out->codes.emplace(*out->ro);
  return out;
}

}  // namespace corostack::trace
