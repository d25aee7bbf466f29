#pragma once
// A small Result<T>: a value or an Error. Reads from a target fail routinely
// (unmapped pages, exited threads), so they return a Result instead of throwing.
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace corostack {

enum class ErrorKind {
  kNotFound,     // no such pid / file / symbol
  kPermission,   // EPERM/EACCES from ptrace, process_vm_readv, open
  kUnreadable,   // an address that is not mapped or not in the core
  kCorrupt,      // data that fails validation (bad ELF, bad note, cycle)
  kUnsupported,  // another architecture, 32-bit core, unknown format
  kGone,         // the process or thread exited under us
  kIo,           // any other OS error
  kUsage,        // the caller asked for something that does not make sense
};

struct Error {
  ErrorKind kind = ErrorKind::kIo;
  std::string message;
};

inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<Error>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() {
  return Ok{};
}

}  // namespace corostack
