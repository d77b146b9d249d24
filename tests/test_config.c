/* test_config.c -- squawk.yml loading: defaults, env overrides, errors naming file/line/key, secrets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/error.h"
#include "tests/assert.h"

static char path[256];

static void write_cfg(const char *text)
{
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
}

static const char base[] =
    "kafka:\n"
    "  topics: [articles, more]\n"
    "  dlq_topic: dlq\n"
    "  bootstrap.servers: localhost:9092\n"
    "  sasl.password: hunter2\n"
    "filters:\n"
    "  - name: invest\n"
    "    threshold: 55\n"
    "    config: {min_amount: 10}\n"
    "  - chips\n"
    "sinks:\n"
    "  zmq:\n"
    "    endpoints: [\"tcp://*:5555\"]\n"
    "    sndhwm: 10\n";

TEST(loads_defaults_and_values)
{
    sq_config c;
    char err[512];
    write_cfg(base);
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), 0);
    ASSERT_EQ(c.kafka.n_topics, 2);
    ASSERT_STR_EQ(c.kafka.topics[1], "more");
    ASSERT_STR_EQ(c.kafka.dlq_topic, "dlq");
    ASSERT_EQ(c.kafka.max_article_bytes, 1 << 20);
    ASSERT_EQ(c.kafka.n_props, 2);
    ASSERT_STR_EQ(c.kafka.props[0], "bootstrap.servers");
    ASSERT_EQ(c.n_filters, 2);
    ASSERT_DBL_NEAR(c.filters[0].threshold, 55, 1e-9);
    ASSERT_STR_EQ(c.filters[0].kv[0], "min_amount");
    ASSERT_STR_EQ(c.filters[1].name, "chips");
    ASSERT(c.filters[1].threshold < 0);
    ASSERT_EQ(c.sinks.zmq.enabled, 1);
    ASSERT_EQ(c.sinks.zmq.sndhwm, 10);
    ASSERT_EQ(c.sinks.zmq.ring_size, 100000);
    ASSERT_EQ(c.sinks.zmq.ring_bytes, (size_t)4 << 20);
    ASSERT_EQ(c.engine.anonymous_companies, 0); /* unset: the host decides */
    sq_config_free(&c);

    write_cfg("kafka:\n  topics: [a]\nengine:\n  anonymous_companies: false\nfilters: [invest]\n"
              "sinks: {jsonl: {}}\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), 0);
    ASSERT_EQ(c.engine.anonymous_companies, -1);
    sq_config_free(&c);

    /* one spelling of booleans for files and environment */
    ASSERT_EQ(sq_config_parse_bool("OFF"), 0);
    ASSERT_EQ(sq_config_parse_bool("1"), 1);
    ASSERT_EQ(sq_config_parse_bool("Yes"), 1);
    ASSERT_EQ(sq_config_parse_bool(""), -1);
    ASSERT_EQ(sq_config_parse_bool(NULL), -1);
}

TEST(env_overrides)
{
    sq_config c;
    char err[512];
    char *env[] = {"SQUAWK_KAFKA__BOOTSTRAP_SERVERS=kafka:29092", "SQUAWK_KAFKA__BATCH=64",
                   "SQUAWK_FILTERS__INVEST__THRESHOLD=70",
                   "SQUAWK_SINKS__ZMQ__ENDPOINTS=tcp://*:1,ipc:///tmp/x", "SQUAWK_BIN=/ignored",
                   "SQUAWK_SINKS__ZMQ__RING_BYTES=1048576", NULL};
    write_cfg(base);
    ASSERT_EQ(sq_config_load(&c, path, env, err, sizeof err), 0);
    ASSERT_STR_EQ(c.kafka.props[1], "kafka:29092");
    ASSERT_EQ(c.kafka.batch, 64);
    ASSERT_DBL_NEAR(c.filters[0].threshold, 70, 1e-9);
    ASSERT_EQ(c.sinks.zmq.n_endpoints, 2);
    ASSERT_STR_EQ(c.sinks.zmq.endpoints[1], "ipc:///tmp/x");
    ASSERT_EQ(c.sinks.zmq.ring_bytes, 1048576);
    sq_config_free(&c);

    /* the shipped config names its filters in the short form ("filters: [invest, chips]") */
    write_cfg("kafka:\n  topics: [a]\nfilters: [invest, chips]\nsinks: {jsonl: {}}\n");
    char *shortform[] = {"SQUAWK_FILTERS__CHIPS__THRESHOLD=55", NULL};
    ASSERT_EQ(sq_config_load(&c, path, shortform, err, sizeof err), 0);
    ASSERT_EQ(c.n_filters, 2);
    ASSERT_STR_EQ(c.filters[1].name, "chips");
    ASSERT_DBL_NEAR(c.filters[1].threshold, 55, 1e-9);
    ASSERT(c.filters[0].threshold < 0);
    sq_config_free(&c);

    write_cfg(base);
    char *bad[] = {"SQUAWK_FILTERS__NOPE__THRESHOLD=1", NULL};
    ASSERT_EQ(sq_config_load(&c, path, bad, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, "SQUAWK_FILTERS__NOPE__THRESHOLD") != NULL);
    char *badring[] = {"SQUAWK_SINKS__ZMQ__RING_BYTES=16M", NULL};
    ASSERT_EQ(sq_config_load(&c, path, badring, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, "SQUAWK_SINKS__ZMQ__RING_BYTES") != NULL);
    ASSERT(strstr(err, "sinks.zmq.ring_bytes") != NULL);
}

TEST(errors_name_file_line_key)
{
    sq_config c;
    char err[512], want[512];

    /* (Unknown keys under kafka: are librdkafka properties; `squawk check`
     * asks librdkafka about them. Unknown keys elsewhere fail here.) */
    write_cfg("kafka:\n  topics: [a]\nfilters: [invest]\nsinks: {jsonl: {}}\nmetrics:\n  lisen: x\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    snprintf(want, sizeof want, "%s:6: metrics.lisen: unknown key", path);
    ASSERT_STR_EQ(err, want);

    write_cfg("kafka:\n  topics: [a]\n  batch: lots\nfilters: [invest]\nsinks: {jsonl: {}}\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    snprintf(want, sizeof want, "%s:3: kafka.batch:", path);
    ASSERT(strncmp(err, want, strlen(want)) == 0);

    write_cfg("kafka:\n  topics: [a]\nfilters:\n  - name: invest\n    threshold: 300\nsinks: {jsonl: {}}\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, ":5: filters[invest].threshold") != NULL);

    write_cfg("kafka: [1, 2\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, "YAML error") != NULL);

    ASSERT_EQ(sq_config_load(&c, "/nonexistent/squawk.yml", NULL, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, "/nonexistent/squawk.yml: cannot open") != NULL);

    write_cfg("kafka:\n  topics: [a]\n  topics: [b]\nfilters: [invest]\nsinks: {jsonl: {}}\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, ":3: topics: key appears twice") != NULL);

    write_cfg("kafka:\n  topics: [a]\nengine:\n  anonymous_companies: maybe\nfilters: [invest]\n"
              "sinks: {jsonl: {}}\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    snprintf(want, sizeof want, "%s:4: engine.anonymous_companies: expected true or false", path);
    ASSERT_STR_EQ(err, want);
}

TEST(secrets_masked)
{
    sq_config c;
    char err[512];
    write_cfg(base);
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sq_config_dump(&c, f);
    fclose(f);
    ASSERT(strstr(buf, "hunter2") == NULL);
    ASSERT(strstr(buf, "sasl.password: \"***\"") != NULL);
    ASSERT(strstr(buf, "bootstrap.servers: \"localhost:9092\"") != NULL);
    free(buf);
    sq_config_free(&c);
}

TEST(shipped_default_config_loads)
{
    sq_config c;
    char err[512];
    ASSERT_EQ(sq_config_load(&c, SQ_SOURCE_DIR "/config/squawk.yml", NULL, err, sizeof err), 0);
    ASSERT_EQ(c.n_filters, 3);
    ASSERT_STR_EQ(c.kafka.dlq_topic, "articles.dlq");
    sq_config_free(&c);
}

/* sinks.journal and sinks.zmq.pub_id: defaults, and the combinations refused. */
TEST(journal_keys)
{
    sq_config c;
    char err[512];
    static const char head[] = "kafka:\n  topics: [a]\nfilters: [invest]\nsinks:\n";
    char text[512];
    snprintf(text, sizeof text, "%s  zmq: {endpoints: [\"tcp://*:1\"], replay_endpoints: [\"tcp://*:2\"], "
             "pub_id: desk-1}\n  journal: {properties: {linger.ms: 1}}\n", head);
    write_cfg(text);
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), 0);
    ASSERT_EQ(c.sinks.journal.enabled, 1);
    ASSERT_STR_EQ(c.sinks.journal.topic, "alerts.journal");
    ASSERT_STR_EQ(c.sinks.zmq.pub_id, "desk-1");
    ASSERT_EQ(c.sinks.journal.n_properties, 1);
    sq_config_free(&c);
    char *env[] = {"SQUAWK_SINKS__JOURNAL__PROPERTIES__MESSAGE_TIMEOUT_MS=5000", NULL};
    ASSERT_EQ(sq_config_load(&c, path, env, err, sizeof err), 0);
    ASSERT_EQ(c.sinks.journal.n_properties, 2);
    ASSERT_STR_EQ(c.sinks.journal.properties[2], "message.timeout.ms");
    sq_config_free(&c);
    char *bad_id[] = {"SQUAWK_SINKS__ZMQ__PUB_ID=desk 1", NULL};
    ASSERT_EQ(sq_config_load(&c, path, bad_id, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, "SQUAWK_SINKS__ZMQ__PUB_ID: sinks.zmq.pub_id: 1 to 63 characters") != NULL);
    /* a fixed id without the journal: seq would restart at 1 under the same id */
    snprintf(text, sizeof text, "%s  zmq: {endpoints: [\"tcp://*:1\"], pub_id: desk-1}\n", head);
    write_cfg(text);
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, "sinks.zmq.pub_id: needs sinks.journal") != NULL);
    /* the journal serves replays: no replay endpoint, no journal */
    snprintf(text, sizeof text, "%s  zmq: {endpoints: [\"tcp://*:1\"]}\n  journal: {}\n", head);
    write_cfg(text);
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, ":6: sinks.journal: serves replays") != NULL);
    snprintf(text, sizeof text, "%s  jsonl: {}\n  journal: {}\n", head);
    write_cfg(text);
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, "sinks.journal: journals the zmq sink's messages") != NULL);
}

/* One plugin twice is one filter twice unless the config maps differ (learned: a model each). */
TEST(duplicate_filters)
{
    sq_config c;
    char err[512];
    static const char two[] = "kafka:\n  topics: [a]\nsinks:\n  jsonl: {path: \"-\"}\nfilters:\n"
                              "  - name: learned\n    config: {model: /m/a.model}\n"
                              "  - name: learned\n    config: {model: %s}\n";
    char text[512];
    snprintf(text, sizeof text, two, "/m/b.model");
    write_cfg(text);
    memset(&c, 0, sizeof c);
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), 0);
    ASSERT_EQ(c.n_filters, 2);
    ASSERT_STR_EQ(c.filters[1].kv[1], "/m/b.model");
    sq_config_free(&c);
    snprintf(text, sizeof text, two, "/m/a.model");
    write_cfg(text);
    memset(&c, 0, sizeof c);
    ASSERT(sq_config_load(&c, path, NULL, err, sizeof err) != 0);
    ASSERT(strstr(err, "filters[learned]: listed twice") != NULL);
    sq_config_free(&c);
}

/* config/squawk.yml is what `squawk check --reference` prints from the maps. */
TEST(reference_matches_squawk_yml)
{
    char *ref = NULL, *yml = NULL;
    size_t rl = 0, yl = 0;
    FILE *f = open_memstream(&ref, &rl);
    sq_config_reference(f);
    fclose(f);
    f = fopen(SQ_SOURCE_DIR "/config/squawk.yml", "rb");
    ASSERT(f != NULL);
    FILE *m = open_memstream(&yml, &yl);
    for (int ch; (ch = fgetc(f)) != EOF;) fputc(ch, m);
    fclose(f);
    fclose(m);
    size_t line = 1, i = 0;
    for (; i < rl && i < yl && ref[i] == yml[i]; i++) line += ref[i] == '\n';
    if (i != rl || i != yl)
        SQ_FAIL_("config/squawk.yml line %zu differs from the config maps (core/config_keys.h); "
                 "regenerate it: build/squawk check --reference > config/squawk.yml", line);
    free(ref);
    free(yml);
}

/* Every key the maps declare loads from the reference with its default, and the
 * defaults are what a config without the key gets. */
TEST(defaults_from_maps)
{
    sq_config c;
    char err[512];
    write_cfg("kafka: {topics: [a]}\nfilters: [invest]\nsinks: {zmq: {endpoints: [\"tcp://*:1\"]}}\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), 0);
    ASSERT_EQ(c.kafka.batch, 256);
    ASSERT_EQ(c.kafka.commit_interval_ms, 1000);
    ASSERT_EQ(c.engine.shutdown_timeout_ms, 10000);
    ASSERT_EQ(c.sinks.zmq.enabled, 1);
    ASSERT_EQ(c.sinks.zmq.heartbeat_ms, 1000);
    ASSERT_EQ(c.sinks.zmq.n_replay_endpoints, 0); /* an example in the reference, not a default */
    ASSERT_EQ(c.sinks.kafka.enabled, 0);          /* optional sections are off when absent */
    ASSERT_EQ(c.sinks.jsonl.enabled, 0);
    ASSERT_STR_EQ(c.sinks.jsonl.path, "-");
    ASSERT(c.metrics.listen == NULL);
    ASSERT_STR_EQ(c.log.level, "info");
    ASSERT_EQ(c.kafka.n_props, 0); /* librdkafka defaults are applied by ingest, from the map */
    sq_config_free(&c);

    sq_config r;
    ASSERT_EQ(sq_config_load(&r, SQ_SOURCE_DIR "/config/squawk.yml", NULL, err, sizeof err), 0);
    ASSERT_EQ(r.kafka.batch, 256);
    ASSERT_EQ(r.sinks.zmq.ring_size, 100000);
    ASSERT_DBL_NEAR(r.sinks.zmq.min_relevance, SQ_CONFIG_MIN_RELEVANCE, 1e-12);
    ASSERT_STR_EQ(r.log.format, "text");
    int found = 0;
    for (size_t i = 0; i < r.kafka.n_props; i++)
        if (!strcmp(r.kafka.props[2 * i], "fetch.wait.max.ms")) found = !strcmp(r.kafka.props[2 * i + 1], "10");
    ASSERT(found);
    sq_config_free(&r);
}

/* heartbeat_ms is signed: -1 switches heartbeats off; below that is an error naming the key. */
TEST(heartbeats_off_and_typed_errors)
{
    sq_config c;
    char err[512], want[512];
    write_cfg("kafka: {topics: [a]}\nfilters: [invest]\nsinks:\n  zmq:\n    endpoints: [\"tcp://*:1\"]\n"
              "    heartbeat_ms: -1\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), 0);
    ASSERT_EQ(c.sinks.zmq.heartbeat_ms, -1);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sq_config_dump(&c, f);
    fclose(f);
    ASSERT(strstr(buf, "    heartbeat_ms: -1\n") != NULL);
    ASSERT(strstr(buf, "jsonl") == NULL); /* off sections are not dumped */
    free(buf);
    sq_config_free(&c);

    char *env[] = {"SQUAWK_SINKS__ZMQ__HEARTBEAT_MS=-2", NULL};
    ASSERT_EQ(sq_config_load(&c, path, env, err, sizeof err), SQ_E_CONFIG);
    ASSERT_STR_EQ(err, "SQUAWK_SINKS__ZMQ__HEARTBEAT_MS: sinks.zmq.heartbeat_ms: expected an integer "
                       "from -1 to 3600000, got '-2'");

    char *lvl[] = {"SQUAWK_LOG__LEVEL=loud", NULL};
    ASSERT_EQ(sq_config_load(&c, path, lvl, err, sizeof err), SQ_E_CONFIG);
    ASSERT_STR_EQ(err, "SQUAWK_LOG__LEVEL: log.level: expected one of debug|info|warn|error, got 'loud'");

    write_cfg("kafka: {topics: [a]}\nfilters: [invest]\nsinks: {jsonl: {}}\nengine:\n  data_dir: [x]\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    snprintf(want, sizeof want, "%s:5: engine.data_dir: expected a string", path);
    ASSERT_STR_EQ(err, want);

    write_cfg("kafka: {topics: [a]}\nfilters: [invest]\nsinks: {jsonl: {enabled: nah}}\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), SQ_E_CONFIG);
    snprintf(want, sizeof want, "%s:3: sinks.jsonl.enabled: expected true or false", path);
    ASSERT_STR_EQ(err, want);
}

/* librdkafka names from the environment get their dots back, in kafka: and in a PROPS map. */
TEST(env_property_names)
{
    sq_config c;
    char err[512];
    char *env[] = {"SQUAWK_KAFKA__FETCH_WAIT_MAX_MS=50", "SQUAWK_KAFKA__MAX_ARTICLE_BYTES=2048",
                   "SQUAWK_SINKS__KAFKA__TOPIC=alerts",
                   "SQUAWK_SINKS__KAFKA__PROPERTIES__BOOTSTRAP_SERVERS=k:9092", NULL};
    write_cfg("kafka: {topics: [a]}\nfilters: [invest]\n");
    ASSERT_EQ(sq_config_load(&c, path, env, err, sizeof err), 0);
    ASSERT_STR_EQ(c.kafka.props[0], "fetch.wait.max.ms");
    ASSERT_EQ(c.kafka.max_article_bytes, 2048);
    ASSERT_EQ(c.sinks.kafka.enabled, 1);
    ASSERT_STR_EQ(c.sinks.kafka.properties[0], "bootstrap.servers");
    ASSERT_STR_EQ(c.sinks.kafka.properties[1], "k:9092");
    sq_config_free(&c);

    ASSERT(sq_config_reloadable("engine.data_dir"));
    ASSERT(sq_config_reloadable("filters"));
    ASSERT(sq_config_reloadable("log.level"));
    ASSERT(!sq_config_reloadable("engine.shutdown_timeout_ms"));
    ASSERT(!sq_config_reloadable("kafka.bootstrap.servers"));
    ASSERT(!sq_config_reloadable("sinks.zmq.heartbeat_ms"));
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/squawk-test-config-%d.yml", (int)getpid());
    RUN(loads_defaults_and_values);
    RUN(env_overrides);
    RUN(errors_name_file_line_key);
    RUN(secrets_masked);
    RUN(shipped_default_config_loads);
    RUN(duplicate_filters);
    RUN(reference_matches_squawk_yml);
    RUN(defaults_from_maps);
    RUN(heartbeats_off_and_typed_errors);
    RUN(env_property_names);
    RUN(journal_keys);
    unlink(path);
    return 0;
}
