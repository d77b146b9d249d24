/* test_say_text.c -- squawk say's spoken text: numbers, money, headlines, names, whole lines. */
#include "../cli/say_text.h"
#include "../core/error.h"
#include "assert.h"

static const char *num(double v, int dec)
{
    static char b[256];
    ASSERT(say_text_number(v, dec, b, sizeof b) > 0);
    return b;
}

static const char *money(const char *s, size_t want_len)
{
    static char b[256];
    ASSERT_EQ(say_text_money(s, b, sizeof b), want_len);
    return b;
}

static const char *head(const char *s)
{
    static char b[SAY_TEXT_MAX];
    ASSERT(say_text_headline(s, b, sizeof b) >= 0);
    return b;
}

static const char *name(const char *s)
{
    static char b[256];
    ASSERT(say_text_name(s, b, sizeof b) >= 0);
    return b;
}

TEST(numbers)
{
    ASSERT_STR_EQ(num(0, 0), "zero");
    ASSERT_STR_EQ(num(10, 0), "ten");
    ASSERT_STR_EQ(num(52, 0), "fifty-two");
    ASSERT_STR_EQ(num(100, 0), "one hundred");
    ASSERT_STR_EQ(num(115, 0), "one hundred fifteen");
    ASSERT_STR_EQ(num(80000, 0), "eighty thousand");
    ASSERT_STR_EQ(num(1250000, 0), "one million two hundred fifty thousand");
    ASSERT_STR_EQ(num(2.4, 1), "two point four");
    ASSERT_STR_EQ(num(2.40, 2), "two point four");
    ASSERT_STR_EQ(num(1.05, 2), "one point zero five");
    ASSERT_STR_EQ(num(3e12, 0), "three trillion");
    char b[8];
    ASSERT_EQ(say_text_number(-1, 0, b, sizeof b), SQ_E_INVAL);
    ASSERT_EQ(say_text_number(1e300, 0, b, sizeof b), SQ_E_INVAL);
    /* a small buffer is cut, never overrun */
    ASSERT(say_text_number(777777, 0, b, sizeof b) >= 0);
    ASSERT_EQ(strlen(b), sizeof b - 1);
}

TEST(money)
{
    ASSERT_STR_EQ(money("$10 billion", 11), "ten billion dollars");
    ASSERT_STR_EQ(money("$2.4 billion at", 12), "two point four billion dollars");
    ASSERT_STR_EQ(money("1.1 billion euros under", 17), "one point one billion euros");
    ASSERT_STR_EQ(money("$40 million", 11), "forty million dollars");
    ASSERT_STR_EQ(money("$6-8 billion", 12), "six to eight billion dollars");
    ASSERT_STR_EQ(money("$6 to $8 billion", 16), "six to eight billion dollars");
    ASSERT_STR_EQ(money("US$40mln", 8), "forty million dollars");
    ASSERT_STR_EQ(money("$5m deal", 3), "five million dollars");
    ASSERT_STR_EQ(money("\xe2\x82\xac" "3bn", 6), "three billion euros");
    ASSERT_STR_EQ(money("\xc2\xa3" "1", 3), "one pound");
    ASSERT_STR_EQ(money("$96.50 a share", 6), "ninety-six dollars and fifty cents");
    ASSERT_STR_EQ(money("$1,250,000", 10), "one million two hundred fifty thousand dollars");
    ASSERT_STR_EQ(money("$1 billion", 10), "one billion dollars");
    /* not money: a bare number, a word, "5 m" in prose */
    money("80,000 GPUs", 0);
    money("dollars", 0);
    money("$ 5", 0);
    ASSERT_STR_EQ(money("$5 m", 2), "five dollars");
}

TEST(headlines)
{
    ASSERT_STR_EQ(head("UPDATE 1-Amazon in talks to invest in OpenAI"),
                  "Amazon in talks to invest in OpenAI.");
    ASSERT_STR_EQ(head("RPT-EXCLUSIVE: Amazon in talks (AMZN.O) to invest $10 billion in OpenAI"),
                  "Amazon in talks to invest ten billion dollars in OpenAI.");
    ASSERT_STR_EQ(head("Nvidia (NASDAQ: NVDA) buys stake in Foo (Nasdaq:FOO, NYSE:BAR) https://t.co/x1"),
                  "Nvidia buys stake in Foo.");
    ASSERT_STR_EQ(head("Kokusai (6525.T) deal blocked!"), "Kokusai deal blocked!");
    ASSERT_STR_EQ(head("$TSLA to buy www.example.com stake?"), "TSLA to buy stake?");
    /* parentheses with words stay */
    ASSERT_STR_EQ(head("Deal (the biggest this year) agreed"), "Deal (the biggest this year) agreed.");
    ASSERT_STR_EQ(head("  Breaking news on Acme -  "), "Breaking news on Acme.");
    ASSERT_STR_EQ(head("Acme\x1b[2J buys\r\nHooli\x07"), "Acme[2J buys Hooli.");
    ASSERT_STR_EQ(head(""), "");
    ASSERT_STR_EQ(head(NULL), "");
}

TEST(names)
{
    ASSERT_STR_EQ(name("Nvidia Corp."), "Nvidia");
    ASSERT_STR_EQ(name("Amazon.com Inc."), "Amazon");
    ASSERT_STR_EQ(name("Samsung Electronics Co. Ltd."), "Samsung Electronics");
    ASSERT_STR_EQ(name("Warner Bros. Discovery Inc."), "Warner Brothers Discovery");
    ASSERT_STR_EQ(name("Siemens AG"), "Siemens");
    ASSERT_STR_EQ(name("Federal Trade Commission"), "Federal Trade Commission");
    ASSERT_STR_EQ(name("Inc."), "Inc."); /* a name that is only a suffix keeps it */
    ASSERT_STR_EQ(name("OpenAI"), "OpenAI");
}

static proto_alert *alert(const char *cat, const char *stage, double score, const char *headline)
{
    proto_alert *a = proto_alert_create();
    ASSERT(a);
    proto_alert_set(&a->category, cat);
    proto_alert_set(&a->stage, stage);
    proto_alert_set(&a->article.headline, headline);
    proto_alert_set(&a->article.id, "t-1");
    a->score = score;
    a->novelty = 100;
    return a;
}

TEST(line_issue_example)
{
    proto_alert *a = alert("invest", "talks", 90, "UPDATE 1-Amazon in talks to invest in OpenAI");
    proto_alert_add_entity(a, "OpenAI", NULL, "target", 88);
    proto_alert_add_entity(a, "Amazon.com Inc.", "AMZN", "investor", 90);
    proto_alert_add_entity(a, "Alphabet Inc.", "GOOGL", "target", 20); /* also named */
    proto_alert_add_amount(a, 10e9, "$10 billion");
    char b[SAY_TEXT_MAX];
    ASSERT(say_text_line(a, b, sizeof b) > 0);
    ASSERT_STR_EQ(b, "Investment, talks: Amazon, OpenAI, ten billion dollars. "
                     "Amazon in talks to invest in OpenAI.");
    proto_alert_destroy(a);
}

TEST(line_parties_and_amounts)
{
    char b[SAY_TEXT_MAX];
    /* the regulator first, three parties at most, the headline's amount over a bigger one */
    proto_alert *a = alert("regulatory", "none", 80, "CMA probes Alphabet's $32 billion Wiz deal");
    proto_alert_add_entity(a, "Alphabet Inc.", "GOOGL", "subject", 93);
    proto_alert_add_entity(a, "Competition and Markets Authority", NULL, "regulator", 89);
    proto_alert_add_entity(a, "U.S. Department of Justice", NULL, "regulator", 71);
    proto_alert_add_entity(a, "Wiz Inc.", NULL, "subject", 54);
    proto_alert_add_amount(a, 50e9, "$50 billion");
    proto_alert_add_amount(a, 32e9, "$32 billion");
    say_text_line(a, b, sizeof b);
    ASSERT_STR_EQ(b, "Regulatory: Competition and Markets Authority, U.S. Department of Justice, "
                     "Alphabet, thirty-two billion dollars. CMA probes Alphabet's thirty-two "
                     "billion dollars Wiz deal.");
    proto_alert_destroy(a);
    /* no parties, a written amount we cannot read: the dollar value; a plugin's own category */
    a = alert("earnings", "agreed", 70, "Results beat");
    proto_alert_add_amount(a, 96.5, "$96.50");
    proto_alert_add_amount(a, 1.188e9, "1,1 Mrd. EUR");
    say_text_line(a, b, sizeof b);
    ASSERT_STR_EQ(b, "Earnings, agreed: one point two billion dollars. Results beat.");
    proto_alert_destroy(a);
    /* the same company twice (two entities, one name) is said once */
    a = alert("chips", "completed", 70, "");
    proto_alert_add_entity(a, "Intel Corp.", "INTC", "supplier", 90);
    proto_alert_add_entity(a, "Intel Corporation", NULL, "supplier", 80);
    say_text_line(a, b, sizeof b);
    ASSERT_STR_EQ(b, "Chips deal, completed: Intel.");
    proto_alert_destroy(a);
}

TEST(line_fits)
{
    char big[4000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    proto_alert *a = alert("invest", "talks", 90, big);
    char b[64];
    ASSERT(say_text_line(a, b, sizeof b) > 0);
    ASSERT_EQ(strlen(b), sizeof b - 1);
    ASSERT_EQ(say_text_line(a, b, 0), SQ_E_INVAL);
    proto_alert_destroy(a);
}

TEST(more)
{
    char b[128];
    say_text_more("invest", 46, b, sizeof b);
    ASSERT_STR_EQ(b, "and forty-six more on invest");
}

int main(void)
{
    RUN(numbers);
    RUN(money);
    RUN(headlines);
    RUN(names);
    RUN(line_issue_example);
    RUN(line_parties_and_amounts);
    RUN(line_fits);
    RUN(more);
    return 0;
}
