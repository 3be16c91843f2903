# cmake -DSOURCE=<examples/consumer> -DBINARY=<dir> -DPREFIX=<staged install>
#       -DGENERATOR=<gen> "-DOPTIONS=<-D...;...>" -P build_consumer.cmake
# Configures the consumer example against PREFIX only, builds it (-j2: the machine's
# budget) and runs its tests.
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
run(tests ${CMAKE_CTEST_COMMAND} --test-dir "${BINARY}" --output-on-failure --no-tests=error
    --timeout 120)
