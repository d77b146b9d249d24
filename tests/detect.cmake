# detect.cmake -- the scoring engine's stages (filters/detect.c) on a fake host table; token.c for tok_shouting.
sq_add_test(test_detect SOURCES test_detect.c ${CMAKE_SOURCE_DIR}/filters/token.c LIBS m LABELS unit)
