# reliability/reliability.cmake -- one executable, one ctest entry per scenario (label reliability);
# -DSQUAWK_SOAK=ON (`make soak`) selects the long forms through SQ_SOAK=1.
option(SQUAWK_SOAK "reliability tests in their long (soak) form" OFF)
sq_add_test(test_reliability SOURCES reliability/test_reliability.c reliability/rel_util.c
            LIBS sq_ingest sq_proto PkgConfig::RDKAFKA PkgConfig::JANSSON SCENARIOS)
add_dependencies(test_reliability squawk invest chips regulatory)
set(SQ_REL_ENV "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR};SQUAWK_TEST_TIME_SCALE=${SQUAWK_TEST_TIME_SCALE}")
set(SQ_REL_TIMEOUT 120)
if(SQUAWK_SOAK)
  list(APPEND SQ_REL_ENV "SQ_SOAK=1")
  set(SQ_REL_TIMEOUT 1200)
endif()
math(EXPR SQ_REL_TIMEOUT "${SQ_REL_TIMEOUT} * ${SQUAWK_TEST_TIME_SCALE}")
foreach(t crash hostile security broker_faults slow_sub scaleout)
  add_test(NAME test_reliability_${t} COMMAND test_reliability ${t})
  set_tests_properties(test_reliability_${t} PROPERTIES LABELS reliability
    TIMEOUT ${SQ_REL_TIMEOUT} ENVIRONMENT "${SQ_REL_ENV}")
endforeach()
add_dependencies(test_reliability test_filter_plugin_abi2)
target_compile_definitions(test_reliability PRIVATE SQ_TEST_PLUGIN_DIR="${CMAKE_BINARY_DIR}/test-plugins"
                           SQ_PLUGIN_DIR="${SQUAWK_PLUGIN_DIR}")
