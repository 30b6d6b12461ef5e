# Read by cpack (CPACK_PROJECT_CONFIG_FILE): a .deb needs the Debian layout, which the install
# rules give only when configured with CMAKE_INSTALL_PREFIX=/usr.
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT CPACK_QW_CONFIGURED_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "queuewatch: configure with -DCMAKE_INSTALL_PREFIX=/usr to make the .deb "
                      "(this tree has ${CPACK_QW_CONFIGURED_PREFIX})")
endif()
