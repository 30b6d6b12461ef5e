# What `cmake --install` puts where: Debian's layout with CMAKE_INSTALL_PREFIX=/usr (the .deb of
# cmake/package.cmake is made from exactly these rules). GNUInstallDirs maps the prefix /usr to
# /etc for configuration; the unit goes where Debian 12's systemd looks for packaged units.
include(GNUInstallDirs)
# `cmake --install` and cpack install what is built; they do not build everything first (the
# benchmarks are not installed, and the package test builds only the queuewatch target).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_qw_unit_dir_default "/lib/systemd/system")
else()
  set(_qw_unit_dir_default "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(QW_SYSTEMD_UNIT_DIR "${_qw_unit_dir_default}" CACHE PATH
    "Where the systemd unit is installed (the unit itself runs /usr/bin/queuewatch)")

install(TARGETS queuewatch RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES deploy/systemd/queuewatch.service DESTINATION ${QW_SYSTEMD_UNIT_DIR})

# The config a fresh install starts from: valid as shipped (tests/scripts/package_install.sh runs
# the unit's ExecStartPre on it). A conffile in the .deb, so local edits survive upgrades.
set(QW_SYSCONF_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/queuewatch")
install(FILES deploy/etc/queuewatch.yaml DESTINATION ${QW_SYSCONF_DIR})
# Where the unit's LoadCredential= reads the password from: root's alone.
install(DIRECTORY DESTINATION ${QW_SYSCONF_DIR}/credentials
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)

# The man page carries the version; Debian wants man pages and changelogs gzip'd with -n (no
# timestamp, so the package is reproducible). Both are done at configure time, so installing
# needs no build step beyond the binary.
set(_qw_gen ${CMAKE_BINARY_DIR}/generated/install)
set(QW_VERSION ${PROJECT_VERSION})
set(QW_DEB_VERSION ${PROJECT_VERSION}-1)
configure_file(deploy/man/queuewatch.8 ${_qw_gen}/queuewatch.8 @ONLY)
configure_file(deploy/debian/changelog.in ${_qw_gen}/changelog.Debian @ONLY)
foreach(_f queuewatch.8 changelog.Debian)
  execute_process(COMMAND gzip -9nf -k ${_qw_gen}/${_f} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "gzip ${_qw_gen}/${_f} failed")
  endif()
endforeach()
install(FILES ${_qw_gen}/queuewatch.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES deploy/bash-completion/queuewatch
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# /usr/share/doc/queuewatch: what the man page and the config's comments point at.
install(FILES README.md docs/alerting.md docs/architecture.md docs/configuration.md
              docs/indexes.md docs/metrics.md docs/notifiers.md docs/preflight.md docs/rules.md
              docs/security.md
              deploy/debian/copyright ${_qw_gen}/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES deploy/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME deploy.md)
install(FILES config/examples/production.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# What the operator installs elsewhere: Prometheus rules and scrape job, Alertmanager example,
# Grafana dashboard, recommended indexes.
install(DIRECTORY deploy/prometheus deploy/alertmanager deploy/grafana deploy/sql
        DESTINATION ${CMAKE_INSTALL_DATADIR}/queuewatch)
