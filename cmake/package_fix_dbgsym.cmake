# Run by cpack after it made the packages (CPACK_POST_BUILD_SCRIPTS). CMake 3.25's dbgsym
# package is broken in two ways lintian reports as errors: its md5sums names the file by its
# absolute staging path (…/_CPack_Packages/…/usr/lib/debug/…) instead of usr/lib/debug/…, and it
# has no /usr/share/doc. Rebuild it as debhelper's dh_strip makes one: md5sums relative, the
# .debug file 0644, and /usr/share/doc/queuewatch-dbgsym a symlink to the main package's
# (which it Depends on, at the same version).
foreach(_pkg IN LISTS CPACK_PACKAGE_FILES)
  if(NOT _pkg MATCHES "\\.ddeb$")
    continue()
  endif()
  get_filename_component(_dir "${_pkg}" DIRECTORY)
  set(_root "${_dir}/fix-dbgsym")
  file(REMOVE_RECURSE "${_root}")
  execute_process(COMMAND dpkg-deb -R "${_pkg}" "${_root}" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "dpkg-deb -R ${_pkg} failed")
  endif()
  file(STRINGS "${_root}/DEBIAN/md5sums" _lines)
  set(_md5sums "")
  foreach(_line IN LISTS _lines)
    string(REGEX REPLACE "^([0-9a-f]+)  .*/(usr/lib/debug/.*)$" "\\1  \\2" _line "${_line}")
    string(APPEND _md5sums "${_line}\n")
  endforeach()
  file(WRITE "${_root}/DEBIAN/md5sums" "${_md5sums}")
  file(GLOB_RECURSE _debug_files "${_root}/usr/lib/debug/*.debug")
  foreach(_f IN LISTS _debug_files)
    file(CHMOD "${_f}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endforeach()
  file(MAKE_DIRECTORY "${_root}/usr/share/doc")
  file(CREATE_LINK "${CPACK_PACKAGE_NAME}" "${_root}/usr/share/doc/${CPACK_PACKAGE_NAME}-dbgsym"
       SYMBOLIC)
  execute_process(COMMAND dpkg-deb --root-owner-group -Zgzip -b "${_root}" "${_pkg}"
                  OUTPUT_QUIET RESULT_VARIABLE _rc)
  file(REMOVE_RECURSE "${_root}")
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "dpkg-deb -b ${_pkg} failed")
  endif()
endforeach()
