# Included by cmake_install.cmake (cmake/install.cmake): configures the example templates
# with the directories of this install. Here CMAKE_INSTALL_PREFIX is the prefix the
# install really uses (--prefix included); file(INSTALL) adds DESTDIR and records each
# file in install_manifest.txt, so the uninstall target removes these too.
function(vipcheck_install_dir out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

vipcheck_install_dir(SBINDIR "${VIPCHECK_SBINDIR}")
vipcheck_install_dir(docdir "${VIPCHECK_DOCDIR}")
set(staging "${VIPCHECK_BINARY_DIR}/examples-install")
file(REMOVE_RECURSE "${staging}")
foreach(template ${VIPCHECK_TEMPLATES})
  string(REGEX REPLACE "[.]in$" "" example "${template}")
  configure_file("${VIPCHECK_SOURCE_DIR}/examples/${template}" "${staging}/${example}" @ONLY)
  get_filename_component(subdir "${example}" DIRECTORY)
  file(INSTALL DESTINATION "${docdir}/examples/${subdir}" TYPE FILE FILES "${staging}/${example}")
endforeach()

if(NOT VIPCHECK_UNITDIR STREQUAL "")
  vipcheck_install_dir(unitdir "${VIPCHECK_UNITDIR}")
  file(INSTALL DESTINATION "${unitdir}" TYPE FILE FILES "${staging}/systemd/vipcheckd.service")
endif()
