# -DRMQ_SANITIZE=address,undefined or -DRMQ_SANITIZE=thread (issue 13, part 3): every target of this build is
# compiled and linked with that sanitizer, so the libraries, the test binaries and the rmq-broker / rmq-namesrv
# processes that the integration tests start are all instrumented. tools/run-sanitizers.sh configures
# build-asan and build-tsan with it and runs the chosen test binaries through ctest.
#
# -O1 keeps the instrumented libraries fast enough for CI without the -O2 folding that hides stack frames
# (the test sources themselves get -O0, see below);
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

  # The test binaries' own sources (test_*) are compiled at -O0: clang spends half of an instrumented -O1
  # compile in the optimizer (tests/unit/server/admin_and_query_test.cc: 20 s at -O1, 10 s at -O0 with
  # ASan+UBSan), the test code is not where the tests spend their time, and -O0 finds the same errors.
  # test_sim stays at -O1: its harness (tests/sim) is the hot loop of the simulator's seeds.
  # The libraries and the rmq-broker / rmq-namesrv processes keep -O1. Applied once every target exists.
  function(rmq_sanitize_tests_at_o0)
    get_property(targets DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t IN LISTS targets)
      if(t MATCHES "^test_" AND NOT t STREQUAL "test_sim")
        target_compile_options(${t} PRIVATE -O0)
      endif()
    endforeach()
  endfunction()
  cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL rmq_sanitize_tests_at_o0)
endif()
