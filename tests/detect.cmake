# detect.cmake -- the scoring engine's stages (filters/detect.c) on a fake host table.
sq_add_test(test_detect SOURCES test_detect.c LIBS m LABELS unit)
