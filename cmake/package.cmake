# The Debian package, made by CPack's DEB generator from the install rules of install.cmake.
# deploy/README.md has the commands (RelWithDebInfo, prefix /usr, Debian's dpkg-buildflags,
# then `cpack -G DEB` in the build tree); tests/scripts/package_install.sh runs them. That
# gives queuewatch_<version>-1_amd64.deb (binary stripped) and
# queuewatch-dbgsym_<version>-1_amd64.ddeb (its debug info, found by build id). Why CPack and
# not dpkg-buildpackage, and what lintian says: deploy/README.md.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME queuewatch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "queuewatch maintainers <maintainers@users.noreply.r-seed-f0f9a82f.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "monitor for PostgreSQL-backed job queues")
# The extended description: short lines (lintian), "." for an empty line.
set(CPACK_PACKAGE_DESCRIPTION
    "queuewatch probes PostgreSQL databases and the job tables of queue
libraries that keep their jobs there (pg-boss, graphile-worker, River,
Oban, Procrastinate, GoodJob, Solid Queue, Delayed::Job, Que). It exports
Prometheus metrics, evaluates alert rules (stalled queues, growing
backlogs, failing jobs, throughput below its seasonal baseline, an
unavailable database) and delivers the alerts to Alertmanager, PagerDuty,
Slack or a webhook.
.
The package installs the daemon, its systemd unit (not enabled: edit
/etc/queuewatch/queuewatch.yaml and add the database password first), a
man page, bash completion, and Prometheus, Alertmanager and Grafana files
under /usr/share/queuewatch.")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: computed by dpkg-shlibdeps from what the binary links (libpqxx, yaml-cpp, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The production example verifies database certificates against the system bundle.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, prometheus-alertmanager")
# The debug info moves to the -dbgsym package and the binary is stripped; this needs a build
# type with -g (RelWithDebInfo), and rules out CPACK_STRIP_FILES (it would strip first).
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
# Policy's modes for the control files (0644, scripts 0755) whatever the source tree's are.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# dpkg keeps a conffile the operator edited across upgrades (and asks before replacing it).
file(WRITE ${CMAKE_BINARY_DIR}/generated/install/conffiles "${QW_SYSCONF_DIR}/queuewatch.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/generated/install/conffiles)
# Packages only what install.cmake installs for the prefix /usr; any other prefix would put
# the config under /usr/local/etc inside a .deb.
# CMake 3.25's dbgsym package needs two repairs (see the script).
set(CPACK_POST_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/package_fix_dbgsym.cmake)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_LIST_DIR}/package_check.cmake)
set(CPACK_QW_CONFIGURED_PREFIX ${CMAKE_INSTALL_PREFIX})
include(CPack)
