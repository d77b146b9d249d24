sq_add_test(test_proto SOURCES test_proto.c LIBS sq_proto LABELS unit)
