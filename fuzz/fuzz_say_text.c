/* fuzz_say_text.c -- libFuzzer target: squawk say's text from outside strings (headline, names, money as written). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/say_text.h"
#include "proto/alert.h"

/* Each output must be NUL-terminated inside its buffer, whatever the input. */
static void check(const char *out, size_t cap)
{
    if (!memchr(out, '\0', cap)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[128], out[SAY_TEXT_MAX], small[24];
    proto_alert *a = NULL;
    if (proto_alert_decode(data, size, &a, why, sizeof why) == 0) {
        say_text_line(a, out, sizeof out);
        check(out, sizeof out);
        say_text_line(a, small, sizeof small);
        check(small, sizeof small);
        proto_alert_destroy(a);
        return 0;
    }
    /* Plain text: lines are headline, entity name, amount as written. */
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char *name = strchr(s, '\n');
    if (name) *name++ = '\0';
    char *money = name ? strchr(name, '\n') : NULL;
    if (money) *money++ = '\0';
    a = proto_alert_create();
    if (a && proto_alert_set(&a->article.headline, s) == 0 && proto_alert_set(&a->category, "invest") == 0 &&
        proto_alert_add_entity(a, name ? name : s, NULL, "investor", 90) == 0 &&
        proto_alert_add_amount(a, 1e9, money ? money : s) == 0) {
        say_text_line(a, out, sizeof out);
        check(out, sizeof out);
    }
    proto_alert_destroy(a);
    say_text_headline(s, small, sizeof small);
    check(small, sizeof small);
    size_t used = say_text_money(s, small, sizeof small);
    if (used > strlen(s)) abort();
    say_text_name(s, out, sizeof out);
    check(out, sizeof out);
    free(s);
    return 0;
}
