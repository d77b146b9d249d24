# tpat.cmake -- fuzz targets of detection engine v2: the tokeniser and token-pattern pack loading.
sq_add_fuzz(fuzz_token SOURCES fuzz_token.c LIBS sq_filters)
sq_add_fuzz(fuzz_tpat SOURCES fuzz_tpat.c LIBS sq_filters)
