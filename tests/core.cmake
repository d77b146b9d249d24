sq_add_test(test_error SOURCES test_error.c LABELS unit)
sq_add_test(test_config SOURCES test_config.c LABELS unit)
sq_add_test(test_hs_cache SOURCES test_hs_cache.c LIBS sq_filters LABELS unit)
