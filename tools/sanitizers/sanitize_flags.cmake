# -DRMQ_SANITIZE=address,undefined or -DRMQ_SANITIZE=thread (issue 13, part 3): every target of this build is
# compiled and linked with that sanitizer, so the libraries, the test binaries and the rmq-broker / rmq-namesrv
# processes that the integration tests start are all instrumented. tools/run-sanitizers.sh configures
# build-asan and build-tsan with it and runs the chosen test binaries through ctest.
#
# -O1 keeps the instrumented tests fast enough for CI without the -O2 folding that hides stack frames;
# -g1 (line tables only) is enough for symbolized reports and halves the debug info the linker has to chew;
# -fno-sanitize-recover=all makes every UBSan finding fatal, like an ASan one, so a finding fails its test.
# Included from the top CMakeLists.txt after the warning flags; it adds to them, never replaces them.
set(RMQ_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined | thread | empty (none)")
if(RMQ_SANITIZE)
  if(RMQ_SANITIZE MATCHES "thread" AND RMQ_SANITIZE MATCHES "address")
    message(FATAL_ERROR "RMQ_SANITIZE: thread cannot be combined with address; use two build dirs")
  endif()
  set(rmq_sanitize_flags -fsanitize=${RMQ_SANITIZE} -fno-omit-frame-pointer)
  if(RMQ_SANITIZE MATCHES "undefined")
    # pointer-overflow stays recoverable so that tools/sanitizers/ubsan.supp can silence rapidjson's
    # internal/stack.h (third-party; see there); halt_on_error=1 in UBSAN_OPTIONS still stops on any other one.
    list(APPEND rmq_sanitize_flags -fno-sanitize-recover=all -fsanitize-recover=pointer-overflow)
  endif()
  add_compile_options(${rmq_sanitize_flags} -O1 -g1)
  add_link_options(${rmq_sanitize_flags})
  message(STATUS "rmq: building with -fsanitize=${RMQ_SANITIZE}")
endif()
