# What `cmake --install` puts beside the binaries and the library: the CMake package
# (find_package(vipcheck) -> vipcheck::vipcheck), a pkg-config file and the examples.
# Every destination is relative to the prefix, so DESTDIR and --prefix both work.
include(CMakePackageConfigHelpers)

set(VIPCHECK_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/vipcheck)
install(EXPORT vipcheckTargets NAMESPACE vipcheck:: DESTINATION ${VIPCHECK_CMAKEDIR}
  COMPONENT development)
configure_package_config_file(cmake/vipcheckConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/vipcheckConfig.cmake
  INSTALL_DESTINATION ${VIPCHECK_CMAKEDIR})
# 0.x: the API may still change between minor versions, hence SameMinorVersion.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/vipcheckConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vipcheckConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/vipcheckConfigVersion.cmake
  DESTINATION ${VIPCHECK_CMAKEDIR} COMPONENT development)

# The .pc file finds its prefix from its own location (${pcfiledir}), so the staged
# tree under DESTDIR or another --prefix is as usable as the final one.
file(RELATIVE_PATH VIPCHECK_PC_TO_PREFIX
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" VIPCHECK_PC_TO_PREFIX "${VIPCHECK_PC_TO_PREFIX}")
configure_file(cmake/vipcheck.pc.in ${CMAKE_CURRENT_BINARY_DIR}/vipcheck.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vipcheck.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT development)

install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT runtime)
