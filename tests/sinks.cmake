# sinks.cmake -- the sinks tests: one executable; the in-process scenarios run as test_sinks, those that drive the squawk binary get one ctest entry each.
sq_add_test(test_sinks SOURCES test_sinks.c LIBS sq_sinks sq_proto sq_libev PkgConfig::ZMQ
            PkgConfig::RDKAFKA LABELS integration TIMEOUT 90)
foreach(t late_joiner hwm_drop_recover topic_filter two_publishers restart curve python_client proxy)
  add_test(NAME test_sinks_${t} COMMAND test_sinks ${t})
  math(EXPR T_TIMEOUT "90 * ${SQUAWK_TEST_TIME_SCALE}")
  set_tests_properties(test_sinks_${t} PROPERTIES LABELS integration TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()

# sink_bench: alerts/s and emit->receipt latency over loopback; not a ctest (timing is noisy).
add_executable(sink_bench test_sink_bench.c)
target_include_directories(sink_bench PRIVATE ${CMAKE_SOURCE_DIR})
target_link_libraries(sink_bench PRIVATE sq_sinks sq_proto sq_core sq_libev PkgConfig::ZMQ
                      Threads::Threads)

# the journal's seq -> offset index (sparse, bounded), tested where it lives
sq_add_test(test_zjournal_index SOURCES test_zjournal_index.c LIBS sq_proto sq_libev PkgConfig::RDKAFKA
            LABELS unit)
