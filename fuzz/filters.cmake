# filters.cmake -- fuzz target for the filter stage: arbitrary text through invest, chips, regulatory.
sq_add_fuzz(fuzz_filter_text SOURCES fuzz_filter_text.c LIBS sq_filters)
add_dependencies(fuzz_filter_text_replay invest chips regulatory)
if(SQUAWK_FUZZ)
  add_dependencies(fuzz_filter_text invest chips regulatory)
endif()
