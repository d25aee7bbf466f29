# Test targets: programs that reach a known state, write the truth about
# themselves and block (see target_common.hpp for the protocol). Paths are
# relative to tests/ because tests/CMakeLists.txt include()s this file.
set(TARGETS_DIR ${CMAKE_CURRENT_SOURCE_DIR}/targets)
find_package(Threads REQUIRED)

# One target program built with its own optimisation level, whatever the
# project's build type: the e2e tests depend on the exact flags. Target
# options come after CMAKE_CXX_FLAGS_<CONFIG> on the command line, so they win.
function(corostack_test_target name opt)
  add_executable(${name} ${ARGN} ${TARGETS_DIR}/target_common.cpp)
  target_include_directories(${name} PRIVATE ${TARGETS_DIR})
  # -fno-omit-frame-pointer is left at each level's default on purpose:
  # -O2 omits it, so the unwinder must use CFI.
  target_compile_options(${name} PRIVATE ${opt} -g)
  target_link_libraries(${name} PRIVATE Threads::Threads)
  # Targets are subjects, not code under test: under COROSTACK_SANITIZE they
  # stay uninstrumented (ASan's shadow memory would make every core huge).
  target_compile_options(${name} PRIVATE -fno-sanitize=all)
  target_link_options(${name} PRIVATE -fno-sanitize=all)
endfunction()

corostack_test_target(native_threads_O0 -O0 ${TARGETS_DIR}/native_threads.cpp)
corostack_test_target(native_threads_O2 -O2 ${TARGETS_DIR}/native_threads.cpp)
corostack_test_target(many_threads -O2 ${TARGETS_DIR}/many_threads.cpp)
corostack_test_target(eintr_loops -O2 ${TARGETS_DIR}/eintr_loops.cpp)
corostack_test_target(hostile_threads -O2 ${TARGETS_DIR}/hostile_threads.cpp)
# The churn soak's C++ target (coroutines, so C++20 like the rest).
corostack_test_target(churn -O2 ${TARGETS_DIR}/churn.cpp)
# The eBPF tracer's e2e target: a known syscall sequence started on a go byte.
corostack_test_target(bpf_syscall_target -O2 ${TARGETS_DIR}/bpf_syscall_target.cpp)
# doctor's lock-state targets (pthread and std::mutex cycles, rwlock, abandoned, healthy).
corostack_test_target(lock_deadlock_O0 -O0 ${TARGETS_DIR}/lock_deadlock.cpp)
corostack_test_target(lock_deadlock_O2 -O2 ${TARGETS_DIR}/lock_deadlock.cpp)
# Cores of crashed processes: a worker dies from a chosen signal (tests/targets/crasher.cpp).
corostack_test_target(crasher -O1 ${TARGETS_DIR}/crasher.cpp)
# The trace strace-oracle's native target: sockets, epoll, fork+execve, a thread.
corostack_test_target(syscall_mix -O2 ${TARGETS_DIR}/syscall_mix.cpp)
# doctor --watch's uninterruptible-sleep target: a thread parked in vfork().
add_executable(vfork_stuck ${TARGETS_DIR}/vfork_stuck.cpp)
target_compile_options(vfork_stuck PRIVATE -O1 -g -fno-sanitize=all)
target_link_options(vfork_stuck PRIVATE -fno-sanitize=all)
target_link_libraries(vfork_stuck PRIVATE Threads::Threads)
