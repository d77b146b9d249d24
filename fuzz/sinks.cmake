# sinks.cmake -- fuzz targets for the decoders of outside bytes in sinks/ (REPLAY requests, journal records).
sq_add_fuzz(fuzz_replay_request SOURCES fuzz_replay_request.c LIBS sq_sinks)
sq_add_fuzz(fuzz_journal_record SOURCES fuzz_journal_record.c LIBS sq_sinks)
