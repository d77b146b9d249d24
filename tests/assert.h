/* assert.h -- a tiny test assertion header: prints both values, then aborts. */
#ifndef SQ_TEST_ASSERT_H
#define SQ_TEST_ASSERT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQ_FAIL_(fmt, ...)                                                      \
    do {                                                                        \
        fprintf(stderr, "%s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__);   \
        abort();                                                                \
    } while (0)

#define ASSERT(c)                                                               \
    do {                                                                        \
        if (!(c)) SQ_FAIL_("ASSERT(%s) failed", #c);                            \
    } while (0)

#define ASSERT_INT_OP_(a, op, b)                                                \
    do {                                                                        \
        long long a_ = (long long)(a), b_ = (long long)(b);                     \
        if (!(a_ op b_))                                                        \
            SQ_FAIL_("ASSERT(%s %s %s) failed: %lld vs %lld", #a, #op, #b, a_, b_); \
    } while (0)

#define ASSERT_EQ(a, b) ASSERT_INT_OP_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP_(a, >=, b)

#define ASSERT_STR_EQ(a, b)                                                     \
    do {                                                                        \
        const char *a_ = (a), *b_ = (b);                                        \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                  \
            SQ_FAIL_("ASSERT_STR_EQ(%s, %s) failed: \"%s\" vs \"%s\"", #a, #b,  \
                     a_ ? a_ : "(null)", b_ ? b_ : "(null)");                   \
    } while (0)

#define ASSERT_DBL_NEAR(a, b, eps)                                              \
    do {                                                                        \
        double a_ = (a), b_ = (b);                                              \
        if (!(a_ - b_ <= (eps) && b_ - a_ <= (eps)))                            \
            SQ_FAIL_("ASSERT_DBL_NEAR(%s, %s) failed: %g vs %g", #a, #b, a_, b_); \
    } while (0)

/* A test file is a list of TEST(name) functions run by RUN(name) in main. */
#define TEST(name) static void test_##name(void)
#define RUN(name)                                                               \
    do {                                                                        \
        fprintf(stderr, "-- %s\n", #name);                                      \
        test_##name();                                                          \
    } while (0)

#endif
