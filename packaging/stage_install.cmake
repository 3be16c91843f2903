# cmake -DBUILD=<build dir> -DPREFIX=<dir> -P stage_install.cmake
# A fresh `cmake --install` of the build into PREFIX, then the files every route needs.
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD}" --prefix "${PREFIX}"
  OUTPUT_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD} --prefix ${PREFIX} failed (${rc})")
endif()
include(GNUInstallDirs)
set(expected
  ${CMAKE_INSTALL_BINDIR}/faultline-server
  ${CMAKE_INSTALL_BINDIR}/faultline-fetch
  ${CMAKE_INSTALL_BINDIR}/faultline-conformance
  ${CMAKE_INSTALL_LIBDIR}/cmake/Faultline/FaultlineConfig.cmake
  ${CMAKE_INSTALL_LIBDIR}/cmake/Faultline/FaultlineConfigVersion.cmake
  ${CMAKE_INSTALL_LIBDIR}/cmake/Faultline/FaultlineTargets.cmake
  ${CMAKE_INSTALL_INCLUDEDIR}/faultline/harness/driver.h
  ${CMAKE_INSTALL_INCLUDEDIR}/faultline/transport/client.h
  ${CMAKE_INSTALL_DATADIR}/faultline/drivers/node/faultline-driver.js
  ${CMAKE_INSTALL_DATADIR}/faultline/drivers/node-http2/faultline-driver.js
  ${CMAKE_INSTALL_DATADIR}/faultline/drivers/python-httpx/faultline_driver.py
  ${CMAKE_INSTALL_DATADIR}/faultline/drivers/node-fetch/faultline-driver.js
  ${CMAKE_INSTALL_DATADIR}/faultline/scenarios/default.json
  ${CMAKE_INSTALL_DATADIR}/faultline/scenarios/scenario.schema.json
  ${CMAKE_INSTALL_DATADIR}/faultline/launchers/python/pyproject.toml
  ${CMAKE_INSTALL_DATADIR}/faultline/launchers/node/package.json)
# Each driver program the build made (drivers/bin), installed beside the others.
file(GLOB built_drivers RELATIVE "${BUILD}/${CMAKE_INSTALL_DATADIR}/faultline/drivers/bin"
  "${BUILD}/${CMAKE_INSTALL_DATADIR}/faultline/drivers/bin/faultline-driver-*")
foreach(driver IN LISTS built_drivers)
  list(APPEND expected ${CMAKE_INSTALL_DATADIR}/faultline/drivers/bin/${driver})
endforeach()
foreach(file IN LISTS expected)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "the install lacks ${file}")
  endif()
endforeach()
message(STATUS "installed into ${PREFIX}")
