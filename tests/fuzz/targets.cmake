# The libFuzzer targets, one source file each (tests/fuzz/<name>.cpp -> executable fuzz_<name>,
# seeds in tests/fuzz/corpus/<name>/). Read by tests/fuzz/CMakeLists.txt, which builds them, and
# by tests/CMakeLists.txt, which registers their short runs as the ctest tests fuzz.<name>.
set(QW_FUZZ_TARGETS config_loader matcher outbox_log outbox_record http_request backtest_csv
    retry_after provider_feed)
