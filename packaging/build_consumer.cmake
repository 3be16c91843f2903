# cmake -DSOURCE=<examples/consumer> -DBINARY=<dir> -DPREFIX=<staged install>
#       -DGENERATOR=<gen> "-DOPTIONS=<-D...;...>" -P build_consumer.cmake
# Configures the consumer example against PREFIX only, builds it (-j2: the machine's
# budget), requires ctest to name a check by its catalogue ID (faultline_add_conformance_tests)
# and runs its tests: the whole catalogue against its driver, and its own.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer example: ${what} failed (${rc})")
  endif()
endfunction()

file(REMOVE_RECURSE "${BINARY}")
run(configure ${CMAKE_COMMAND} -S "${SOURCE}" -B "${BINARY}" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF ${OPTIONS})
run(build ${CMAKE_COMMAND} --build "${BINARY}" -j 2)
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir "${BINARY}" -N -R POOL-REUSE
  OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT listed MATCHES "Conformance/Pool\\.POOL-REUSE/my-transport"
   OR NOT listed MATCHES "Total Tests: 1\n")
  message(FATAL_ERROR "consumer example: ctest -R POOL-REUSE must list exactly "
    "Conformance/Pool.POOL-REUSE/my-transport; it listed:\n${listed}")
endif()
run(tests ${CMAKE_CTEST_COMMAND} --test-dir "${BINARY}" --output-on-failure --no-tests=error
    --timeout 120)
