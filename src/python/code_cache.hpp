#pragma once
// What a stack walker needs from a PyCodeObject, read once per code object
// and kept for the rest of the walk: frames of the same function share it.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/remote_addr.hpp"
#include "base/result.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

struct CodeInfo {
  std::string name;                     // co_name
  std::optional<std::string> qualname;  // co_qualname (3.11+)
  std::string filename;                 // co_filename, as the code object has it
  int firstlineno = 0;
  std::vector<std::byte> line_table;  // co_lnotab / co_linetable, capped
  RemoteAddr code_start;              // 3.11+: &co_code_adaptive[0]
  int argcount = 0;
  // Local variable names in localsplus order: co_varnames[:co_nlocals]
  // (<=3.10) or co_localsplusnames (3.11+); kinds are CO_FAST_* (3.11+, else 0x20).
  std::vector<std::string> local_names;
  std::vector<uint8_t> local_kinds;
  bool names_read = false;  // local_names filled (only done when locals are asked for)
};

inline constexpr uint8_t kCoFastLocal = 0x20;
inline constexpr uint8_t kCoFastCell = 0x40;
inline constexpr uint8_t kCoFastFree = 0x80;

struct CodeLimits {
  size_t max_name = 512;              // code points of co_name / co_qualname / co_filename
  size_t max_line_table = 1 << 20;    // bytes of a line table
  size_t max_line_tables = 64 << 20;  // bytes of line tables kept for all code objects
  size_t max_locals = 512;            // local names per code object
};

class CodeCache {
 public:
  CodeCache(const RemoteObjects& objects, CodeLimits limits = {}) : ro_(objects), limits_(limits) {}

  // kCorrupt when `code` is not a code object, kUnreadable when its memory is missing.
  Result<const CodeInfo*> get(RemoteAddr code, bool with_local_names);
  size_t size() const { return cache_.size(); }

 private:
  Result<CodeInfo> read(RemoteAddr code);
  void read_local_names(RemoteAddr code, CodeInfo& info);
  bool is_code_type(RemoteAddr type);

  const RemoteObjects& ro_;
  CodeLimits limits_;
  std::unordered_map<RemoteAddr, Result<CodeInfo>> cache_;
  std::unordered_map<RemoteAddr, bool> code_types_;  // ob_type → is "code"
  size_t line_table_bytes_ = 0;                      // kept so far, <= max_line_tables
};

}  // namespace corostack::python
