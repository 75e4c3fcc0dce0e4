# -DRMQ_FUZZ=ON (clang only): every library is compiled with libFuzzer coverage and ASan+UBSan, so that the
# targets in tests/fuzz see the real parsers instrumented. Included from the top CMakeLists.txt before the
# libraries are defined; tools/run-fuzz.sh configures a build-fuzz dir with it (tests and benchmarks off).
if(RMQ_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "RMQ_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  # UBSan findings abort like ASan ones, so that the fuzzer reports them as crashes. pointer-overflow stays
  # recoverable only so that tests/fuzz/ubsan.supp can silence it in a third-party header; run-fuzz.sh sets
  # halt_on_error=1, so any other such finding still stops the run.
  set(RMQ_FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all
      -fsanitize-recover=pointer-overflow -fno-omit-frame-pointer)
  add_compile_options(-fsanitize=fuzzer-no-link ${RMQ_FUZZ_SANITIZERS})
  add_link_options(${RMQ_FUZZ_SANITIZERS})
endif()
