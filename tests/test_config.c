/* test_config.c -- squawk.yml loading: defaults, env overrides, errors naming file/line/key, secrets. */
#include <stdio.h>
#include <stdlib.h>
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
    ASSERT_EQ(c.n_topics, 2);
    ASSERT_STR_EQ(c.topics[1], "more");
    ASSERT_STR_EQ(c.dlq_topic, "dlq");
    ASSERT_EQ(c.max_article_bytes, 1 << 20);
    ASSERT_EQ(c.n_kafka_props, 2);
    ASSERT_STR_EQ(c.kafka_props[0], "bootstrap.servers");
    ASSERT_EQ(c.n_filters, 2);
    ASSERT_DBL_NEAR(c.filters[0].threshold, 55, 1e-9);
    ASSERT_STR_EQ(c.filters[0].kv[0], "min_amount");
    ASSERT_STR_EQ(c.filters[1].name, "chips");
    ASSERT(c.filters[1].threshold < 0);
    ASSERT_EQ(c.zmq.enabled, 1);
    ASSERT_EQ(c.zmq.sndhwm, 10);
    ASSERT_EQ(c.zmq.ring_size, 100000);
    ASSERT_EQ(c.anonymous_companies, 0); /* unset: the host decides */
    sq_config_free(&c);

    write_cfg("kafka:\n  topics: [a]\nengine:\n  anonymous_companies: false\nfilters: [invest]\n"
              "sinks: {jsonl: {}}\n");
    ASSERT_EQ(sq_config_load(&c, path, NULL, err, sizeof err), 0);
    ASSERT_EQ(c.anonymous_companies, -1);
    sq_config_free(&c);

    /* one spelling of booleans for files and environment (SQUAWK_ANONYMOUS) */
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
                   NULL};
    write_cfg(base);
    ASSERT_EQ(sq_config_load(&c, path, env, err, sizeof err), 0);
    ASSERT_STR_EQ(c.kafka_props[1], "kafka:29092");
    ASSERT_EQ(c.batch, 64);
    ASSERT_DBL_NEAR(c.filters[0].threshold, 70, 1e-9);
    ASSERT_EQ(c.zmq.n_endpoints, 2);
    ASSERT_STR_EQ(c.zmq.endpoints[1], "ipc:///tmp/x");
    sq_config_free(&c);

    char *bad[] = {"SQUAWK_FILTERS__NOPE__THRESHOLD=1", NULL};
    ASSERT_EQ(sq_config_load(&c, path, bad, err, sizeof err), SQ_E_CONFIG);
    ASSERT(strstr(err, "SQUAWK_FILTERS__NOPE__THRESHOLD") != NULL);
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
    ASSERT_STR_EQ(c.dlq_topic, "articles.dlq");
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
    ASSERT_EQ(c.journal.enabled, 1);
    ASSERT_STR_EQ(c.journal.topic, "alerts.journal");
    ASSERT_STR_EQ(c.zmq.pub_id, "desk-1");
    ASSERT_EQ(c.journal.n_props, 1);
    sq_config_free(&c);
    char *env[] = {"SQUAWK_SINKS__JOURNAL__PROPERTIES__MESSAGE_TIMEOUT_MS=5000", NULL};
    ASSERT_EQ(sq_config_load(&c, path, env, err, sizeof err), 0);
    ASSERT_EQ(c.journal.n_props, 2);
    ASSERT_STR_EQ(c.journal.props[2], "message.timeout.ms");
    sq_config_free(&c);
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

int main(void)
{
    snprintf(path, sizeof path, "/tmp/squawk-test-config-%d.yml", (int)getpid());
    RUN(loads_defaults_and_values);
    RUN(env_overrides);
    RUN(errors_name_file_line_key);
    RUN(secrets_masked);
    RUN(shipped_default_config_loads);
    RUN(duplicate_filters);
    RUN(journal_keys);
    unlink(path);
    return 0;
}
