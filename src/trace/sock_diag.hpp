#pragma once
// One request/reply exchange with the kernel's NETLINK_SOCK_DIAG interface
// (what `ss` uses), shared by the AF_UNIX and AF_INET(6) socket lookups. It
// asks the network namespace of the calling process. Every send and receive
// is bounded by a timeout, and the reply by a number of datagrams.
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>

namespace corostack::trace {

enum class DiagStatus { kFound, kFailed, kIncomplete };

// Sends `request` (an nlmsghdr and its payload; its nlmsg_seq is set here)
// and hands each datagram from the kernel to `on_reply`, with the sequence
// number used, until it says kFound or kFailed, a read fails or times out,
// or `max_reads` datagrams were read. True when it said kFound.
bool sock_diag_exchange(
    std::span<uint8_t> request, int max_reads,
    const std::function<DiagStatus(std::span<const uint8_t>, uint32_t seq)>& on_reply);

// Walks one datagram's netlink messages: for each SOCK_DIAG_BY_FAMILY reply
// of sequence `seq`, `on_message(body)`; its first answer other than
// kIncomplete is returned. An error or end-of-dump message of `seq`, or a
// malformed or truncated header, is kFailed; messages of other sequence
// numbers (replies to an older request) are skipped.
DiagStatus for_each_diag_message(
    std::span<const uint8_t> data, uint32_t seq,
    const std::function<DiagStatus(std::span<const uint8_t> body)>& on_message);

// Reads a T at `off` of `data` (which need not be aligned for T).
template <typename T>
bool diag_read_at(std::span<const uint8_t> data, size_t off, T& out) {
  if (off > data.size() || data.size() - off < sizeof(T)) return false;
  std::memcpy(&out, data.data() + off, sizeof(T));
  return true;
}

}  // namespace corostack::trace
