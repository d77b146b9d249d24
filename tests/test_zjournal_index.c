/* test_zjournal_index.c -- the journal's seq -> offset index: sparse, bounded, never starts a replay past its record. */
#define ZJ_IDX_MAX ((size_t)8) /* tiny, so a few hundred records coarsen it several times */
#include "../sinks/zjournal.c" /* the index is static: test it where it lives */

/* not assert(): the bench build defines NDEBUG */
#define CHECK(c) ((c) ? (void)0 : (fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #c), exit(1)))

#define N 2000

static int64_t offs[N + 1]; /* offset of seq s, -1: never journaled (delivery failed) */

/* Our records in one partition shared with another publisher: offsets grow with seq, with
 * the other publisher's records between ours and some of our deliveries failed. */
static void journal_records(zjournal *j, uint64_t first, unsigned seed)
{
    int64_t off = 100;
    for (uint64_t s = first; s <= N; s++) {
        seed = seed * 1103515245u + 12345u;
        off += 1 + (seed >> 16) % 4; /* 0-3 foreign records before this one */
        offs[s] = (seed >> 8) % 10 == 0 ? -1 : off;
        if (offs[s] >= 0) idx_set(j, s, offs[s]);
    }
}

/* A read from idx_find(s) reaches s: it starts at or before s's record, or, when s was
 * never journaled, at or before the next record that was. */
static void check_every_seq(const zjournal *j, uint64_t first)
{
    for (uint64_t s = first; s <= N; s++) {
        uint64_t t = s;
        while (t <= N && offs[t] < 0) t++;
        int64_t got = idx_find(j, s);
        if (t > N) continue; /* nothing journaled from s on: any answer reads nothing of ours */
        if (got < 0 || got > offs[t]) {
            fprintf(stderr, "seq %llu: index says offset %lld, its record is at %lld (shift %u)\n",
                    (unsigned long long)s, (long long)got, (long long)offs[t], j->shift);
            exit(1);
        }
    }
}

int main(void)
{
    zjournal j = {.shift = ZJ_IDX_SHIFT0};
    uint64_t first = 37;
    journal_records(&j, first, 7);
    /* 2000 seqs in 16-seq blocks are 123 blocks: coarsened until they fit in 8 entries */
    CHECK(j.n_off <= ZJ_IDX_MAX && j.cap_off <= 1024);
    CHECK(j.shift > ZJ_IDX_SHIFT0 && ((N - first) >> j.shift) < ZJ_IDX_MAX);
    CHECK(zjournal_first_seq(&j) == first);
    check_every_seq(&j, first);
    printf("ok: %d seqs indexed in %zu entries of 2^%u seqs; every replay start at or before its record\n",
           N - (int)first + 1, j.n_off, j.shift);
    free(j.off);

    /* few records: no coarsening; a seq's read starts at its block's first record */
    zjournal k = {.shift = ZJ_IDX_SHIFT0};
    for (uint64_t s = 1; s <= 100; s++) idx_set(&k, s, (int64_t)(10 * s));
    CHECK(k.shift == ZJ_IDX_SHIFT0 && k.n_off == 7); /* seqs 1..100 in blocks of 16 */
    CHECK(idx_find(&k, 1) == 10 && idx_find(&k, 40) == 330 && idx_find(&k, 100) == 970);
    CHECK(idx_find(&k, 200) < 0); /* past everything journaled */
    free(k.off);
    return 0;
}
