# learned.cmake -- fuzz target for the learned filter's model files (outside bytes a desk hands us).
sq_add_fuzz(fuzz_learned_model SOURCES fuzz_learned_model.c ${CMAKE_SOURCE_DIR}/filters/learned/lmodel.c LIBS m)
