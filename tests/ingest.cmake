# ingest: Kafka consumer, dead letters, mock broker and feeder against the mock cluster over TCP.
sq_add_test(test_ingest SOURCES test_ingest.c LIBS sq_ingest sq_proto sq_libev LABELS integration
            TIMEOUT 300)
