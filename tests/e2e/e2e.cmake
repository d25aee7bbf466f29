# End-to-end tests: spawn a target, run the real corostack binary (and gdb as
# an oracle), compare with the truth the target wrote. Paths are relative to
# tests/ because tests/CMakeLists.txt include()s this file.
file(GLOB E2E_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/e2e/*.cpp)
add_executable(corostack_e2e_tests ${E2E_SOURCES})
target_link_libraries(corostack_e2e_tests PRIVATE
  GTest::gtest GTest::gtest_main nlohmann_json::nlohmann_json)
# The binaries under test, by absolute path (tests/e2e/paths.hpp).
target_compile_definitions(corostack_e2e_tests PRIVATE
  COROSTACK_BUILD_DIR="${CMAKE_BINARY_DIR}"
  COROSTACK_BIN="$<TARGET_FILE:corostack>"
  NATIVE_THREADS_O0="$<TARGET_FILE:native_threads_O0>"
  NATIVE_THREADS_O2="$<TARGET_FILE:native_threads_O2>"
  MANY_THREADS="$<TARGET_FILE:many_threads>"
  EINTR_LOOPS="$<TARGET_FILE:eintr_loops>"
  HOSTILE_THREADS="$<TARGET_FILE:hostile_threads>"
  CHURN="$<TARGET_FILE:churn>"
  PY_CHURN_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_churn.py"
  PY_HOSTILE_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_hostile.py"
  PY_THREADS_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_threads.py"
  PY_SUBINTERPRETERS_ASYNCIO_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_subinterpreters_asyncio.py"
  PY_DUTY_THREADS_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_duty_threads.py"
  PY_GC_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_gc.py"
  PY_SYSCALLS_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_syscalls.py"
  PY_LOCKS_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_locks.py"
  PY_SUBINTERPRETERS_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_subinterpreters.py"
  PY_ASYNCIO_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_asyncio.py"
  PY_ORPHANED_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_orphaned.py"
  PY_IDLE_LOOP_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_idle_loop.py"
  PY_CPU_SPLIT_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_cpu_split.py")
# Building the tests builds what they run.
add_dependencies(corostack_e2e_tests corostack native_threads_O0 native_threads_O2 many_threads
  eintr_loops hostile_threads churn)
# The coroutine targets (tests/targets/coro_targets.cmake): those built.
target_compile_definitions(corostack_e2e_tests PRIVATE CORO_TARGETS_DIR="${CORO_TARGETS_DIR}")
if(CORO_TARGETS)
  add_dependencies(corostack_e2e_tests ${CORO_TARGETS})
endif()
# The native-variables targets (tests/targets/locals_targets.cmake): those built.
target_compile_definitions(corostack_e2e_tests PRIVATE LOCALS_TARGETS_DIR="${LOCALS_TARGETS_DIR}")
if(LOCALS_TARGETS)
  add_dependencies(corostack_e2e_tests ${LOCALS_TARGETS})
endif()
gtest_discover_tests(corostack_e2e_tests DISCOVERY_TIMEOUT 60 NO_PRETTY_VALUES
  TEST_FILTER "-RecordCommandTest.Rate1000:*DoctorWatchTest.*"
  PROPERTIES LABELS e2e TIMEOUT 300)
# The 1000 Hz rate check measures the sampler, not the machine: it runs alone
# (beside a test starting 2000 threads it got a quarter of the rate); so does
# doctor --watch's spinning check, which measures a thread's CPU share.
gtest_discover_tests(corostack_e2e_tests DISCOVERY_TIMEOUT 60 NO_PRETTY_VALUES
  TEST_FILTER "RecordCommandTest.Rate1000:*DoctorWatchTest.*"
  PROPERTIES LABELS e2e TIMEOUT 300 RUN_SERIAL TRUE)
# Soak runs (`make soak`, i.e. `ctest -L soak`; `make test` leaves the label
# out): the same tests again under a "soak." prefix with COROSTACK_SOAK=1,
# which makes them long (docs/reliability.md): 1000 kills per command, 10 000
# threads, 10 000 runs against the churn target, 30 s of record at 100 Hz
# against an idle asyncio loop.
gtest_discover_tests(corostack_e2e_tests DISCOVERY_TIMEOUT 60 NO_PRETTY_VALUES
  TEST_PREFIX soak.
  TEST_FILTER "PauseSafety.*Killed*:BadInput.ThousandsOfThreads:Churn.*:*IdleLoopHarmTest.*pyenv_3_12*"
  PROPERTIES LABELS soak TIMEOUT 21600 ENVIRONMENT COROSTACK_SOAK=1)
# In-process tests of library APIs against real targets (python_locator_test).
target_link_libraries(corostack_e2e_tests PRIVATE corostack_lib)
# The eBPF tracer's test (bpf_tracer_test.cpp) and its target.
target_compile_definitions(corostack_e2e_tests PRIVATE
  BPF_SYSCALL_TARGET="$<TARGET_FILE:bpf_syscall_target>")
add_dependencies(corostack_e2e_tests bpf_syscall_target)
# doctor's native lock targets (tests/targets/lock_deadlock.cpp).
target_compile_definitions(corostack_e2e_tests PRIVATE
  LOCK_DEADLOCK_O0="$<TARGET_FILE:lock_deadlock_O0>"
  LOCK_DEADLOCK_O2="$<TARGET_FILE:lock_deadlock_O2>")
add_dependencies(corostack_e2e_tests lock_deadlock_O0 lock_deadlock_O2)
if(LOCK_TARGETS)
  add_dependencies(corostack_e2e_tests ${LOCK_TARGETS})
endif()
target_compile_definitions(corostack_e2e_tests PRIVATE CRASHER="$<TARGET_FILE:crasher>")
add_dependencies(corostack_e2e_tests crasher)
target_compile_definitions(corostack_e2e_tests PRIVATE
  PY_BLOCKED_LOOP_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_blocked_loop.py")
target_compile_definitions(corostack_e2e_tests PRIVATE
  PY_WATCH_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_watch.py")
target_compile_definitions(corostack_e2e_tests PRIVATE
  PY_GC_BUSY_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/targets/python/py_gc_busy.py")
# trace against strace on a native target (tests/targets/syscall_mix.cpp).
target_compile_definitions(corostack_e2e_tests PRIVATE SYSCALL_MIX="$<TARGET_FILE:syscall_mix>")
add_dependencies(corostack_e2e_tests syscall_mix)
# doctor --watch on a thread in uninterruptible sleep (tests/targets/vfork_stuck.cpp).
target_compile_definitions(corostack_e2e_tests PRIVATE VFORK_STUCK="$<TARGET_FILE:vfork_stuck>")
add_dependencies(corostack_e2e_tests vfork_stuck)
