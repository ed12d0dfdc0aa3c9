# cmake -DMANIFEST=build/install_manifest.txt -P cmake/uninstall.cmake (the uninstall
# target; with DESTDIR in the environment for a staged install): removes every file the last `cmake --install` from that build tree listed,
# then each directory of vipcheck's own (a path with a component named vipcheck, such as
# share/doc/vipcheck or include/vipcheck) that this leaves empty. Shared directories
# (sbin, share/man/man8, lib/systemd/system) stay, even if empty.
if(NOT EXISTS "${MANIFEST}")
  message(FATAL_ERROR "${MANIFEST} does not exist: nothing was installed from this build "
    "tree. Run the uninstall target in the build tree that ran `cmake --install`.")
endif()
file(STRINGS "${MANIFEST}" files)
set(dirs "")
# The manifest names the final paths; a staged install is under DESTDIR, given again here
# as for the install.
foreach(file ${files})
  set(file "$ENV{DESTDIR}${file}")
  if(IS_SYMLINK "${file}" OR EXISTS "${file}")
    file(REMOVE "${file}")
    message(STATUS "Removed ${file}")
  else()
    message(STATUS "Already gone: ${file}")
  endif()
  get_filename_component(dir "${file}" DIRECTORY)
  list(APPEND dirs "${dir}")
endforeach()

# Every file is gone by now: walk up from each of their directories.
list(REMOVE_DUPLICATES dirs)
foreach(dir ${dirs})
  while(dir MATCHES "/vipcheck(/|$)" AND IS_DIRECTORY "${dir}")
    file(GLOB entries LIST_DIRECTORIES true "${dir}/*" "${dir}/.*")
    if(entries)
      break()
    endif()
    file(REMOVE_RECURSE "${dir}")
    message(STATUS "Removed ${dir}/")
    get_filename_component(dir "${dir}" DIRECTORY)
  endwhile()
endforeach()
