# abi.cmake -- plugin ABI 1.1 end to end: error codes never stall commits, score --config = run, typos are errors.
sq_add_py_test(test_abi SCRIPT test_abi.py LABELS integration TIMEOUT 400
  ENV "SQ_ERRS_PLUGIN=${CMAKE_BINARY_DIR}/test-plugins/test_filter_plugin_errs.so")
