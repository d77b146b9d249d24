# filters.cmake -- tests of the filter host, loader, matcher and built-in plugins.
set(SQ_TEST_PLUGIN_DIR ${CMAKE_BINARY_DIR}/test-plugins)
foreach(p nosym abi2 cfg errs)
  add_library(test_filter_plugin_${p} MODULE test_filter_plugin_${p}.c)
  set_target_properties(test_filter_plugin_${p} PROPERTIES PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${SQ_TEST_PLUGIN_DIR})
endforeach()

sq_add_test(test_filters SOURCES test_filters.c LIBS sq_filters LABELS unit TIMEOUT 300)
add_dependencies(test_filters test_filter_plugin_nosym test_filter_plugin_abi2
                 test_filter_plugin_cfg test_filter_plugin_errs invest chips regulatory)
target_compile_definitions(test_filters PRIVATE SQ_TEST_PLUGIN_DIR="${SQ_TEST_PLUGIN_DIR}"
                           SQ_PLUGIN_DIR="${SQUAWK_PLUGIN_DIR}")

# TIMEOUT: ~15 s normally; compiling the rule packs under ASan takes far longer.
sq_add_test(test_filter_seed SOURCES test_filter_seed.c LIBS sq_proto PkgConfig::JANSSON
            LABELS integration TIMEOUT 300)
add_dependencies(test_filter_seed squawk invest chips regulatory)

sq_add_test(test_filter_example SOURCES test_filter_example.c LIBS PkgConfig::JANSSON
            LABELS integration TIMEOUT 300)
add_dependencies(test_filter_example squawk invest chips regulatory)
target_compile_definitions(test_filter_example PRIVATE SQ_CMAKE_COMMAND="${CMAKE_COMMAND}")

# The matcher's start-of-match recovery against one SOM_LEFTMOST database (synthetic rules and the packs).
sq_add_test(test_matcher SOURCES test_matcher.c LIBS sq_filters PkgConfig::JANSSON LABELS unit TIMEOUT 300)

# filter_host_from_config and plugin ABI 1.1 (a 1.0 and a 1.1 test plugin side by side).
sq_add_test(test_host_config SOURCES test_host_config.c LIBS sq_filters LABELS unit TIMEOUT 300)
add_dependencies(test_host_config test_filter_plugin_cfg test_filter_plugin_errs invest chips regulatory)
target_compile_definitions(test_host_config PRIVATE SQ_TEST_PLUGIN_DIR="${SQ_TEST_PLUGIN_DIR}")
