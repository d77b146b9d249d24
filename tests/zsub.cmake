# zsub.cmake -- per-subscription delivery (issue 16): one executable, one ctest entry per scenario.
sq_add_test(test_zsub SOURCES test_zsub.c LIBS sq_sinks sq_proto sq_libev PkgConfig::ZMQ
            PkgConfig::JANSSON SCENARIOS)
add_dependencies(test_zsub squawk)
foreach(t first_of_topic direct proxy)
  add_test(NAME test_zsub_${t} COMMAND test_zsub ${t})
  math(EXPR T_TIMEOUT "240 * ${SQUAWK_TEST_TIME_SCALE}") # ~35 s; sanitizer builds ~100 s
  set_tests_properties(test_zsub_${t} PROPERTIES LABELS integration TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR};SQUAWK_TEST_TIME_SCALE=${SQUAWK_TEST_TIME_SCALE}")
endforeach()
