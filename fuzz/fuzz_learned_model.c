/* fuzz_learned_model.c -- libFuzzer target for the learned filter's model file decoder, and its tokenizer on the same bytes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "filters/learned/lmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    lm_model *m = NULL;
    lm_vec x = {0};
    lm_spans sp = {0};
    if (lm_decode(&m, data, size, err, sizeof err) != 0) {
        /* a refused file always says why */
        if (!err[0]) abort();
        /* the tokenizer meets arbitrary bytes too, with every option set */
        lm_opts o = {.hash_bits = 12, .word_max = 2, .char_min = 1, .char_max = 8, .char_weight = 50,
                     .sublinear = 1, .prefix = 5};
        size_t n = size < 2048 ? size : 2048; /* enough for the tokenizer, keeps runs fast */
        if (lm_featurize(&o, NULL, (const char *)data, n, (const char *)data, n / 2, &x, &sp, 1) != 0)
            abort();
    } else {
        double s[LM_MAX_CLASSES], p[LM_MAX_OUTPUTS];
        /* the engine's services are not here: a model that wants them is refused, never crashes */
        int want = m->o.rules ? SQ_E_INVAL : 0;
        if (lm_featurize(&m->o, m->idf, (const char *)data, size, "", 0, &x, &sp, 1) != want) abort();
        if (lm_predict(m, &x, (const char *)data, size, "", 0, NULL, s, p) != want) abort();
        for (size_t i = 0; i < m->n_out && !want; i++)
            if (!(p[i] >= 0 && p[i] <= 1)) abort();
    }
    for (size_t i = 0; i < sp.n; i++)
        if (sp.v[i].start > sp.v[i].end || sp.v[i].end > size) abort();
    lm_vec_free(&x);
    lm_spans_free(&sp);
    lm_destroy(m);
    return 0;
}
