# sinks.cmake -- fuzz targets for the decoders of outside bytes in sinks/ (REPLAY requests).
sq_add_fuzz(fuzz_replay_request SOURCES fuzz_replay_request.c LIBS sq_sinks)
