# The Debian package (./faultline package): everything cmake --install installs, under
# /usr. Depends: the shared libraries the programs link (dpkg-shlibdeps). Recommended:
# Node for the bundled drivers (undici needs Node >= 20.18.1), the runtimes of the drivers
# over other languages' clients (a JRE 17 with Debian's okhttp and okio jars, python3
# with httpx and h2; the Go driver is a static binary), the -dev packages the CMake
# package needs, python3 for the Python launcher.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME faultline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "fault-injecting HTTP/2 + HTTP/1.1 fake server, pooled HTTP/2 transport, conformance suite")
set(CPACK_PACKAGE_DESCRIPTION
  "faultline-server injects protocol faults (GOAWAY, resets, late DATA, ALPN policies) for
any language's test suite; faultline-conformance runs the check catalogue against the
bundled drivers; the CMake package (find_package(Faultline)) brings the transport, the
harness and the conformance library; the Python and Node launchers start the server.")
set(CPACK_PACKAGE_CONTACT "Faultline maintainers <faultline@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
  "nodejs, openjdk-17-jre-headless, libokhttp-java, libokio-java, python3-httpx, python3-h2, libnghttp2-dev, libssl-dev, libcurl4-openssl-dev, libboost1.81-dev, libboost-filesystem1.81-dev, nlohmann-json3-dev, pkg-config, python3")
include(CPack)
