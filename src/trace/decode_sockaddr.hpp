#pragma once
// Socket addresses as strace prints them: {sa_family=AF_INET,
// sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")} and the like.
#include <cstdint>
#include <string>

#include "trace/decode_format.hpp"

namespace corostack::trace {

// `len` is the length the caller or kernel gave; at most a sockaddr_storage
// (128 bytes) is read. Unreadable or len <= 0: the address in hex.
std::string fmt_sockaddr(const Ctx& c, uint64_t addr, int64_t len);

}  // namespace corostack::trace
