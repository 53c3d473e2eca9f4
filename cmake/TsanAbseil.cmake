# COVE_TSAN: lets ThreadSanitizer see absl::Mutex and absl::Notification of
# an abseil that was not built with -fsanitize=thread (Debian's), by
# wrapping their functions (tests/tsan/absl_tsan_shim.cc explains how).
# Provides the INTERFACE target cove_tsan_abseil that test executables link.
set(_cove_absl_options "")
foreach(_dir IN LISTS absl_INCLUDE_DIRS CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES
        /usr/include /usr/local/include)
  if(EXISTS "${_dir}/absl/base/options.h")
    set(_cove_absl_options "${_dir}/absl/base/options.h")
    break()
  endif()
endforeach()
if(NOT _cove_absl_options)
  message(FATAL_ERROR "COVE_TSAN: absl/base/options.h not found")
endif()
file(STRINGS "${_cove_absl_options}" _cove_ns
     REGEX "^#define ABSL_OPTION_INLINE_NAMESPACE_NAME ")
if(NOT _cove_ns MATCHES "ABSL_OPTION_INLINE_NAMESPACE_NAME debian3$")
  message(FATAL_ERROR
    "COVE_TSAN: tests/tsan/absl_tsan_shim.cc wraps abseil's Debian 12 symbols "
    "(inline namespace debian3), but ${_cove_absl_options} says '${_cove_ns}'; "
    "update the mangled names in the shim")
endif()

add_library(cove_tsan_abseil INTERFACE)
target_sources(cove_tsan_abseil INTERFACE
  "${CMAKE_SOURCE_DIR}/tests/tsan/absl_tsan_shim.cc")
target_link_libraries(cove_tsan_abseil INTERFACE absl::synchronization)
foreach(_sym IN ITEMS
    _ZN4absl7debian35Mutex4LockEv
    _ZN4absl7debian35Mutex6UnlockEv
    _ZN4absl7debian35Mutex10ReaderLockEv
    _ZN4absl7debian35Mutex12ReaderUnlockEv
    _ZN4absl7debian35Mutex7TryLockEv
    _ZN4absl7debian35Mutex13ReaderTryLockEv
    _ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE
    _ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE
    _ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE
    _ZN4absl7debian312Notification6NotifyEv
    _ZNK4absl7debian312Notification19WaitForNotificationEv
    _ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE)
  target_link_options(cove_tsan_abseil INTERFACE "LINKER:--wrap=${_sym}")
endforeach()
