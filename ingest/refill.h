/* refill.h -- wakes librdkafka's fetchers when squawk's consumer queue ran dry with a backlog left. */
#ifndef INGEST_REFILL_H
#define INGEST_REFILL_H

typedef struct rd_kafka_s rd_kafka_t;
typedef struct ingest_refill ingest_refill;

/* A thread that, when poked, sends one request to each leader of rk's
 * assigned partitions (which makes their broker threads fetch again); at
 * most one round per 20 ms, however often it is poked. */
int ingest_refill_create(ingest_refill **out, rd_kafka_t *rk);
/* Never blocks on Kafka: safe on the event loop. NULL: nothing. */
void ingest_refill_poke(ingest_refill *r);
/* Rounds sent so far. */
unsigned long ingest_refill_sent(ingest_refill *r);
/* Joins the thread (waits out a round in progress, at most ~1 s). */
void ingest_refill_destroy(ingest_refill *r);

#endif
