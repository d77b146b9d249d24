/* test_error.c -- the error table: every code has a distinct name and a message. */
#include "core/error.h"
#include "tests/assert.h"

static const int codes[] = {
#define XX(name, code, msg) code,
    SQ_ERRNO_MAP(XX)
#undef XX
};

TEST(names_distinct)
{
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        ASSERT_LT(codes[i], 0);
        ASSERT(strcmp(sq_err_name(codes[i]), "UNKNOWN") != 0);
        ASSERT(strlen(sq_strerror(codes[i])) > 0);
        for (size_t j = i + 1; j < n; j++) {
            ASSERT_NE(codes[i], codes[j]);
            ASSERT(strcmp(sq_err_name(codes[i]), sq_err_name(codes[j])) != 0);
        }
    }
    ASSERT_STR_EQ(sq_err_name(SQ_E_TRUNCATED), "TRUNCATED");
    ASSERT_STR_EQ(sq_err_name(12345), "UNKNOWN");
    ASSERT_STR_EQ(sq_err_name(0), "OK");
}

int main(void)
{
    RUN(names_distinct);
    return 0;
}
