#pragma once
// Reads struct layouts (member offsets, sizes, bitfields) from a file's DWARF.
// Used offline: by tools/gen_python_layout to write the per-version tables and
// by the unit test that proves them. Never on a target's hot path.
#include <elfutils/libdw.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace corostack::python {

// Where a member lives, in bits from the start of the outermost struct.
struct MemberLoc {
  int64_t bit_offset = 0;
  int64_t bit_size = -1;  // >= 0 only for bitfields
  int64_t byte_size = 0;  // member size; for arrays the element size
};

class DwarfStructReader {
 public:
  static Result<std::unique_ptr<DwarfStructReader>> open(const std::string& path);
  ~DwarfStructReader();
  DwarfStructReader(const DwarfStructReader&) = delete;
  DwarfStructReader& operator=(const DwarfStructReader&) = delete;

  // Looks up complete definitions of the named types (typedef names or
  // struct/union tags) in one pass over the units' top-level DIEs, stopping as
  // soon as all are found: a libpython has thousands of units, and the
  // common headers make most types appear in the first few.
  void find_types(std::span<const std::string> names);

  // After find_types: the byte size of a found type, or nullopt.
  std::optional<int64_t> type_size(const std::string& name) const;
  // After find_types: a dotted member path ("interpreters.head"). Members of
  // anonymous structs/unions are found through them; each named step must
  // be a struct/union (through typedefs and qualifiers). nullopt when the
  // type or any step is missing.
  std::optional<MemberLoc> member(const std::string& type, std::string_view path) const;

  std::string build_id_hex() const;  // empty when the file has none
  const std::string& path() const { return path_; }

 private:
  DwarfStructReader(std::string path, int fd, Dwarf* dbg);

  std::string path_;
  int fd_;
  Dwarf* dbg_;
  std::map<std::string, Dwarf_Die, std::less<>> found_;  // name -> struct/union/base type
};

}  // namespace corostack::python
