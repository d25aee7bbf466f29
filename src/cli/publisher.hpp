#pragma once
// What a sandboxed command may not do itself (target/sandbox.hpp: no file is
// created, renamed or removed in it), done by a helper forked before the
// sandbox: it waits on a pipe for a verdict byte, 'y' to publish or end of
// file to give up (the command failed or died), and runs the action given
// for each; after 'y' the rest of the pipe is the action's to read (record
// streams its profile through it). The helper does nothing else, so what it
// can be made to do by a compromised analysis is this one action.
#include <sys/types.h>

#include <functional>
#include <string>

#include "base/result.hpp"

namespace corostack {

class Publisher {
 public:
  // publish(read_fd) runs on 'y' and returns the helper's exit status
  // (0: published; it prints its own errors); give_up() runs otherwise.
  static Result<Publisher> start(std::function<int(int read_fd)> publish,
                                 std::function<void()> give_up);
  Publisher(Publisher&& other) noexcept;
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;
  ~Publisher();  // gives up if neither finish() nor publish() was called

  pid_t pid() const { return pid_; }
  // Sends 'y' and then `payload`, waits; true if the helper published.
  bool publish(const std::string& payload = {});
  // Gives up and waits.
  void give_up();

 private:
  Publisher(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  int wait();
  pid_t pid_ = -1;
  int fd_ = -1;
};

}  // namespace corostack
