#pragma once
// A typed address in the target's address space. It cannot be dereferenced
// locally and does not mix with local pointers by accident.
#include <compare>
#include <cstdint>
#include <functional>

namespace corostack {

class RemoteAddr {
 public:
  constexpr RemoteAddr() = default;
  constexpr explicit RemoteAddr(uint64_t v) : v_(v) {}
  constexpr uint64_t value() const { return v_; }
  constexpr bool is_null() const { return v_ == 0; }
  constexpr RemoteAddr operator+(uint64_t d) const { return RemoteAddr(v_ + d); }
  constexpr RemoteAddr operator-(uint64_t d) const { return RemoteAddr(v_ - d); }
  constexpr uint64_t operator-(RemoteAddr o) const { return v_ - o.v_; }
  constexpr auto operator<=>(const RemoteAddr&) const = default;

 private:
  uint64_t v_ = 0;
};

}  // namespace corostack

template <>
struct std::hash<corostack::RemoteAddr> {
  size_t operator()(corostack::RemoteAddr a) const noexcept {
    return std::hash<uint64_t>()(a.value());
  }
};
