# tpat.cmake -- detection engine v2: the tokeniser and the token-pattern rule language.
sq_add_test(test_token SOURCES test_token.c LIBS sq_filters LABELS unit)
sq_add_test(test_tpat SOURCES test_tpat.c LIBS sq_filters LABELS unit)
