/* fuzz_replay_request.c -- libFuzzer target: the REPLAY request parser of the publisher and squawk proxy. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/zwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static zwire_req r;
    const char *why = NULL;
    if (zwire_parse_request(data, size, &r, &why) != 0) {
        if (!why) abort(); /* every refusal says why */
        return 0;
    }
    /* The topics are n_topics NUL-terminated strings filling topics_len exactly. */
    size_t used = 0;
    for (size_t i = 0; i < r.n_topics; i++) used += strlen(r.topics + used) + 1;
    if (used != r.topics_len || r.n_topics > ZWIRE_REQ_MAX_TOPICS || strlen(r.pub) >= sizeof r.pub)
        abort();
    return 0;
}
