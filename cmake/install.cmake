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

# The examples. Those that name a binary are templates (NAME.in, @SBINDIR@ for the
# directory of the binaries) so that keepalived, ldirectord and systemd find what this
# install put there: keepalived drops a check whose path does not exist and says so only
# in its log. They are configured twice: here into the build tree, with the configured
# prefix, for the lab tests; and again at install time (cmake/install-examples.cmake)
# with the prefix of that install, which `cmake --install --prefix` may change.
file(GLOB_RECURSE vipcheck_example_templates RELATIVE ${PROJECT_SOURCE_DIR}/examples
  CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/examples/*.in)
set(SBINDIR ${CMAKE_INSTALL_FULL_SBINDIR})
foreach(template ${vipcheck_example_templates})
  string(REGEX REPLACE "[.]in$" "" example ${template})
  configure_file(examples/${template} ${PROJECT_BINARY_DIR}/examples/${example} @ONLY)
endforeach()
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT runtime
  PATTERN "*.in" EXCLUDE)

# Where the vipcheckd unit goes, relative to the prefix or absolute; empty: only its copy
# among the examples. systemd reads /usr/local/lib/systemd/system too, so the default
# prefix's unit is found; the Debian package gives /lib/systemd/system.
set(VIPCHECK_SYSTEMD_UNITDIR lib/systemd/system CACHE STRING
  "Directory for vipcheckd.service, relative to the prefix or absolute; empty to skip")
install(CODE "
  set(VIPCHECK_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
  set(VIPCHECK_BINARY_DIR \"${PROJECT_BINARY_DIR}\")
  set(VIPCHECK_SBINDIR \"${CMAKE_INSTALL_SBINDIR}\")
  set(VIPCHECK_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
  set(VIPCHECK_UNITDIR \"${VIPCHECK_SYSTEMD_UNITDIR}\")
  set(VIPCHECK_TEMPLATES \"${vipcheck_example_templates}\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/install-examples.cmake\")" COMPONENT runtime)

# `cmake --build build --target uninstall` removes what the last `cmake --install` from
# this build tree installed (build/install_manifest.txt), and the directories of
# vipcheck's own that it leaves empty.
add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DMANIFEST=${PROJECT_BINARY_DIR}/install_manifest.txt
          -P ${PROJECT_SOURCE_DIR}/cmake/uninstall.cmake
  COMMENT "Removing the files listed in ${PROJECT_BINARY_DIR}/install_manifest.txt"
  VERBATIM)
