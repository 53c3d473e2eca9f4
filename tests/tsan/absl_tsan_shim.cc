// ThreadSanitizer support for Debian's abseil (COVE_TSAN builds only;
// cmake/TsanAbseil.cmake lists the wrapped symbols and checks that abseil's
// inline namespace is Debian 12's `debian3`, which the names below encode).
//
// Debian's libabsl_synchronization is not built with -fsanitize=thread, so
// TSan cannot see absl::Mutex lock and unlock (they are atomics inside an
// uninstrumented library) and would report every access guarded by an
// absl::Mutex as a data race. The TSan build links every executable with
// `-Wl,--wrap=<symbol>` for the functions below (see CMakeLists.txt), which
// sends our calls here: each one calls the real function and tells TSan
// about the synchronization with __tsan_acquire / __tsan_release on the
// mutex address. Calls made inside abseil itself are not wrapped; our code
// only uses Mutex (exclusive and shared), Condition-based waits and
// Notification, which are all covered.
//
// Shared (reader) locks are modeled like exclusive ones, so TSan may miss a
// race between two readers that both write under a reader lock; it reports
// no false races.
#include <sanitizer/tsan_interface.h>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

extern "C" {

void __real__ZN4absl7debian35Mutex4LockEv(absl::Mutex* mu);
void __real__ZN4absl7debian35Mutex6UnlockEv(absl::Mutex* mu);
void __real__ZN4absl7debian35Mutex10ReaderLockEv(absl::Mutex* mu);
void __real__ZN4absl7debian35Mutex12ReaderUnlockEv(absl::Mutex* mu);
bool __real__ZN4absl7debian35Mutex7TryLockEv(absl::Mutex* mu);
bool __real__ZN4absl7debian35Mutex13ReaderTryLockEv(absl::Mutex* mu);
void __real__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(
    absl::Mutex* mu, const absl::Condition* cond);
bool __real__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    absl::Mutex* mu, const absl::Condition* cond, absl::Duration timeout);
void __real__ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE(
    absl::Mutex* mu, const absl::Condition* cond);
void __real__ZN4absl7debian312Notification6NotifyEv(absl::Notification* n);
void __real__ZNK4absl7debian312Notification19WaitForNotificationEv(
    const absl::Notification* n);
bool __real__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
    const absl::Notification* n, absl::Duration timeout);

void __wrap__ZN4absl7debian35Mutex4LockEv(absl::Mutex* mu) {
  __real__ZN4absl7debian35Mutex4LockEv(mu);
  __tsan_acquire(mu);
}
void __wrap__ZN4absl7debian35Mutex6UnlockEv(absl::Mutex* mu) {
  __tsan_release(mu);
  __real__ZN4absl7debian35Mutex6UnlockEv(mu);
}
void __wrap__ZN4absl7debian35Mutex10ReaderLockEv(absl::Mutex* mu) {
  __real__ZN4absl7debian35Mutex10ReaderLockEv(mu);
  __tsan_acquire(mu);
}
void __wrap__ZN4absl7debian35Mutex12ReaderUnlockEv(absl::Mutex* mu) {
  __tsan_release(mu);
  __real__ZN4absl7debian35Mutex12ReaderUnlockEv(mu);
}
bool __wrap__ZN4absl7debian35Mutex7TryLockEv(absl::Mutex* mu) {
  bool locked = __real__ZN4absl7debian35Mutex7TryLockEv(mu);
  if (locked) __tsan_acquire(mu);
  return locked;
}
bool __wrap__ZN4absl7debian35Mutex13ReaderTryLockEv(absl::Mutex* mu) {
  bool locked = __real__ZN4absl7debian35Mutex13ReaderTryLockEv(mu);
  if (locked) __tsan_acquire(mu);
  return locked;
}
}  // extern "C"

namespace {

// abseil evaluates a waiter's condition inside its own code, with the mutex
// held (by the waiter or by the thread unlocking): the wrapped condition
// tells TSan so around the evaluation.
struct HeldCondition {
  const absl::Condition* condition;
  absl::Mutex* mu;
};

bool EvalHeld(HeldCondition* c) {
  __tsan_acquire(c->mu);
  bool result = c->condition->Eval();
  __tsan_release(c->mu);
  return result;
}

}  // namespace

extern "C" {

// Await* release the mutex while waiting and hold it again on return.
void __wrap__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(
    absl::Mutex* mu, const absl::Condition* cond) {
  HeldCondition held{cond, mu};
  absl::Condition wrapped(&EvalHeld, &held);
  __tsan_release(mu);
  __real__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(mu, &wrapped);
  __tsan_acquire(mu);
}
bool __wrap__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    absl::Mutex* mu, const absl::Condition* cond, absl::Duration timeout) {
  HeldCondition held{cond, mu};
  absl::Condition wrapped(&EvalHeld, &held);
  __tsan_release(mu);
  bool met =
      __real__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
          mu, &wrapped, timeout);
  __tsan_acquire(mu);
  return met;
}
void __wrap__ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE(
    absl::Mutex* mu, const absl::Condition* cond) {
  HeldCondition held{cond, mu};
  absl::Condition wrapped(&EvalHeld, &held);
  __real__ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE(mu, &wrapped);
  __tsan_acquire(mu);
}
void __wrap__ZN4absl7debian312Notification6NotifyEv(absl::Notification* n) {
  __tsan_release(n);
  __real__ZN4absl7debian312Notification6NotifyEv(n);
}
void __wrap__ZNK4absl7debian312Notification19WaitForNotificationEv(
    const absl::Notification* n) {
  __real__ZNK4absl7debian312Notification19WaitForNotificationEv(n);
  __tsan_acquire(const_cast<absl::Notification*>(n));
}
bool __wrap__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
    const absl::Notification* n, absl::Duration timeout) {
  bool notified =
      __real__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
          n, timeout);
  if (notified) __tsan_acquire(const_cast<absl::Notification*>(n));
  return notified;
}

}  // extern "C"
