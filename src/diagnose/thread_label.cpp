#include "diagnose/thread_label.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace corostack::diagnose {

std::string frame_text(const Frame& f) {
  if (!f.function) return fmt::format("0x{:x}", f.pc);
  std::string s = *f.function;
  if (!f.file.empty() && f.line > 0)
    return s + " at " + std::filesystem::path(f.file).filename().string() + ":" +
           std::to_string(f.line);
  if (f.offset && f.kind == FrameKind::kNative) s += fmt::format("+0x{:x}", *f.offset);
  return s;
}

const ThreadSnapshot* find_thread(const ProcessSnapshot& snap, pid_t tid) {
  for (const ThreadSnapshot& t : snap.threads)
    if (t.tid == tid) return &t;
  return nullptr;
}

std::string thread_label(const ProcessSnapshot& snap, pid_t tid) {
  std::string s = "thread " + std::to_string(tid);
  const ThreadSnapshot* t = find_thread(snap, tid);
  if (t && !t->name.empty()) s += " \"" + t->name + "\"";
  return s;
}

}  // namespace corostack::diagnose
