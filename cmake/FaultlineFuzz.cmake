# faultline_add_fuzz(NAME SOURCES src... LIBS lib... [INCLUDES dir...])
# One fuzz target: fuzz/fuzz_NAME.cpp beside its module defines LLVMFuzzerTestOneInput,
# its seed corpus is fuzz/corpus/NAME/ (README.md, "Fuzzing").
# - fuzz preset (FAULTLINE_FUZZ=ON, clang): a libFuzzer executable fuzz_NAME, and a
#   short ctest run fuzz_NAME_run (the corpus plus FAULTLINE_FUZZ_RUNS mutations;
#   new inputs go to the build tree, never into the source corpus);
# - any other preset with tests: the same source linked with a replay main() as
#   fuzz_NAME, and a ctest fuzz_NAME_replay that runs every corpus file through it.
set(FAULTLINE_FUZZ_RUNS 4000 CACHE STRING "Executions of each fuzz target's ctest run")

if(NOT TARGET fuzz)
  add_custom_target(fuzz)
endif()

function(faultline_add_fuzz name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;INCLUDES" ${ARGN})
  set(target fuzz_${name})
  set(corpus "${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name}")
  if(NOT IS_DIRECTORY "${corpus}")
    message(FATAL_ERROR "fuzz target ${name}: no seed corpus at ${corpus}")
  endif()
  if(FAULTLINE_FUZZ)
    add_executable(${target} ${ARG_SOURCES})
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  elseif(FAULTLINE_BUILD_TESTS)
    add_executable(${target} ${ARG_SOURCES} "${PROJECT_SOURCE_DIR}/cmake/fuzz/replay_main.cpp")
  else()
    return()
  endif()
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} faultline_options)
  target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/cmake/fuzz" ${ARG_INCLUDES})
  add_dependencies(fuzz ${target})

  if(FAULTLINE_FUZZ)
    set(scratch "${CMAKE_BINARY_DIR}/fuzz-ctest/${name}")
    # Where the run writes the inputs it finds and any crash (made at configure time).
    file(MAKE_DIRECTORY "${scratch}/corpus" "${scratch}/artifacts")
    add_test(NAME ${target}_run
      COMMAND $<TARGET_FILE:${target}> -runs=${FAULTLINE_FUZZ_RUNS} -seed=1 -timeout=25
              -max_total_time=120 "-artifact_prefix=${scratch}/artifacts/"
              "${scratch}/corpus" "${corpus}")
    set_tests_properties(${target}_run PROPERTIES LABELS "fuzz" TIMEOUT 180)
  else()
    add_test(NAME ${target}_replay COMMAND ${target} "${corpus}")
    set_tests_properties(${target}_replay PROPERTIES LABELS "unit;fuzz" TIMEOUT 120)
  endif()
endfunction()
