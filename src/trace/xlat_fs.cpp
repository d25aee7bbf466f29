// Open flags and file modes: both mix an enumerated field (access mode, file
// type) with bits, which the plain flag printer cannot do alone.
#include "trace/xlat_fs.hpp"

#include <fmt/format.h>

namespace corostack::trace {

std::string format_open_flags(uint64_t flags) {
  std::string out = find_name(flags & 3, kAccessModes);
  uint64_t rest = flags & ~uint64_t{3};
  if (rest != 0) out += "|" + format_flags(rest, kOpenFlags);
  return out;
}

std::string format_file_mode(uint64_t mode) {
  std::string out;
  if (const char* type = find_name(mode & 0170000, kFileTypes)) {
    out = std::string(type) + "|";
  } else if ((mode & 0170000) != 0) {
    out = fmt::format("{:#o}|", mode & 0170000);
  }
  if (mode & 04000) out += "S_ISUID|";
  if (mode & 02000) out += "S_ISGID|";
  if (mode & 01000) out += "S_ISVTX|";
  return out + fmt::format("0{:02o}", mode & 0777);
}

}  // namespace corostack::trace
