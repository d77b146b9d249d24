sq_add_test(test_error SOURCES test_error.c LABELS unit)
