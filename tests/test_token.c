/* test_token.c -- the v2 tokeniser: boundaries, normal forms, case classes, sentences, UTF-8 folding. */
#include "tests/assert.h"

#include "filters/token.h"

/* The tokens of s as "norm|norm|..." (sentence starts marked with ^). */
static const char *show(tok_doc *d, const char *s)
{
    static char buf[2048];
    ASSERT_EQ(tok_run_text(d, s, strlen(s)), 0);
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->n; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s%s", i ? "|" : "",
                              d->v[i].flags & TOK_F_SENT_START ? "^" : "", tok_norm(d, &d->v[i]));
    return buf;
}

static void test_words(tok_doc *d)
{
    ASSERT_STR_EQ(show(d, "Amazon to invest $10bn in OpenAI."), "^amazon|to|invest|$|10|bn|in|openai|.");
    ASSERT_EQ(d->v[3].flags & TOK_F_CURRENCY, TOK_F_CURRENCY);
    ASSERT_EQ(d->v[4].flags & TOK_F_NUMBER, TOK_F_NUMBER);
    ASSERT_EQ(d->v[5].flags & TOK_F_SCALE, TOK_F_SCALE);
    ASSERT_EQ(d->v[0].cls, TOK_TITLE);
    ASSERT_EQ(d->v[7].cls, TOK_MIXED);
    /* offsets are bytes of the input */
    ASSERT_EQ(d->v[7].start, 26);
    ASSERT_EQ(d->v[7].end, 32);
    ASSERT_STR_EQ(show(d, "Acme raised \xe2\x82\xac" "1.2 billion, US$2,500,000 and 3.5 pct."),
                  "^acme|raised|\xe2\x82\xac|1.2|billion|,|us$|2,500,000|and|3.5|pct|.");
    ASSERT_EQ(d->v[2].flags & TOK_F_CURRENCY, TOK_F_CURRENCY);
    ASSERT_EQ(d->v[6].flags & TOK_F_CURRENCY, TOK_F_CURRENCY);
    ASSERT_EQ(d->v[7].cls, TOK_DIGIT);
    /* a currency code glued to the number is a currency token; inside a longer word it is not */
    ASSERT_STR_EQ(show(d, "a EUR1.7bn bid, GBP500m and HK$2bn"), "^a|eur|1.7|bn|bid|,|gbp|500|m|and|hk$|2|bn");
    ASSERT_EQ(d->v[1].flags & TOK_F_CURRENCY, TOK_F_CURRENCY);
    ASSERT_EQ(d->v[2].flags & TOK_F_NUMBER, TOK_F_NUMBER);
    ASSERT_EQ(d->v[6].flags & TOK_F_CURRENCY, TOK_F_CURRENCY);
    ASSERT_STR_EQ(show(d, "XEUR1 EURO2 eur3 EUR"), "^xeur1|euro2|eur3|eur");
    ASSERT_EQ(d->v[3].flags & TOK_F_CURRENCY, 0);
    /* a code, one space, a number: "EUR 17bn" as the wires write it; not a code before a word */
    ASSERT_STR_EQ(show(d, "a EUR 17bn offer, GBP 7.7bn and EUR bonds, CAD 3 Eur 5"),
                  "^a|eur|17|bn|offer|,|gbp|7.7|bn|and|eur|bonds|,|cad|3|eur|5");
    ASSERT_EQ(d->v[1].flags & TOK_F_CURRENCY, TOK_F_CURRENCY);
    ASSERT_EQ(d->v[2].flags & TOK_F_NUMBER, TOK_F_NUMBER);
    ASSERT_EQ(d->v[6].flags & TOK_F_CURRENCY, TOK_F_CURRENCY);
    ASSERT_EQ(d->v[10].flags & TOK_F_CURRENCY, 0);
    ASSERT_EQ(d->v[13].flags & TOK_F_CURRENCY, TOK_F_CURRENCY);
    ASSERT_EQ(d->v[15].flags & TOK_F_CURRENCY, 0);
    ASSERT_STR_EQ(show(d, "1,2345 and 12,345"), "^1|,|2345|and|12,345");
    ASSERT_STR_EQ(show(d, "files its 10-K and 8-K, a $10-billion deal, $5K"), "^files|its|10-k|and|8-k|,|a|$|10-|billion|deal|,|$|5|k");
    ASSERT_STR_EQ(show(d, "Nvidia-backed start-up's rival, AT&T's unit"),
                  "^nvidia-backed|start-up|'s|rival|,|at&t|'s|unit");
    ASSERT_EQ(d->v[0].flags & TOK_F_HYPHEN, TOK_F_HYPHEN);
    ASSERT_STR_EQ(show(d, "O'Neill won't sell investors' shares"), "^o'neill|won't|sell|investors|'|shares");
    ASSERT_STR_EQ(show(d, "2nd H100 iPhone IBM A"), "^2nd|h100|iphone|ibm|a");
    ASSERT_EQ(d->v[0].cls, TOK_MIXED);
    ASSERT_EQ(d->v[2].cls, TOK_MIXED);
    ASSERT_EQ(d->v[3].cls, TOK_UPPER);
    ASSERT_EQ(d->v[4].cls, TOK_TITLE);
}

static void test_tags(tok_doc *d)
{
    ASSERT_STR_EQ(show(d, "$TSLA and $BRK.B up, $5bn, $US"), "^$tsla|and|$brk.b|up|,|$|5|bn|,|$us");
    ASSERT_EQ(d->v[0].flags & TOK_F_CASHTAG, TOK_F_CASHTAG);
    ASSERT_EQ(d->v[2].flags & TOK_F_CASHTAG, TOK_F_CASHTAG);
    ASSERT_EQ(d->v[5].flags & TOK_F_CASHTAG, 0);
    ASSERT_STR_EQ(show(d, "Dixons <DXNS.L> bid for <CYAC>, not <acme> or <Dixons Group PLC>"),
                  "^dixons|<dxns.l>|bid|for|<cyac>|,|not|<|acme|>|or|<|dixons|group|plc|>");
    ASSERT_EQ(d->v[1].flags & TOK_F_TICKER, TOK_F_TICKER);
    ASSERT_EQ(d->v[4].flags & TOK_F_TICKER, TOK_F_TICKER);
}

static void test_sentences(tok_doc *d)
{
    ASSERT_STR_EQ(show(d, "Mr. Smith of Acme Inc. said the U.S. unit grew. It is (big.) Next! J. P. Morgan?"),
                  "^mr.|smith|of|acme|inc.|said|the|u.s.|unit|grew|.|^it|is|(|big|.|)|^next|!|^j.|p.|morgan|?");
    ASSERT_EQ(d->v[7].flags & TOK_F_ABBREV, TOK_F_ABBREV);
    ASSERT_EQ(d->v[7].cls, TOK_UPPER);
    ASSERT_EQ(d->v[11].sent, 1);
    ASSERT_EQ(d->v[17].sent, 2);
    ASSERT_EQ(d->n_sent, 4);
    /* a case name's "v." does not end the sentence ("FTC v. Acme") */
    ASSERT_STR_EQ(show(d, "In FTC v. Acme the court ruled."), "^in|ftc|v.|acme|the|court|ruled|.");
    /* Reuters wraps lines: a single newline continues the sentence, an indented line opens one */
    ASSERT_STR_EQ(show(d, "shares of\nthe company\n    Acme said"), "^shares|of|the|company|^acme|said");
    /* the headline is its own sentence; body sentences follow */
    const char *text[2] = {"ACME TO BUY FOO HOLDINGS LTD", "Acme will buy Foo. Terms were not disclosed."};
    size_t len[2] = {strlen(text[0]), strlen(text[1])};
    ASSERT_EQ(tok_run(d, text, len), 0);
    ASSERT_EQ(d->caps[0], 1);
    ASSERT_EQ(d->caps[1], 0);
    ASSERT_EQ(d->field_first[1], 6);
    ASSERT_EQ(d->v[6].sent, 1);
    ASSERT_EQ(d->v[6].field, 1);
    ASSERT_EQ(d->v[11].sent, 2);
    ASSERT_EQ(d->n_sent, 3);
}

static void test_abbrev(tok_doc *d)
{
    /* every word whose period belongs to it, in any case; near misses end their sentence */
    static const char *const w[] = {"Mr", "mrs", "MS", "dr", "Prof", "inc", "corp", "Co", "ltd", "jr", "sr", "St",
                                    "no", "vs", "bros", "cos", "mt", "Gov", "sen", "rep", "gen", "col", "Jan",
                                    "feb", "aug", "sept", "oct", "nov", "dec", "dept", "approx", "plc", "v", "Q", NULL};
    char buf[64];
    for (size_t k = 0; w[k]; k++) {
        snprintf(buf, sizeof buf, "%s. x", w[k]);
        ASSERT_EQ(tok_run_text(d, buf, strlen(buf)), 0);
        ASSERT_EQ(d->n, 2);
        ASSERT_EQ(d->v[0].flags & TOK_F_ABBREV, TOK_F_ABBREV);
        ASSERT_EQ(d->n_sent, 1);
    }
    ASSERT_STR_EQ(show(d, "mrr. appro. septs. m. x"), "^mrr|.|^appro|.|^septs|.|^m|.|^x");
}

static void test_long(tok_doc *d)
{
    /* words longer than 16 bytes, and words of every length ending the text */
    ASSERT_STR_EQ(show(d, "Pneumonoultramicroscopicsilicovolcanoconiosis ABCDEFGHIJKLMNOPQRSTUVWXYZ 12345678901234567"),
                  "^pneumonoultramicroscopicsilicovolcanoconiosis|abcdefghijklmnopqrstuvwxyz|12345678901234567");
    ASSERT_EQ(d->v[0].cls, TOK_TITLE);
    ASSERT_EQ(d->v[1].cls, TOK_UPPER);
    ASSERT_EQ(d->v[2].cls, TOK_DIGIT);
    ASSERT_EQ(d->v[2].flags & TOK_F_NUMBER, TOK_F_NUMBER);
    ASSERT_EQ(d->v[0].hash, tok_hash(tok_norm(d, &d->v[0]), d->v[0].norm_len));
    char buf[48] = "";
    for (size_t n = 1; n < 40; n++) {
        buf[n - 1] = n == 17 ? 'Q' : (char)('a' + n % 26);
        ASSERT_EQ(tok_run_text(d, buf, n), 0);
        ASSERT_EQ(d->n, 1);
        ASSERT_EQ(d->v[0].norm_len, n);
        ASSERT_EQ(d->v[0].hash, tok_hash(tok_norm(d, &d->v[0]), n));
        ASSERT_EQ(d->v[0].cls, n < 17 ? TOK_LOWER : TOK_MIXED);
    }
}

static void test_utf8(tok_doc *d)
{
    /* fullwidth letters fold to ASCII; zero-width joiners and soft hyphens vanish inside a word */
    ASSERT_STR_EQ(show(d, "\xef\xbc\xa1\xef\xbd\x83\xef\xbd\x8d\xef\xbd\x85 in\xe2\x80\x8bvests"), "^acme|invests");
    ASSERT_EQ(d->v[0].cls, TOK_TITLE);
    ASSERT_EQ(d->v[0].flags & TOK_F_FOLDED, TOK_F_FOLDED);
    ASSERT_EQ(d->v[1].end - d->v[1].start, 10);
    /* typographic apostrophe, accented capitals, no-break space, em dash */
    ASSERT_STR_EQ(show(d, "Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale\xe2\x80\x99s \xc3\x89LAN\xc2\xa0" "deal\xe2\x80\x94now"),
                  "^soci\xc3\xa9t\xc3\xa9|g\xc3\xa9n\xc3\xa9rale|'s|\xc3\xa9lan|deal|\xe2\x80\x94|now");
    ASSERT_EQ(d->v[3].cls, TOK_UPPER);
    /* invalid bytes and truncated sequences never split a token mid-sequence or crash */
    const char bad[] = "ab\xff\xc3 \xe2\x82 x\xf0\x9f\x98\x80y";
    ASSERT_EQ(tok_run_text(d, bad, sizeof bad - 1), 0);
    for (size_t i = 0; i < d->n; i++) ASSERT_LE(d->v[i].end, sizeof bad - 1);
    ASSERT_STR_EQ(tok_norm(d, &d->v[d->n - 1]), "x\xf0\x9f\x98\x80y");
    /* an empty or space-only text has no tokens */
    ASSERT_STR_EQ(show(d, " \n\t"), "");
    ASSERT_EQ(d->n_sent, 0);
}

static void test_hash(tok_doc *d)
{
    show(d, "Invests INVESTS invests");
    ASSERT_EQ(d->v[0].hash, d->v[1].hash);
    ASSERT_EQ(d->v[0].hash, tok_hash("invests", 7));
    ASSERT_STR_EQ(tok_case_name(TOK_UPPER), "upper");
}

/* tok_shouting against a plain count, on texts whose capitals come late (the early exit must not
 * settle them) and on the exact boundary of each ratio. */
static int shouting_ref(const char *s, size_t n, unsigned num, unsigned den)
{
    size_t up = 0, low = 0;
    for (size_t i = 0; i < n; i++) up += s[i] >= 'A' && s[i] <= 'Z', low += s[i] >= 'a' && s[i] <= 'z';
    return up + low >= 8 && up * den >= (up + low) * num;
}

static void test_shouting(void)
{
    static char buf[4000];
    ASSERT_EQ(tok_shouting("ACME TO BUY WIDGETCO", 20, 7, 10), 1);
    ASSERT_EQ(tok_shouting("Acme to buy WidgetCo", 20, 7, 10), 0);
    ASSERT_EQ(tok_shouting("ACME BUY", 8, 7, 10), 0); /* 7 letters */
    memset(buf, 'a', 300);
    memset(buf + 300, 'A', 3000); /* 3000 of 3300: exactly 10/11 */
    ASSERT_EQ(tok_shouting(buf, 3300, 10, 11), 1);
    ASSERT_EQ(tok_shouting(buf, 3299, 10, 11), 0);
    unsigned x = 12345;
    for (int t = 0; t < 2000; t++) {
        size_t n = (size_t)(t * 7 % 3000) + 1, caps_from = n * (size_t)(t % 10) / 10;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            unsigned r = x >> 16 & 15;
            buf[i] = r < 2 ? ' ' : r < 3 ? '7' : (char)((i >= caps_from && r < 14 ? 'A' : 'a') + (char)(r % 26));
        }
        ASSERT_EQ(tok_shouting(buf, n, 7, 10), shouting_ref(buf, n, 7, 10));
        ASSERT_EQ(tok_shouting(buf, n, 10, 11), shouting_ref(buf, n, 10, 11));
    }
}

/* Title Case headlines (tok_title_headline): every word a sentence would write in lower case is
 * capitalised; small words, hyphenated parts ("Multibillion-dollar"), scales ("$25bn") and links may
 * stay lower. A sentence-case headline dense in names is none. */
static void test_title_headline(void)
{
    static const struct {
        const char *h;
        int title;
    } c[] = {
        {"Meta Agrees Multibillion-dollar Chip Deal with AMD", 1},
        {"Royal Caribbean Acquires Cruise Ship Endeavor for $275 Mln https://t.co/x", 1},
        {"eBay Agrees To Buy Depop For $1.6 Billion", 1},
        {"Salesforce's $25bn Bond Deal Draws Demand", 1},
        {"Silver Lake and Saudi Arabia's PIF buy Electronic Arts for $55bn", 0},
        {"Treasury sanctions Russia's Rosneft and Lukoil", 0},
        {"Nvidia to invest up to $100bn in OpenAI", 0},
        {"Nvidia To Invest", 0}, /* fewer than three capitalised words */
        {"", 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        if (tok_title_headline(c[i].h, strlen(c[i].h)) != c[i].title) fprintf(stderr, "case: %s\n", c[i].h);
        ASSERT_EQ(tok_title_headline(c[i].h, strlen(c[i].h)), c[i].title);
    }
}

/* Years before the article's (March 2025 here) are past; two years back, or a month more than six months
 * back, old; the article's own year and later are neither. */
static void test_years(tok_doc *d)
{
    static const struct {
        const char *text;
        uint16_t want; /* the flags of the text's last token */
    } c[] = {
        {"in 2019", TOK_F_PAST_YEAR | TOK_F_OLD_YEAR}, {"in 2024", TOK_F_PAST_YEAR}, {"in 2025", 0}, {"by 2027", 0},
        {"in July 2024", TOK_F_PAST_YEAR | TOK_F_OLD_YEAR}, {"in December 2024", TOK_F_PAST_YEAR},
        {"in Sept 2024", TOK_F_PAST_YEAR}, {"in March 2023", TOK_F_PAST_YEAR | TOK_F_OLD_YEAR},
        {"in May 2025", 0}, {"1899", 0}, {"20,24", 0}, {"2024.5", 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        show(d, c[i].text);
        tok_mark_years(d, 2025, 3);
        ASSERT_EQ(d->v[d->n - 1].flags & (TOK_F_PAST_YEAR | TOK_F_OLD_YEAR), c[i].want);
    }
    /* the month unknown, the year decides */
    show(d, "in July 2024");
    tok_mark_years(d, 2025, 0);
    ASSERT_EQ(d->v[d->n - 1].flags & (TOK_F_PAST_YEAR | TOK_F_OLD_YEAR), TOK_F_PAST_YEAR);
}

int main(void)
{
    tok_doc d;
    tok_doc_init(&d);
    test_words(&d);
    test_tags(&d);
    test_sentences(&d);
    test_abbrev(&d);
    test_long(&d);
    test_utf8(&d);
    test_hash(&d);
    test_years(&d);
    test_shouting();
    test_title_headline();
    tok_doc_free(&d);
    printf("test_token: ok\n");
    return 0;
}
