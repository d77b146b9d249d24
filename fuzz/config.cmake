# config.cmake -- fuzz target for the squawk.yml loader (core/config.c) with environment overrides.
sq_add_fuzz(fuzz_config SOURCES fuzz_config.c LIBS sq_core)
