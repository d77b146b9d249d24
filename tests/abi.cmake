# abi.cmake -- plugin ABI 1.1 end to end: error codes never stall commits, score --config = run, typos are errors.
find_program(ABI_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(ABI_PYTHON)
  add_test(NAME test_abi COMMAND ${ABI_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_abi.py)
  set_tests_properties(test_abi PROPERTIES LABELS integration TIMEOUT 400
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR};SQ_ERRS_PLUGIN=${CMAKE_BINARY_DIR}/test-plugins/test_filter_plugin_errs.so")
endif()
