#include "sample/profile.hpp"

#include <functional>

namespace corostack::sample {

const char* frame_kind_name(ProfileFrameKind kind) {
  switch (kind) {
    case ProfileFrameKind::kPython:
      return "python";
    case ProfileFrameKind::kNative:
      return "native";
    case ProfileFrameKind::kKernel:
      return "kernel";
    case ProfileFrameKind::kIdle:
      return "idle";
    case ProfileFrameKind::kGc:
      return "gc";
    case ProfileFrameKind::kTask:
      return "task";
    case ProfileFrameKind::kThread:
      return "thread";
    case ProfileFrameKind::kProcess:
      return "process";
    case ProfileFrameKind::kInterpreter:
      return "interpreter";
  }
  return "unknown";
}

size_t Profile::FrameHash::operator()(const ProfileFrame& f) const {
  size_t h = std::hash<std::string>{}(f.name);
  h = h * 31 + std::hash<std::string>{}(f.file);
  h = h * 31 + std::hash<std::string>{}(f.module);
  h = h * 31 + std::hash<int>{}(f.line);
  return h * 31 + static_cast<size_t>(f.kind);
}

size_t Profile::StackHash::operator()(const std::vector<uint32_t>& s) const {
  size_t h = s.size();
  for (uint32_t v : s) h = h * 1000003u ^ v;
  return h;
}

uint32_t Profile::intern_frame(const ProfileFrame& frame) {
  auto [it, added] = frame_ids_.try_emplace(frame, static_cast<uint32_t>(frames.size()));
  if (added) frames.push_back(frame);
  return it->second;
}

uint32_t Profile::intern_stack(const std::vector<uint32_t>& frames_root_first) {
  auto [it, added] =
      stack_ids_.try_emplace(frames_root_first, static_cast<uint32_t>(stacks.size()));
  if (added) stacks.push_back(frames_root_first);
  return it->second;
}

uint32_t Profile::intern_thread(const ProfileThread& thread) {
  for (size_t i = 0; i < threads.size(); ++i)
    if (threads[i] == thread) return static_cast<uint32_t>(i);
  threads.push_back(thread);
  return static_cast<uint32_t>(threads.size() - 1);
}

uint32_t Profile::intern_task(const std::string& name) {
  auto [it, added] = task_ids_.try_emplace(name, static_cast<uint32_t>(tasks.size()));
  if (added) tasks.push_back(name);
  return it->second;
}

}  // namespace corostack::sample
