#pragma once
// Binaries under test, as built by CMake (compile definitions from e2e.cmake).
namespace e2e::paths {

inline constexpr const char* kCorostack = COROSTACK_BIN;
inline constexpr const char* kNativeThreadsO0 = NATIVE_THREADS_O0;
inline constexpr const char* kNativeThreadsO2 = NATIVE_THREADS_O2;
inline constexpr const char* kManyThreads = MANY_THREADS;
inline constexpr const char* kEintrLoops = EINTR_LOOPS;
inline constexpr const char* kHostileThreads = HOSTILE_THREADS;
inline constexpr const char* kPyHostileScript = PY_HOSTILE_SCRIPT;
inline constexpr const char* kChurn = CHURN;
inline constexpr const char* kPyChurnScript = PY_CHURN_SCRIPT;
inline constexpr const char* kLockDeadlockO0 = LOCK_DEADLOCK_O0;
inline constexpr const char* kLockDeadlockO2 = LOCK_DEADLOCK_O2;
inline constexpr const char* kCrasher = CRASHER;

}  // namespace e2e::paths
