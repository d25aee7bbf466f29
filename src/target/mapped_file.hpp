#pragma once
// A whole file mapped read-only: the core itself and ELF files whose headers
// we inspect. Mapping avoids copying cores that can be gigabytes large.
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "base/result.hpp"

namespace corostack {

class MappedFile {
 public:
  // Errors: kNotFound, kPermission, kIo (also for directories and devices).
  // An empty file maps to an empty span.
  static Result<std::unique_ptr<MappedFile>> open(const std::string& path);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const std::byte* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace corostack
