/* test_filters.c -- filter host, loader refusals, matcher, gazetteer, amounts, cues, novelty. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/error.h"
#include "../filters/amount.h"
#include "../filters/calib.h"
#include "../filters/gazetteer.h"
#include "../filters/host.h"
#include "../filters/matcher.h"
#include "../filters/novelty.h"
#include "assert.h"
#include "filter_run.h"

#define DATA_DIR SQ_SOURCE_DIR "/filters"
#define MINI_GAZ SQ_SOURCE_DIR "/tests/data/gazetteer-mini.yml"

#define ASSERT_HAS(hay, needle)                                                         \
    do {                                                                                \
        if (!strstr((hay), (needle)))                                                   \
            SQ_FAIL_("expected \"%s\" in \"%s\"", (needle), (hay));                     \
    } while (0)

static char tmpdir[256];

static filter_host *new_host(void)
{
    setenv("SQUAWK_GAZETTEER", MINI_GAZ, 1);
    filter_host_opts o = {.data_dir = DATA_DIR, .plugin_dir = SQ_PLUGIN_DIR};
    filter_host *h = NULL;
    char err[512] = "";
    int rc = filter_host_create(&h, &o, err, sizeof err);
    if (rc) fprintf(stderr, "host: %s\n", err);
    ASSERT_EQ(rc, 0);
    return h;
}

/* Compiling the rule packs is the slow part (seconds under sanitizers), so
 * the tests share one host with the three built-ins; builtin_done() is a no-op. */
static filter_host *shared;

static filter_host *builtin_host(void)
{
    if (shared) return shared;
    filter_host *h = new_host();
    char err[512];
    const char *names[] = {"invest", "chips", "regulatory"};
    for (int i = 0; i < 3; i++) {
        int rc = filter_host_load(h, names[i], NULL, 0, -1, err, sizeof err);
        if (rc) fprintf(stderr, "load: %s\n", err);
        ASSERT_EQ(rc, 0);
    }
    shared = h;
    return h;
}

static void builtin_done(filter_host *h)
{
    ASSERT(h == shared);
}

/* The alert names `name` in `role`. */
static void assert_role(const proto_alert *al, const char *name, const char *role)
{
    ASSERT(al != NULL);
    if (!alert_entity(al, name)) {
        fprintf(stderr, "   no %s in the alert on \"%s\", which names:", name, al->article.headline ? al->article.headline : "?");
        for (size_t i = 0; i < al->n_entities; i++) fprintf(stderr, " %s (%s)", al->entities[i].name, al->entities[i].role);
        fprintf(stderr, "\n");
    }
    ASSERT(alert_entity(al, name) != NULL);
    ASSERT_STR_EQ(alert_entity(al, name)->role, role);
}

/* The alert names `name` as context: role mentioned, and no topic for its ticker. */
static void assert_context(const proto_alert *al, const char *name, const char *ticker)
{
    const char *t[8];
    if (al && alert_entity(al, name) && strcmp(alert_entity(al, name)->role, PROTO_ROLE_MENTIONED) != 0)
        fprintf(stderr, "   %s is %s, not context, in the alert on \"%s\"\n", name, alert_entity(al, name)->role,
                al->article.headline ? al->article.headline : "?");
    assert_role(al, name, PROTO_ROLE_MENTIONED);
    size_t n = proto_alert_route_tickers(al, 0, t, 8);
    for (size_t k = 0; k < n; k++) ASSERT(strcmp(t[k], ticker) != 0);
}

/* The cat alert on a headline alone names `name` in `role`. */
static void expect_role(filter_host *h, const char *headline, const char *cat, const char *name, const char *role)
{
    proto_alert *al = run_one(h, headline, "", cat);
    assert_role(al, name, role);
    proto_alert_destroy(al);
}

/* The cat alert on headline and body names each of `pairs` (name, role, ..., NULL) in its role. */
static void expect_body_roles(filter_host *h, const char *headline, const char *body, const char *cat,
                              const char *const *pairs)
{
    proto_alert *al = run_one(h, headline, body, cat);
    for (; pairs[0]; pairs += 2) assert_role(al, pairs[0], pairs[1]);
    proto_alert_destroy(al);
}

#define EXPECT_ROLES(h, head, body, cat, ...) expect_body_roles((h), (head), (body), (cat), (const char *const[]){__VA_ARGS__, NULL})

/* The cat alert on a headline alone names `name` as context, with no topic for `ticker`. */
static void expect_context(filter_host *h, const char *headline, const char *cat, const char *name, const char *ticker)
{
    proto_alert *al = run_one(h, headline, "", cat);
    assert_context(al, name, ticker);
    proto_alert_destroy(al);
}

/* A sentence whose alert of some category names a company (its ticker) only as context. */
struct context_case {
    const char *text, *name, *ticker;
};

static void expect_contexts(filter_host *h, const char *cat, const struct context_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) expect_context(h, c[i].text, cat, c[i].name, c[i].ticker);
}

/* A company named right after a background phrase ("rivals such as X",
 * "former X") stays in entities as mentioned and gets no topic; the deal's
 * parties keep their roles. */
TEST(background_company_is_mentioned)
{
    filter_host *h = builtin_host();
    const char *t[8];
    /* without the phrase the engine takes Nvidia for a party ("beats Nvidia to" is itself one since round 7) ... */
    /* a body's dateline is read past; evidence offsets stay the body's own */
    proto_alert *al = run_one(h, "Deal news", "LONDON (Reuters) - Microsoft agreed to acquire OpenAI for $20 billion.", "invest");
    ASSERT(al != NULL);
    for (size_t i = 0; i < al->n_evidence; i++)
        if (!strcmp(al->evidence[i].field, "body") &&
            strncmp("LONDON (Reuters) - Microsoft agreed to acquire OpenAI for $20 billion." + al->evidence[i].start,
                    al->evidence[i].text, strlen(al->evidence[i].text)) != 0)
            SQ_FAIL_("evidence '%s' at %u", al->evidence[i].text, al->evidence[i].start);
    ASSERT_GT(al->evidence[0].start, 18);
    proto_alert_destroy(al);
    al = run_one(h, "Microsoft teams up with Nvidia to acquire OpenAI for $20 billion", "", "invest");
    ASSERT(al != NULL);
    ASSERT(strcmp(alert_entity(al, "Nvidia Corp.")->role, PROTO_ROLE_MENTIONED) != 0);
    proto_alert_destroy(al);
    /* ... "its rival Nvidia" names it as context: mentioned, no topic */
    al = run_one(h, "Microsoft beats its rival Nvidia to acquire OpenAI for $20 billion", "", "invest");
    ASSERT(al != NULL);
    ASSERT_STR_EQ(alert_entity(al, "Nvidia Corp.")->role, PROTO_ROLE_MENTIONED);
    assert_role(al, "OpenAI", "target");
    size_t n = proto_alert_route_tickers(al, 0, t, 8);
    for (size_t k = 0; k < n; k++) ASSERT(strcmp(t[k], "NVDA") != 0);
    proto_alert_destroy(al);
    /* a list after the phrase is context too, up to the clause's verb */
    al = run_one(h, "Microsoft beats its rivals Nvidia, Shell and Google to acquire OpenAI for $20 billion",
                 "", "invest");
    ASSERT(al != NULL);
    ASSERT(alert_entity(al, "Alphabet Inc.") != NULL);
    ASSERT_STR_EQ(alert_entity(al, "Alphabet Inc.")->role, PROTO_ROLE_MENTIONED);
    ASSERT_STR_EQ(alert_entity(al, "Nvidia Corp.")->role, PROTO_ROLE_MENTIONED);
    assert_role(al, "OpenAI", "target");
    proto_alert_destroy(al);
}

/* A background mark names the company right after it only within its sentence: the
 * target opening the next sentence keeps its role ("... in July. Globex Inc owns"). */
TEST(background_mark_stops_at_sentence_end)
{
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "Initech Corp raises Globex Inc stake to 19.8%",
                              "Initech Corp lifted its holding in Globex Inc to 19.8%. Acme Corp withdrew its offer for "
                              "Globex Inc in July. Globex Inc owns a stake in Hooli Inc.",
                              "invest");
    assert_role(al, "Globex Inc", "target");
    assert_role(al, "Acme Corp", PROTO_ROLE_MENTIONED);
    proto_alert_destroy(al);
}

/* The alert publishes no topic for any of the tickers (NULL-terminated): named as context, or not at all. */
static void assert_no_topics(const proto_alert *al, const char *const *tickers)
{
    const char *t[8];
    ASSERT(al != NULL);
    size_t n = proto_alert_route_tickers(al, 0, t, 8);
    for (size_t i = 0; tickers[i]; i++)
        for (size_t k = 0; k < n; k++)
            if (strcmp(t[k], tickers[i]) == 0) SQ_FAIL_("%s got a topic", tickers[i]);
}
#define NO_TOPICS(al, ...) assert_no_topics((al), (const char *const[]){__VA_ARGS__, NULL})

/* invest (session 13): a deal's adviser, a company bought "after buying X in 2018", spun off earlier
 * ("following the spin-off of X"), half-owned in an aside ("X, in which Y holds a stake") or the
 * target of a failed earlier bid ("failed in 2024 in its attempt to take over X") is context. */
TEST(invest_deal_context_is_background)
{
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "Zorblax Widgets Inc to sell its logistics unit to Microsoft for $1.6bn",
                              "Zorblax Widgets Inc agreed to sell its logistics unit to Microsoft for $1.6bn. The sale "
                              "follows the spin-off of Google. Nvidia advised Zorblax on the sale, and bonds were "
                              "arranged by Amazon.", "invest");
    ASSERT(al != NULL);
    assert_role(al, "Microsoft Corp.", "investor");
    NO_TOPICS(al, "NVDA", "AMZN", "GOOGL");
    proto_alert_destroy(al);
    /* marks: background_slots -- the adviser named before its verb is context, its client after the verb
     * stays a party (invest.background_adviser_named); a would-be buyer told as staying out is context,
     * whatever its aside names (invest.background_stayed_out); so is the buyer of a side sale; the deal's
     * parties stay */
    static const char *const slots_only[][2] = {
        {"Microsoft agrees $85bn takeover of Apple",
         "Microsoft will pay $200 a share. Nvidia and Amazon advised Microsoft, and Alphabet advised Apple."},
        {"Microsoft completes $53bn purchase of Apple",
         "Microsoft closed its purchase of Apple. Nvidia, which has a stake in Apple's chip unit, has not bid. "
         "Amazon and Alphabet had been seen as possible suitors."},
        /* earlier backers told with their date are context, the company they backed stays
         * (invest.background_earlier_backer) */
        {"Microsoft to buy $5bn stake in Apple",
         "Microsoft will buy $5 billion of Apple stock. The investment follows a $2 billion investment from Nvidia. "
         "Amazon invested $1 billion in August, and Alphabet said last month it would invest in the company."},
        /* other deals of a round-up are context ("a flurry of bids, including X's successful offer for Y":
         * invest.background_deal_example) */
        {"Microsoft drops $90bn bid for Apple",
         "Microsoft withdrew its offer for Apple. The sector has been reshaped by a flurry of bids, including "
         "Nvidia's successful offer for Amazon and Alphabet's takeover of Netflix."},
        /* a bidder whose earlier approaches were turned down is context, the company that turned them
         * down stays (invest.background_rebuffed_bidder) */
        {"Microsoft agrees $90bn takeover of Apple",
         "Microsoft will pay $200 a share. The deal comes a year after Apple rebuffed three takeover approaches from "
         "Nvidia. Apple has rejected two approaches from Alphabet in 2024."},
        /* a suitor whose interest is told as past is context, the company it approached stays
         * (invest.background_earlier_suitor) */
        {"Microsoft agrees $90bn takeover of Apple",
         "Microsoft will pay $200 a share. Nvidia had approached Apple about a stake last year. Alphabet, which had "
         "looked at buying Apple, said it remained interested."},
        /* the counterparty of a deal today's bid contests is context (invest.background_displaced_deal) */
        {"Microsoft launches hostile bid for Apple",
         "Microsoft offered $200 a share, days after Apple agreed to sell its music business to Nvidia. Alphabet, "
         "which agreed to buy Apple's studios in December, said it stood by its deal."},
        /* the buyer of the target's side sale is context, the target stays (invest.background_side_sale) */
        {"Microsoft's hostile bid for Apple fails",
         "Microsoft said its offer for Apple lapsed after winning only 26% of the shares. Apple had sold its UK arm to "
         "Nvidia during the fight."},
    };
    for (size_t i = 0; i < sizeof slots_only / sizeof slots_only[0]; i++) {
        al = run_one(h, slots_only[i][0], slots_only[i][1], "invest");
        ASSERT(al != NULL);
        assert_role(al, "Microsoft Corp.", "investor");
        assert_role(al, "Apple Inc.", "target");
        NO_TOPICS(al, "NVDA", "AMZN", "GOOGL");
        proto_alert_destroy(al);
    }
    al = run_one(h, "Zorblax Widgets Inc agrees merger with Quuxon Labs Ltd",
                 "Zorblax Widgets Inc agreed terms for a merger with Quuxon Labs Ltd. Zorblax grew after buying Amazon's "
                 "delivery arm in 2018. Apple, in which OpenAI holds a stake, is not part of the deal. Nvidia "
                 "failed in 2024 in its attempt to take over Google.", "invest");
    assert_context(al, "Amazon.com Inc.", "AMZN");
    NO_TOPICS(al, "AAPL", "NVDA", "GOOGL");
    proto_alert_destroy(al);
    /* the seller a purchase names after "from" is a party; a supplier of goods is not */
    al = run_one(h, "Microsoft buys Zorblax Widgets Inc's server arm from Nvidia for $3bn", "", "invest");
    ASSERT(al != NULL);
    ASSERT(strcmp(alert_entity(al, "Nvidia Corp.")->role, PROTO_ROLE_MENTIONED) != 0);
    proto_alert_destroy(al);
    al = run_one(h, "Microsoft agrees to buy Zorblax Widgets Inc for $3bn",
                 "Microsoft agreed to buy Zorblax Widgets Inc for $3bn. Zorblax has also signed deals to buy chips from Nvidia.",
                 "invest");
    NO_TOPICS(al, "NVDA");
    proto_alert_destroy(al);
    builtin_done(h);
}

/* regulatory (session 14): an oblique headline names the company its body's action calls "the
 * software group"; with no subject near a trigger the one company of the headline is it; with
 * two companies in the headline nobody is picked. */
TEST(regulatory_headline_subject)
{
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "The cancel button that cost Microsoft",
                              "Its subscription has been one of its fastest-growing products. The software group "
                              "will pay $68m to resolve Federal Trade Commission claims that it enrolled customers "
                              "without consent, under a proposed order filed in federal court on Monday.",
                              "regulatory");
    assert_role(al, "Microsoft Corp.", "subject");
    proto_alert_destroy(al);
    al = run_one(h, "The cancel buttons that cost Microsoft and Nvidia",
                 "The software group will pay $68m to resolve Federal Trade Commission claims that it enrolled "
                 "customers without consent, under a proposed order filed in federal court on Monday.",
                 "regulatory");
    ASSERT(al != NULL);
    NO_TOPICS(al, "MSFT", "NVDA");
    proto_alert_destroy(al);
    builtin_done(h);
}

/* regulatory (session 47): a headline naming no company over a lead whose first words name one list of
 * companies makes each of them a subject; two named apart in the lead pick none. */
TEST(regulatory_lead_list_subjects)
{
    filter_host *h = builtin_host();
    const char *head = "Trump Adds Fuel to Claims That Big Tech Discriminates Against Conservatives";
    EXPECT_ROLES(h, head, "The president has told Microsoft and Nvidia to stop cutting conservatives off from their platforms.",
                 "regulatory", "Microsoft Corp.", "subject", "Nvidia Corp.", "subject");
    proto_alert *al = run_one(h, head, "Microsoft said it serves every customer, while the president criticised Nvidia again.",
                              "regulatory");
    if (al) NO_TOPICS(al, "MSFT", "NVDA");
    proto_alert_destroy(al);
    builtin_done(h);
}

/* invest (session 26): the same oblique headline over a deal whose body calls the company bought
 * "the South Korean developer" names the target; the investor the body names is not its own target,
 * a feed's cashtag prefix names no target, and with two such companies nobody is picked. */
TEST(invest_headline_subject)
{
    filter_host *h = builtin_host();
    const char *body = "Its largest outside shareholder appears convinced. Microsoft lifted its holding in the South "
                       "Korean developer to 16.5 per cent from 13.7 per cent through a series of purchases, a "
                       "regulatory filing showed on Monday.";
    proto_alert *al = run_one(h, "What Microsoft sees in Zentro's next decade", body, "invest");
    assert_role(al, "Zentro Group Holdings", "target");
    assert_role(al, "Microsoft Corp.", "investor");
    proto_alert_destroy(al);
    al = run_one(h, "What Microsoft sees in the next decade of Zentro and Nvidia", body, "invest");
    ASSERT(al != NULL);
    NO_TOPICS(al, "ZNTG", "NVDA");
    proto_alert_destroy(al);
    builtin_done(h);
}

/* invest (session 47): two companies named before their merger talks are both merged, though the body
 * tells the takeover rules that bar one from bidding for the other (invest.party_merger_talks) */
TEST(invest_merger_talks_pair)
{
    EXPECT_ROLES(builtin_host(), "Microsoft and Apple end talks on mega-merger",
                 "Microsoft and Apple have ended preliminary talks about combining their businesses, the two companies "
                 "said. Under UK takeover rules, Microsoft is now barred from making an offer for Apple for six months "
                 "unless Apple's board agrees.",
                 "invest", "Microsoft Corp.", "target", "Apple Inc.", "target");
    builtin_done(shared);
}

/* invest (session 48): co-investors told after "led a $X round, joined by" are investors; the backers an
 * "earlier backers include" names are context (invest.party_* and invest.background_earlier_round) */
TEST(invest_joined_by_and_earlier_backers)
{
    EXPECT_ROLES(builtin_host(), "OpenAI now valued at $300bn",
                 "Microsoft led a $40bn round, joined by Amazon and Alphabet. Earlier backers include Nvidia.",
                 "invest", "Microsoft Corp.", "investor", "Amazon.com Inc.", "investor", "Alphabet Inc.", "investor",
                 "Nvidia Corp.", "mentioned");
    builtin_done(shared);
}

/* invest (session 47): a stock site's teaser ("... in This Small AI Company") keeps the company bought for
 * the body's first words, which name it without a deal word near; the headline's investor is no target. */
TEST(invest_teaser_target)
{
    filter_host *h = builtin_host();
    const char *body = "Zentro Group is bringing up infrastructure for the artificial intelligence market.";
    EXPECT_ROLES(h, "Nvidia Just Invested in This Small Artificial Intelligence Company -- Should You Be Next?", body,
                 "invest", "Nvidia Corp.", "investor", "Zentro Group Holdings", "target");
    proto_alert *al = run_one(h, "Nvidia Just Invested in a Small Artificial Intelligence Company", body, "invest");
    ASSERT(al != NULL);
    NO_TOPICS(al, "ZNTG");
    proto_alert_destroy(al);
    builtin_done(h);
}

/* regulatory (session 32): the companies a measure's own clause obliges, or a duty rate told per company, are
 * the act's subjects though no trigger stands beside them (reg.measure_names_company, reg.company_rate). */
TEST(regulatory_measure_clause_subjects)
{
    filter_host *h = builtin_host();
    const char *cases[][2] = {
        {"Senate passes bill on chip exports",
         "The measure would require Nvidia, Microsoft and other suppliers to build tracking into chips sold abroad."},
        {"Ministry sets final duties on imported servers",
         "The rates are 17% for Nvidia and 18.8% for Microsoft, the ministry said."},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        proto_alert *al = run_one(h, cases[c][0], cases[c][1], "regulatory");
        assert_role(al, "Nvidia Corp.", "subject");
        assert_role(al, "Microsoft Corp.", "subject");
        proto_alert_destroy(al);
    }
    builtin_done(h);
}

/* regulatory (session 32): a headline naming no company ("Beijing bars key operators from buying US memory
 * chips") takes the one company its lead names up front as the subject; a name late in the lead, or two
 * names apart, pick none; the companies of one list are subjects together (session 47). */
TEST(regulatory_lead_subject)
{
    filter_host *h = builtin_host();
    const char *head = "Beijing bars key operators from buying US memory chips";
    proto_alert *al = run_one(h, head, "Nvidia products failed a network security review, the notice said.", "regulatory");
    assert_role(al, "Nvidia Corp.", "subject");
    proto_alert_destroy(al);
    al = run_one(h, head, "The notice was published late on Sunday on the website of the Cyberspace Administration "
                          "of China, and it named Nvidia.", "regulatory");
    ASSERT(al != NULL);
    NO_TOPICS(al, "NVDA");
    proto_alert_destroy(al);
    al = run_one(h, head, "Nvidia products failed a review that Microsoft passed, the notice said.", "regulatory");
    ASSERT(al != NULL);
    NO_TOPICS(al, "NVDA", "MSFT");
    proto_alert_destroy(al);
    /* one list names its companies together (session 47) */
    EXPECT_ROLES(h, head, "Nvidia and Microsoft products failed a network security review, the notice said.",
                 "regulatory", "Nvidia Corp.", "subject", "Microsoft Corp.", "subject");
    builtin_done(h);
}

/* regulatory (session 13): companies fined before, named for comparison, and a market leader's
 * rival ("far ahead of X", "competition from X") are context, not the action's subjects. */
TEST(regulatory_comparison_is_background)
{
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "FTC fines Zorblax Widgets Inc $42m over data failings",
                              "The Federal Trade Commission fined Zorblax Widgets Inc $42m on Wednesday. Amazon and "
                              "Microsoft have paid larger fines in recent years. Zorblax handles 60 percent of the "
                              "market, far ahead of Apple, and faces competition from Google.", "regulatory");
    assert_role(al, "Zorblax Widgets Inc", "subject");
    NO_TOPICS(al, "AMZN", "MSFT", "AAPL", "GOOGL");
    proto_alert_destroy(al);
    builtin_done(h);
}

/* invest: a competitor named as the aim of the deal ("in a bid to rival X", "a rival to X", "that
 * rivals X") or the bidder a deal is taken from ("swipe Foo from X") is context; the object inside
 * the phrase ("swipe Foo from") keeps its role. */
TEST(invest_rival_aim_is_background)
{
    filter_host *h = builtin_host();
    expect_context(h, "OpenAI agrees to buy Zorblax Widgets Inc for $2bn in a bid to rival Microsoft", "invest",
                   "Microsoft Corp.", "MSFT");
    expect_context(h, "Zorblax Widgets Inc raises $300mn to build a rival to Nvidia", "invest", "Nvidia Corp.", "NVDA");
    proto_alert *al = run_one(h, "Amazon tries to swipe OpenAI from Microsoft with a $40bn takeover", "", "invest");
    assert_context(al, "Microsoft Corp.", "MSFT");
    ASSERT(strcmp(alert_entity(al, "OpenAI")->role, PROTO_ROLE_MENTIONED) != 0);
    proto_alert_destroy(al);
    /* the race a deal is part of names a competitor */
    al = run_one(h, "Microsoft invests $1bn in Zorblax Widgets Inc as its AI race with Google heats up", "", "invest");
    assert_context(al, "Alphabet Inc.", "GOOGL");
    assert_role(al, "Microsoft Corp.", "investor");
    proto_alert_destroy(al);
    /* an earlier deal the writer cites for comparison names context, not this deal's parties */
    al = run_one(h, "Zorblax Widgets Inc to acquire Quuxon Labs Ltd for $1bn",
                 "Zorblax Widgets Inc agreed to acquire Quuxon Labs Ltd for $1bn. The deal follows Microsoft's "
                 "purchase of Nvidia's networking arm, and is the largest since Google's takeover of Shell.", "invest");
    assert_context(al, "Microsoft Corp.", "MSFT");
    assert_context(al, "Alphabet Inc.", "GOOGL");
    proto_alert_destroy(al);
    /* two earlier deals joined by "and" after "following", and a stake the buyer already holds */
    al = run_one(h, "Zorblax Widgets Inc to acquire Quuxon Labs Ltd for $1bn",
                 "Zorblax Widgets Inc agreed to acquire Quuxon Labs Ltd for $1bn. The deal is the latest in a wave, "
                 "following Microsoft's agreement to buy Nvidia and Google's purchase of Shell. Zorblax Widgets Inc, "
                 "best known for its stake in OpenAI, holds a large stake in Quillon AG.", "invest");
    assert_context(al, "Microsoft Corp.", "MSFT");
    assert_context(al, "Nvidia Corp.", "NVDA");
    assert_context(al, "Alphabet Inc.", "GOOGL");
    ASSERT(strcmp(alert_entity(al, "Quuxon Labs Ltd")->role, PROTO_ROLE_MENTIONED) != 0);
    proto_alert_destroy(al);
    /* "the next X" names a model to follow, not a party */
    al = run_one(h, "Zorblax Widgets Inc raises $200mn from Sequoia Capital",
                 "Zorblax Widgets Inc raised $200mn from Sequoia Capital, as investors hunt for the next Nvidia.", "invest");
    assert_context(al, "Nvidia Corp.", "NVDA");
    proto_alert_destroy(al);
    /* "X's deal to acquire Y in 2019" is an earlier deal: its buyer is context */
    al = run_one(h, "Zorblax Widgets Inc to sell its spectrum to Microsoft for $23bn",
                 "Zorblax Widgets Inc agreed to sell its spectrum to Microsoft for $23bn. As part of Nvidia's deal to "
                 "acquire a chip designer in 2019, regulators asked for remedies.", "invest");
    assert_context(al, "Nvidia Corp.", "NVDA");
    ASSERT(strcmp(alert_entity(al, "Microsoft Corp.")->role, PROTO_ROLE_MENTIONED) != 0);
    proto_alert_destroy(al);
    /* customers a start-up sells its tools to are no investors in its round */
    al = run_one(h, "Zorblax Widgets Inc raises $80mn from Sequoia Capital",
                 "Zorblax Widgets Inc raised $80mn from Sequoia Capital. It sells its tools to Amazon, Google and Microsoft.",
                 "invest");
    const char *t[8];
    ASSERT(al != NULL);
    size_t n = proto_alert_route_tickers(al, 0, t, 8);
    for (size_t k = 0; k < n; k++)
        ASSERT(strcmp(t[k], "AMZN") != 0 && strcmp(t[k], "GOOGL") != 0 && strcmp(t[k], "MSFT") != 0);
    proto_alert_destroy(al);
    builtin_done(h);
}

/* chips: a feed's list of tagged companies after the headline ("- Apple ( NASDAQ:AAPL )"), or a company one "aims to rival",
 * names a company the story may only touch: named only there, it is mentioned, no topic. */
TEST(chips_ticker_list_is_background)
{
    filter_host *h = builtin_host();
    const char *t[8];
    proto_alert *al = run_one(h, "Microsoft to buy 50,000 Nvidia GPUs for its new data centre - Apple ( NASDAQ:AAPL )",
                              "Microsoft said it will buy the Nvidia GPUs for a data centre in Texas.", "chips");
    ASSERT(al != NULL);
    ASSERT_STR_EQ(alert_entity(al, "Apple Inc.")->role, PROTO_ROLE_MENTIONED);
    ASSERT(strcmp(alert_entity(al, "Microsoft Corp.")->role, PROTO_ROLE_MENTIONED) != 0);
    size_t n = proto_alert_route_tickers(al, 0, t, 8);
    for (size_t k = 0; k < n; k++) ASSERT(strcmp(t[k], "AAPL") != 0);
    proto_alert_destroy(al);
    /* the headline's subject tagged where the headline opens ("Apple (NASDAQ:AAPL) Jumps On ...") is no list item: it keeps its role */
    al = run_one(h, "Apple (NASDAQ:AAPL) Jumps On $2 Billion Microsoft GPU Server Deal - Microsoft (NASDAQ:MSFT), Apple (NASDAQ:AAPL)",
                 "Apple Inc. AAPL shares rose after Microsoft Corp. MSFT agreed to buy $2 billion of its GPU servers.", "chips");
    ASSERT(al != NULL);
    ASSERT_STR_EQ(alert_entity(al, "Apple Inc.")->role, "supplier");
    ASSERT_STR_EQ(alert_entity(al, "Microsoft Corp.")->role, "customer");
    proto_alert_destroy(al);
    /* "to rival X" names a competitor, not a party */
    al = run_one(h, "OpenAI agrees to buy 50,000 Nvidia GPUs for its data centres in a bid to rival Microsoft", "",
                 "chips");
    ASSERT(al != NULL);
    ASSERT_STR_EQ(alert_entity(al, "Microsoft Corp.")->role, PROTO_ROLE_MENTIONED);
    ASSERT(strcmp(alert_entity(al, "Nvidia Corp.")->role, PROTO_ROLE_MENTIONED) != 0);
    proto_alert_destroy(al);
    builtin_done(h);
}

/* Routing on a news feed's tagged headlines: a company the headline names and the tag list
 * repeats ("... - Microsoft ( NASDAQ:MSFT )") keeps its role (the tag is one naming with the name
 * before it); one named only in the list is context, in invest as in chips. */
TEST(routing_feed_tags)
{
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "Nvidia to supply AI chips to Microsoft for its data centres - NVIDIA ( NASDAQ:NVDA ) , "
                                 "Microsoft ( NASDAQ:MSFT )",
                              "Microsoft will buy Nvidia chips for its data centres, the company said.", "chips");
    ASSERT(al != NULL);
    ASSERT(alert_entity(al, "Microsoft Corp.") != NULL);
    ASSERT(strcmp(alert_entity(al, "Microsoft Corp.")->role, PROTO_ROLE_MENTIONED) != 0);
    proto_alert_destroy(al);
    al = run_one(h, "Acme Robotics raises $50mn from Nvidia - Apple ( NASDAQ:AAPL )",
                 "Acme Robotics raised $50mn in a round led by Nvidia.", "invest");
    assert_context(al, "Apple Inc.", "AAPL");
    proto_alert_destroy(al);
    builtin_done(h);
}

/* The alert sends a topic for `ticker`. */
static int routes(const proto_alert *al, const char *ticker)
{
    const char *t[8];
    size_t n = al ? proto_alert_route_tickers(al, 0, t, 8) : 0;
    for (size_t k = 0; k < n; k++)
        if (strcmp(t[k], ticker) == 0) return 1;
    return 0;
}

/* invest headline_party: the buyer opening the headline (or named in it on the buyer's side by a rule
 * of weight 1 or more) stays the investor where the body retells its
 * own earlier deal, whose bought company the gazetteer maps to it (Activision Blizzard is Microsoft's):
 * two of its four mentions context had made it mentioned. A rival's earlier deal stays context, and so
 * does a headline company named as a person's former employer. */
TEST(invest_headline_party_keeps_its_history)
{
    static const struct {
        const char *headline, *body, *ticker;
        int routed;
    } cases[] = {
        {"Microsoft to buy games start-up Pixelmoor",
         "Microsoft agreed to buy Pixelmoor for an undisclosed sum. Microsoft bought Activision Blizzard in 2023.", "MSFT", 1},
        {"Apple buys games start-up Pixelmoor",
         "Apple agreed to buy Pixelmoor for $400m. Microsoft, which bought Activision Blizzard in 2023, remains its rival.",
         "MSFT", 0},
        {"Apple design veteran's start-up bought by OpenAI",
         "OpenAI agreed to acquire io, the start-up of former Apple designer Jony Ive. Ive worked at Apple.", "AAPL", 0},
        /* the buyer a headline trigger names anywhere in it (passive agent, "sale to") keeps it too */
        {"Pixelmoor agrees to be bought by Microsoft for $4bn",
         "Pixelmoor agreed to be acquired for $4bn. Microsoft bought Activision Blizzard in 2023.", "MSFT", 1},
        {"Pixelmoor agrees $4bn sale to Microsoft", "Microsoft bought Activision Blizzard in 2023.", "MSFT", 1},
        /* a past backer told in a light aside is no party ("once backed by") */
        {"Apple pays $1bn for Pixelmoor, a games studio once backed by Microsoft",
         "Apple will acquire Pixelmoor. Its early investors included Microsoft.", "MSFT", 0},
    };
    filter_host *h = builtin_host();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proto_alert *al = run_one(h, cases[i].headline, cases[i].body, "invest");
        ASSERT(al != NULL);
        if (routes(al, cases[i].ticker) != cases[i].routed)
            fprintf(stderr, "   %s routed %d on \"%s\"\n", cases[i].ticker, !cases[i].routed, cases[i].headline);
        ASSERT_EQ(routes(al, cases[i].ticker), cases[i].routed);
        proto_alert_destroy(al);
    }
    builtin_done(h);
}

/* invest routing: a context name casts no role vote (the deal's vote goes on to the next name), and
 * names in another clause, an aside about the subject or a dated earlier round are no parties. */
TEST(routing_context_names_and_clauses)
{
    filter_host *h = builtin_host();
    struct {
        const char *headline, *body, *routed, *not_routed;
    } c[] = {
        /* "its rival Nvidia" is context: the buyer before it takes the vote */
        {"Microsoft beats its rival Nvidia to acquire OpenAI for $20 billion", "", "MSFT", "NVDA"},
        /* past a clause break after the trigger */
        {"Microsoft buys robotics start-up Acme Robotics", "Microsoft bought a robotics start-up, days after Nvidia poached its chief.",
         "MSFT", "NVDA"},
        /* an aside about the subject: an earlier backer */
        {"Acme Robotics raises $300mn", "Acme Robotics, which counts Nvidia among its early backers, raised $300mn from Microsoft.",
         "MSFT", "NVDA"},
        /* the bidder a rival bid tops */
        {"Alphabet tops Microsoft with $30bn bid for OpenAI", "", "GOOGL", "MSFT"},
        /* a dated earlier round's lead backer */
        {"OpenAI raises $2bn in round led by Microsoft", "Rival Acme raised $1bn in a May 2024 Series C led by Nvidia.", "MSFT", "NVDA"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        proto_alert *al = run_one(h, c[i].headline, c[i].body, "invest");
        if (!al) SQ_FAIL_("no invest alert for \"%s\"", c[i].headline);
        if (c[i].routed && !routes(al, c[i].routed)) SQ_FAIL_("%s not routed for \"%s\"", c[i].routed, c[i].headline);
        if (routes(al, c[i].not_routed)) SQ_FAIL_("%s routed for \"%s\"", c[i].not_routed, c[i].headline);
        proto_alert_destroy(al);
    }
    builtin_done(h);
}

/* regulatory: the maker of the goods someone is charged with smuggling is context; a curb on the
 * maker's own exports names it as the subject. */
TEST(regulatory_goods_maker_is_context)
{
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "Two traders charged with smuggling $2bn of Nvidia GPUs to China", "", "regulatory");
    assert_context(al, "Nvidia Corp.", "NVDA");
    proto_alert_destroy(al);
    al = run_one(h, "US to halt Nvidia AI chip exports to China, officials say", "", "regulatory");
    ASSERT(al != NULL);
    ASSERT(alert_entity(al, "Nvidia Corp.") != NULL);
    assert_role(al, "Nvidia Corp.", "subject");
    proto_alert_destroy(al);
}

/* regulatory (session 31): the employers a work-visa fee hits, named as the programme's users, sponsors
 * or telling their visa staff what to do, are its subjects (GUIDE Parties); a company named in the
 * same article for something else is not. */
TEST(regulatory_visa_employers_are_subjects)
{
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "White House adds $50,000 fee to skilled-worker visas",
                              "The fee applies to new petitions from next month. Microsoft and Nvidia, two of the biggest sponsors, "
                              "said they were reviewing the rule. Separately, Apple Inc. opened a store in Mumbai.", "regulatory");
    ASSERT(al != NULL);
    ASSERT(routes(al, "MSFT"));
    ASSERT(routes(al, "NVDA"));
    ASSERT(!routes(al, "AAPL"));
    proto_alert_destroy(al);
    builtin_done(h);
}

/* A company named as a person's title, where the person puts in or takes the money, is context
 * (GUIDE Parties: a person is `-`); a company speaking through its chief keeps its role. */
TEST(person_title_is_context)
{
    filter_host *h = builtin_host();
    expect_context(h, "Nvidia founder Jensen Huang backs robotics start-up Figure in $500 million round", "invest",
                   "Nvidia Corp.", "NVDA");
    expect_context(h, "Toto Wolff agrees to sell Mercedes F1 stake to Microsoft chief Satya Nadella", "invest",
                   "Microsoft Corp.", "MSFT");
    expect_role(h, "Amazon chief Andy Jassy says company will invest $4 billion in Anthropic", "invest", "Amazon.com Inc.",
                "investor");
    builtin_done(h);
}

/* Who approaches whom comes from the pattern: the one approached is the target, the one
 * approaching the investor, although a slotless "takeover" follows the target's name. */
/* Founders' former employers are context, each name of their list too ("former engineers at
 * Alphabet and OpenAI"): no topic. */
TEST(former_employers_in_a_list)
{
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "Zentro raises $500mn for self-teaching AI",
                              "Group founded by former engineers at Alphabet and OpenAI secures $4bn valuation in deal with Nvidia.",
                              "invest");
    ASSERT(al != NULL);
    assert_context(al, "Alphabet Inc.", "GOOGL");
    assert_role(al, "OpenAI", PROTO_ROLE_MENTIONED);
    proto_alert_destroy(al);
    builtin_done(h);
}

/* One role check: the cat alert on a headline alone names `name` in `role`. */
struct role_case {
    const char *headline, *cat, *name, *role;
};

static void expect_roles(const struct role_case *c, size_t n)
{
    filter_host *h = builtin_host();
    for (size_t i = 0; i < n; i++) expect_role(h, c[i].headline, c[i].cat, c[i].name, c[i].role);
    builtin_done(h);
}

/* A stock site's leading cashtag run tags related tickers: a tag the text never names, beside one it
 * names, is context (detect.c run_tag_aside); a run none of whose tags the text names keeps them. */
TEST(cashtag_run_tags_are_context)
{
    static const char *const a = "$NVDA $AMZN $AAPL - FTC sues Nvidia over its chip sales",
                      *const b = "$AMZN - Top bidder to buy Shell for $5bn";
    filter_host *h = builtin_host();
    expect_role(h, a, "regulatory", "Nvidia Corp.", "subject");
    expect_context(h, a, "regulatory", "Amazon.com Inc.", "AMZN");
    expect_context(h, a, "regulatory", "Apple Inc.", "AAPL");
    proto_alert *al = run_one(h, b, "", "invest");
    ASSERT(al != NULL && alert_entity(al, "Amazon.com Inc.") != NULL);
    ASSERT(strcmp(alert_entity(al, "Amazon.com Inc.")->role, PROTO_ROLE_MENTIONED) != 0);
    proto_alert_destroy(al);
    builtin_done(h);
}

TEST(pattern_roles_outrank_proximity)
{
    static const char *const a = "Microsoft approaches Nvidia about takeover, people familiar say",
                      /* invest.offer's slot follows its words ("offer for {COMPANY:target}"), so the
                       * company before "hostile offer" is the bidder, not the target (slot_lead) */
                      *const b = "Apple to rebuff $108bn Microsoft hostile offer",
                      /* "Y announces a strategic investment from X": X invests (invest.head_invests) */
                      *const d = "Shell Announces $115 Million Strategic Equity Investment From Microsoft",
                      /* the lead before "at $3bn valuation" is no target (invest.head_round_valuation) */
                      *const e = "Shell raises $300mn led by Nvidia at $3bn valuation",
                      /* nor the backer a headline's landed sum comes from (invest.party_land_from) */
                      *const f = "Shell lands $500mn from Nvidia and Inovia at $6.8bn valuation",
                      /* the company GPUs are deployed for is the customer (chips.party_deploy_for) */
                      *const g = "Amazon signs deal to deploy 200,000 Nvidia GPUs for OpenAI";
    static const struct role_case c[] = {{a, "invest", "Microsoft Corp.", "investor"},
                                         {a, "invest", "Nvidia Corp.", "target"},
                                         {b, "invest", "Microsoft Corp.", "investor"},
                                         {b, "invest", "Apple Inc.", "target"},
                                         {d, "invest", "Shell plc", "target"},
                                         {d, "invest", "Microsoft Corp.", "investor"},
                                         {e, "invest", "Shell plc", "target"},
                                         {e, "invest", "Nvidia Corp.", "investor"},
                                         {f, "invest", "Shell plc", "target"},
                                         {f, "invest", "Nvidia Corp.", "investor"},
                                         {g, "chips", "Amazon.com Inc.", "supplier"},
                                         {g, "chips", "OpenAI", "customer"}};
    expect_roles(c, sizeof c / sizeof c[0]);
}

/* A target (or its board) answering a named bidder ("rejects sweetened Microsoft proposal": the modifier is no verb
 * of the bidder's), a bidder walking away from "<name> takeover" (a bare name before the noun fills
 * no bidder's slot), one entering the race for a company, a company selling itself, and one whose
 * shares move on a report that "it" may be bought (invest.party_report_it_bought: not a buyer). */
TEST(invest_bid_answers_and_races)
{
    static const char *const a = "Shell rejects sweetened Microsoft proposal",
                      *const b = "Nvidia walks away from Apple takeover", *const c2 = "Amazon enters race for Shell",
                      *const d = "Shell puts itself up for sale", *const e = "Nvidia soars on report it could be acquired",
                      *const f = "Shell shares jump on report it may get bought",
                      /* a target's board replying to a bidder's offer: the bidder is before "bid" (invest.head_offer_move) */
                      *const g = "Shell board accepts Nvidia bid for its network";
    static const struct role_case c[] = {{a, "invest", "Microsoft Corp.", "investor"},
                                         {a, "invest", "Shell plc", "target"},
                                         {g, "invest", "Nvidia Corp.", "investor"},
                                         {g, "invest", "Shell plc", "target"},
                                         {b, "invest", "Nvidia Corp.", "investor"},
                                         {b, "invest", "Apple Inc.", "target"},
                                         {c2, "invest", "Amazon.com Inc.", "investor"},
                                         {c2, "invest", "Shell plc", "target"},
                                         {d, "invest", "Shell plc", "target"},
                                         {e, "invest", "Nvidia Corp.", "target"},
                                         {f, "invest", "Shell plc", "target"}};
    expect_roles(c, sizeof c / sizeof c[0]);
}

/* A goods word inside a company's name lifts only the goods reading of that name ("buys Marrow Oil
 * stake" is a stake bought), not another veto over it: a fund trimming a "Kestrel Devices stake" is
 * a routine trade (GUIDE), however the name ends. */
TEST(unveto_inside_a_name)
{
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "Warren Buffett trims Kestrel Devices stake again", "", "invest");
    ASSERT(al == NULL);
    al = run_one(h, "Microsoft buys Marrow Oil stake", "", "invest");
    assert_role(al, "Marrow Oil Corp.", "target");
    proto_alert_destroy(al);
    builtin_done(h);
}

/* GUIDE's third invest party: the seller of a business or stake (invest's further role, on the
 * target's side); a bid "from" a company names the bidder, and the one weighing it is bid for; the
 * possessive before "<company> stake" is the holder. */
/* A regulatory action's body often recalls another company's case (dated in an earlier year, "fined
 * for similar failures in earlier years") or the company that complained: those are context. */
TEST(regulatory_earlier_cases_are_context)
{
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "France fines Google EUR325m over Gmail ads",
                              "The data protection authority fined Google for showing adverts in Gmail. In 2024 the authority "
                              "fined Amazon EUR32m over warehouse surveillance. The case grew out of a complaint by Spotify. "
                              "S&P Global and Fitch were fined for similar failures in earlier years.",
                              "regulatory");
    assert_role(al, "Alphabet Inc.", "subject");
    /* the dated case's clause raises nothing at all (reg.veto_dated_clause): Amazon is context where the
     * alert lists it, and never a topic */
    if (alert_entity(al, "Amazon.com Inc.")) assert_context(al, "Amazon.com Inc.", "AMZN");
    NO_TOPICS(al, "AMZN", "SPOT", "SPGI", "FICO");
    proto_alert_destroy(al);
}

/* Companies named as context get no topic, whatever votes they draw elsewhere:
 * - invest: a company told as already holding its stake ("remains OpenAI's primary partner and
 *   investor", "has a multibillion-dollar investment in") is context (invest.background_holder), and
 *   the company it holds is not marked; where the first name after a trigger is context ("capital
 *   from a direct cloud competitor to Microsoft") the route names nobody past it (detect.c trigger_votes);
 * - chips (party_in_lead): a company the lead names only as context ("challenge Microsoft's lead") is
 *   not named up front as a party, so votes far down the body give it no topic (accept_mentions). */
TEST(context_names_get_no_topic)
{
    static const char *const talks = "Amazon is in talks to invest $10bn in OpenAI. Microsoft remains OpenAI's primary "
                                     "partner and investor. Apple has a multibillion-dollar investment in OpenAI.",
                      *const lead = "Amazon will supply OpenAI with cloud computing under a $10bn deal, which could "
                                    "challenge Microsoft's lead. The agreement runs for seven years and covers data "
                                    "centres in three states, people familiar with the terms said. Analysts expect the "
                                    "capacity to come online in stages from next year as new buildings are finished "
                                    "and power is connected. Both companies declined to comment on the price per unit. "
                                    "Microsoft will also supply chips to OpenAI. Microsoft said they ship in May.";
    static const struct {
        const char *headline, *body, *cat, *party, *role, *ctx, *ticker;
    } c[] = {
        {"Amazon in talks to invest $10bn in OpenAI", talks, "invest", "OpenAI", "target", "Microsoft Corp.", "MSFT"},
        {"Amazon in talks to invest $10bn in OpenAI", talks, "invest", "Amazon.com Inc.", "investor", "Apple Inc.", "AAPL"},
        {"Amazon to supply OpenAI with cloud computing in $10bn deal", lead, "chips", "Amazon.com Inc.", "supplier",
         "Microsoft Corp.", "MSFT"},
        /* a holder in an aside that goes on with its share move, or that also holds a stake
         * (invest.background_holder_aside) */
        {"Amazon to buy 10% of OpenAI for $5bn", "Amazon will buy 10% of OpenAI for $5bn. Microsoft, which owns a "
         "stake in OpenAI, was little changed.", "invest", "Amazon.com Inc.", "investor", "Microsoft Corp.", "MSFT"},
        {"Amazon lifts OpenAI investment to $8bn", "Amazon will buy more OpenAI shares. Apple, OpenAI's largest "
         "customer, also holds a stake.", "invest", "Amazon.com Inc.", "investor", "Apple Inc.", "AAPL"},
    };
    filter_host *h = builtin_host();
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        proto_alert *al = run_one(h, c[i].headline, c[i].body, c[i].cat);
        assert_role(al, c[i].party, c[i].role);
        assert_context(al, c[i].ctx, c[i].ticker);
        proto_alert_destroy(al);
    }
    proto_alert *al = run_one(h, "Zorblax Widgets Inc raises $2bn",
                              "Zorblax Widgets Inc raised $2bn. Taking capital from a direct cloud competitor to "
                              "Microsoft changes the dynamics for Nvidia.", "invest");
    ASSERT(al != NULL);
    NO_TOPICS(al, "MSFT", "NVDA");
    proto_alert_destroy(al);
    builtin_done(h);
}

TEST(invest_party_roles)
{
    static const char *const arm = "Apple buys chemicals arm from Shell for $1bn",
                      *const sale = "Microsoft weighs $5bn sale of Zentro to Apple",
                      *const bid = "Amazon considers takeover bid from Microsoft",
                      *const buy = "Apple acquires OpenAI for $3bn", /* a buyer is no seller */
                      *const held = "Microsoft's $5bn Nvidia stake turns bad finance into good money";
    static const struct role_case c[] = {
        {"Shell to sell stake in Zentro for $2bn", "invest", "Shell plc", "seller"},
        {"Microsoft explores sale of its gaming unit", "invest", "Microsoft Corp.", "seller"},
        {"Shell's Nigerian onshore sale stalls", "invest", "Shell plc", "seller"}, /* invest.party_possessive_sale */
        {arm, "invest", "Apple Inc.", "investor"},
        {arm, "invest", "Shell plc", "seller"},
        {sale, "invest", "Microsoft Corp.", "seller"},
        {sale, "invest", "Apple Inc.", "investor"},
        {bid, "invest", "Amazon.com Inc.", "target"},
        {bid, "invest", "Microsoft Corp.", "investor"},
        {"Shell's private equity buyers agree $40bn takeover", "invest", "Shell plc", "target"},
        {buy, "invest", "OpenAI", "target"},
        {buy, "invest", "Apple Inc.", "investor"},
        {held, "invest", "Microsoft Corp.", "investor"},
        /* a company does not buy itself: the gazetteer maps since-acquired Activision Blizzard to its
         * buyer (one_side) */
        {"Microsoft agrees to buy Activision Blizzard for $69bn", "invest", "Microsoft Corp.", "investor"},
        /* ... nor when the alias follows a deal noun whose slot holds it and the buyer is the name before
         * (self_before): "wraps up takeover of", "closes ... deal" */
        {"Microsoft wraps up $69bn takeover of Activision Blizzard", "invest", "Microsoft Corp.", "investor"},
        {"Microsoft closes Activision Blizzard deal after long review", "invest", "Microsoft Corp.", "investor"},
        /* the owner of the business that changes hands is the seller (owner_side) */
        {"Apple completes $2bn purchase of Microsoft's automotive chip unit", "invest", "Microsoft Corp.", "seller"},
        {"Apple completes $2bn purchase of Microsoft's automotive chip unit", "invest", "Apple Inc.", "investor"},
        /* both companies of a merger are targets; joint-venture partners invest in it (GUIDE) */
        {"Apple and Shell agree to merge in $90bn deal", "invest", "Apple Inc.", "target"},
        {"Apple and Shell agree to merge in $90bn deal", "invest", "Shell plc", "target"},
        {"Apple and Shell form joint venture to make batteries", "invest", "Apple Inc.", "investor"},
        {"Apple and Shell form joint venture to make batteries", "invest", "Shell plc", "investor"},
        /* a name glued to "-led" leads the round (led_side) */
        {"Zentro raises $2bn in Microsoft-led round", "invest", "Microsoft Corp.", "investor"},
        /* two names glued by a hyphen before a bid noun bid together (pair_bid) */
        {"Zentro weighs Microsoft-Apple takeover offer", "invest", "Microsoft Corp.", "investor"},
        {"Zentro weighs Microsoft-Apple takeover offer", "invest", "Apple Inc.", "investor"},
        {"Microsoft-Apple bid for Zentro gathers pace", "invest", "Apple Inc.", "investor"},
        {held, "invest", "Nvidia Corp.", "target"},
        /* a wire headline's stake trim or sale names the holder the seller, a raise the investor, and the
         * company held the target (invest.head_holding_move) */
        {"Microsoft trims Nvidia <NVDA> stake", "invest", "Microsoft Corp.", "seller"},
        {"Microsoft trims Nvidia <NVDA> stake", "invest", "Nvidia Corp.", "target"},
        {"Microsoft raises Nvidia <NVDA> stake", "invest", "Microsoft Corp.", "investor"},
        {"Microsoft sold all 10 mln of its Nvidia shares", "invest", "Microsoft Corp.", "seller"},
        /* the company paid for a unit is its seller (invest.head_unit_deal) */
        {"Shell to receive 588 mln dlrs for chemicals unit", "invest", "Shell plc", "seller"},
        /* the company whose stake is sold is the one held (invest.party_stake_sold) */
        {"Microsoft sells entire Nvidia stake for $5.8bn", "invest", "Microsoft Corp.", "seller"},
        {"Microsoft sells entire Nvidia stake for $5.8bn", "invest", "Nvidia Corp.", "target"},
        /* companies among the bidders are bidders (invest.party_among_bidders) */
        {"Microsoft and Apple among bidders for Zentro's multibillion fibre network", "invest", "Microsoft Corp.", "investor"},
        {"Microsoft and Apple among bidders for Zentro's multibillion fibre network", "invest", "Apple Inc.", "investor"},
        /* taking a company private, completing its acquisition, circling it: the first is the buyer
         * (invest.party_take_private, invest.party_seals_purchase, invest.circles) */
        {"Microsoft to take Shell private", "invest", "Microsoft Corp.", "investor"},
        {"Microsoft to take Shell private", "invest", "Shell plc", "target"},
        /* the noun take-private: its buyer before it or after "by" (invest.party_take_private_noun) */
        {"Microsoft agrees $6bn take-private of Shell", "invest", "Microsoft Corp.", "investor"},
        {"Microsoft agrees $6bn take-private of Shell", "invest", "Shell plc", "target"},
        {"Shell agrees $6bn take-private by Microsoft and Apple", "invest", "Apple Inc.", "investor"},
        {"Shell agrees $6bn take-private by Microsoft and Apple", "invest", "Shell plc", "target"},
        {"Apple completes $5bn Shell acquisition", "invest", "Apple Inc.", "investor"},
        {"Apple completes $5bn Shell acquisition", "invest", "Shell plc", "target"},
        /* agreeing a priced deal for a company or leading its funding names the buyer (invest.party_seals_purchase) */
        {"Apple agrees $10bn deal for Shell", "invest", "Apple Inc.", "investor"},
        {"Apple agrees $10bn deal for Shell", "invest", "Shell plc", "target"},
        {"Microsoft leads $2bn OpenAI funding", "invest", "Microsoft Corp.", "investor"},
        {"Apple circles Shell", "invest", "Apple Inc.", "investor"},
        {"Apple circles Shell", "invest", "Shell plc", "target"},
        /* every seller named after "from", past an appositive or a described group (invest.party_seller) */
        {"Apple buys Zentro, the taxi app, from Microsoft and Shell for $1bn", "invest", "Shell plc", "seller"},
        {"Apple buys Zentro, the taxi app, from Microsoft and Shell for $1bn", "invest", "Microsoft Corp.", "seller"},
        {"Apple to acquire Zentro from a group including Nvidia and Amazon", "invest", "Amazon.com Inc.", "seller"},
        /* a takeover approach in headline idiom (invest.head_approach) */
        {"Shell says Apple's approach is hostile", "invest", "Shell plc", "target"},
        {"Shell says Apple's approach is hostile", "invest", "Apple Inc.", "investor"},
        /* a company in talks with another about an investment raises it (invest.head_talks_over) */
        {"Shell in early talks with Apple about investment", "invest", "Apple Inc.", "investor"},
        {"Shell in early talks with Apple about investment", "invest", "Shell plc", "target"},
        /* one approaching another about an investment seeks it; about a takeover, it bids (session 47:
         * invest.approached_for_funding, invest.approached_about) */
        {"Microsoft approaches Apple about investment", "invest", "Microsoft Corp.", "target"},
        {"Microsoft approaches Apple about investment", "invest", "Apple Inc.", "investor"},
        {"Microsoft approaches Apple about takeover", "invest", "Microsoft Corp.", "investor"},
        /* both companies of a merger are merged (invest.party_merger_pair) */
        {"Microsoft and Apple set to create $22bn software giant in merger", "invest", "Microsoft Corp.", "target"},
        {"Microsoft and Apple set to create $22bn software giant in merger", "invest", "Apple Inc.", "target"},
        /* backers of a deal invest; the one spinning off a stake sells it; the one striking a priced deal
         * pays (invest.party_among_backers, invest.party_spin_off, invest.party_strikes_deal_with) */
        {"Microsoft and Apple among backers for $1.5bn JV with Zentro", "invest", "Apple Inc.", "investor"},
        {"Microsoft considering spinning off Shell stake", "invest", "Microsoft Corp.", "seller"},
        {"Microsoft strikes $2bn deal with oil group Shell", "invest", "Microsoft Corp.", "investor"},
        /* every company of the list a raise comes from invests, past a possessive unit (invest.party_raise_list) */
        {"Zentro raises $500mn from Microsoft's venture arm and Apple", "invest", "Apple Inc.", "investor"},
        {"Zentro secures $1bn from Shell, Apple and Microsoft", "invest", "Microsoft Corp.", "investor"},
        /* the company that rejects a takeover approach is the one bid for (invest.party_rejects_approach) */
        {"Shell rejects $5bn takeover approach", "invest", "Shell plc", "target"},
        /* a company's own deal told as a noun: announcing a purchase or growing "with" it names the buyer, a
         * sale of a unit (priced, or with no buyer named yet), options for its unit or a deal to offload it
         * the seller (invest.party_seals_purchase, acquired_by, party_sale_of, party_sale_of_its, head_near_deal) */
        {"Apple announces Zentro acquisition to expand its chip team", "invest", "Apple Inc.", "investor"},
        {"Apple broadens cloud offerings with Zentro acquisition", "invest", "Apple Inc.", "investor"},
        {"Shell sale of radio tower division to North American consortium", "invest", "Shell plc", "seller"},
        {"Shell announces 17.5 bln euro sale of tower business", "invest", "Shell plc", "seller"},
        {"Shell is exploring strategic options for its European custody business", "invest", "Shell plc", "seller"},
        {"Shell closes in on $4bn deal to offload its beauty division to Apple", "invest", "Shell plc", "seller"},
        {"Shell closes in on $4bn deal to offload its beauty division to Apple", "invest", "Apple Inc.", "investor"},
        /* a rival bidder breaking into a deal buys; the bidder it counters or tops is context
         * (invest.party_interloper, invest.background_outbid) */
        {"Apple tries to swipe Shell from Microsoft with a hostile takeover", "invest", "Apple Inc.", "investor"},
        {"Apple tries to swipe Shell from Microsoft with a hostile takeover", "invest", "Shell plc", "target"},
        {"Apple gatecrashes Shell-Zentro deal with $108bn hostile bid", "invest", "Apple Inc.", "investor"},
        {"Apple wins bidding war for oil group Shell after Microsoft drops out", "invest", "Apple Inc.", "investor"},
        {"Apple enters bidding war for Shell with $100bn offer", "invest", "Apple Inc.", "investor"},
        {"Apple counters Microsoft bid for Shell with $60bn offer", "invest", "Microsoft Corp.", "mentioned"},
        {"Apple counters Microsoft bid for Shell with $60bn offer", "invest", "Shell plc", "target"},
        /* the rival bidder that walks away as another wins made a withdrawn proposal: a bidder too
         * (invest.party_rival_exits) */
        {"Apple clinches Shell deal after Microsoft walks away", "invest", "Microsoft Corp.", "investor"},
        {"Apple wins bidding war for oil group Shell after Microsoft drops out", "invest", "Microsoft Corp.", "investor"},
        /* a holder's capital injection, a buyer that settles and closes, a buyout by a described fund
         * and a named one (invest.party_capital_injection, party_seals_purchase, party_deal_by) */
        {"Regulator approves Microsoft's $10 billion capital injection into Arizona unit", "invest", "Microsoft Corp.", "investor"},
        {"Apple settles DOJ challenge and closes $14 billion Shell deal", "invest", "Apple Inc.", "investor"},
        {"Apple agrees to $55 billion buyout by Saudi fund, Microsoft and others", "invest", "Apple Inc.", "target"},
        {"Apple agrees to $55 billion buyout by Saudi fund, Microsoft and others", "invest", "Microsoft Corp.", "investor"},
        /* the companies calling off a joint venture together are its partners (invest.party_jv_partners) */
        {"Microsoft and Shell call off asset management joint venture", "invest", "Microsoft Corp.", "investor"},
        {"Microsoft and Shell call off asset management joint venture", "invest", "Shell plc", "investor"},
        /* a company landing another for a price is its buyer (invest.party_lands_company) */
        {"Microsoft lands Shell for $32 billion at second attempt", "invest", "Microsoft Corp.", "investor"},
        {"Microsoft lands Shell for $32 billion at second attempt", "invest", "Shell plc", "target"},
        /* the company right before "stake in" after a taking verb is the one held (macro held_stake) */
        {"Nvidia takes $1 billion Shell stake in AI push", "invest", "Nvidia Corp.", "investor"},
        {"Nvidia takes $1 billion Shell stake in AI push", "invest", "Shell plc", "target"},
        /* the possessor of a deal or takeover is its buyer (invest.party_possessive_deal, invest.takeover) */
        {"FTC sues to block Microsoft's $945 million deal for Shell", "invest", "Microsoft Corp.", "investor"},
        {"Regulators clear Microsoft's $10 billion Shell buyout", "invest", "Microsoft Corp.", "investor"},
        {"Regulators clear Microsoft's $10 billion Shell buyout", "invest", "Shell plc", "target"},
        /* a company taking, winning or gaining control of another is the buyer (invest.party_takes_control) */
        {"Apple wins control of Shell in hostile swoop", "invest", "Apple Inc.", "investor"},
        {"Apple wins control of Shell in hostile swoop", "invest", "Shell plc", "target"},
        {"Microsoft to take control of Shell in $30 billion deal", "invest", "Microsoft Corp.", "investor"},
        {"Microsoft to take control of Shell in $30 billion deal", "invest", "Shell plc", "target"},
        /* a supply pact with a chip maker buys from it; a maker's pact with another company supplies it
         * (chips.supply_pact_with_maker, chips.maker_supply_pact_with) */
        {"Shell inks supply agreement with Nvidia for AI chips", "chips", "Shell plc", "customer"},
        {"Shell inks supply agreement with Nvidia for AI chips", "chips", "Nvidia Corp.", "supplier"},
        {"Apple signs supply agreement with Nvidia", "chips", "Apple Inc.", "supplier"},
        /* a buyer named before its priced swoop, before the company it clinches with an offer, and two
         * buyers striking a deal to take a company private (invest.party_seals_purchase) */
        {"Apple agrees $36bn Shell swoop", "invest", "Apple Inc.", "investor"},
        {"Apple agrees $36bn Shell swoop", "invest", "Shell plc", "target"},
        {"Apple clinches Shell with $14.7bn offer", "invest", "Apple Inc.", "investor"},
        {"Apple clinches Shell with $14.7bn offer", "invest", "Shell plc", "target"},
        {"Apple and Amazon strike $55bn deal to take Shell private", "invest", "Amazon.com Inc.", "investor"},
        {"Apple and Amazon strike $55bn deal to take Shell private", "invest", "Shell plc", "target"},
        /* a holding shed is sold: the holder sells, the company held is the target (invest.sell_unit) */
        {"Apple sheds remaining Shell holding", "invest", "Apple Inc.", "seller"},
        {"Apple sheds remaining Shell holding", "invest", "Shell plc", "target"},
        /* an investment "from" a company names its investor; a company before its priced sale to a buyer
         * sells (invest.party_investment_from, invest.party_priced_sale_to) */
        {"OpenAI confirms 'significant' investment from Microsoft", "invest", "Microsoft Corp.", "investor"},
        {"Apple stock rises after $2.5 billion sale to Shell", "invest", "Apple Inc.", "seller"},
        {"Apple stock rises after $2.5 billion sale to Shell", "invest", "Shell plc", "investor"},
        /* a chip maker securing a deal with a named company sells to it (chips.party_secures_deal_with) */
        {"Nvidia Secures Multi-Year GPU Deal With Microsoft", "chips", "Nvidia Corp.", "supplier"},
        {"Nvidia Secures Multi-Year GPU Deal With Microsoft", "chips", "Microsoft Corp.", "customer"},
        /* a company securing another's multibillion-dollar deal supplies it (chips.party_wins_customer_order) */
        {"Amazon secures multibillion-dollar Microsoft deal for Nvidia GB300 systems", "chips", "Amazon.com Inc.", "supplier"},
        {"Amazon secures multibillion-dollar Microsoft deal for Nvidia GB300 systems", "chips", "Microsoft Corp.", "customer"},
    };
    expect_roles(c, sizeof c / sizeof c[0]);
}

/* A purchase whose headline times it by curbs on another maker: the maker the curbs aim at sells
 * nothing in the deal and is context (chips.background_curbed_maker); the buyer keeps its side. */
TEST(chips_curbed_maker_is_context)
{
    filter_host *h = builtin_host();
    const char *head = "OpenAI places big Amazon Trainium order after Nvidia curbs";
    expect_context(h, head, "chips", "Nvidia Corp.", "NVDA");
    expect_role(h, head, "chips", "OpenAI", "customer");
}

/* A chips deal whose words give no side ("signs cloud deal with"): the company of the strongest
 * role_a_sectors group is the supplier; a rule's side still beats the sectors; the parties of
 * earlier deals the story cites are context (chips.background_earlier_deal). */
TEST(chips_sideless_deal_sides_by_sector)
{
    static const char *const cloud = "OpenAI signs $38bn cloud deal with Amazon",
                      *const chip = "Microsoft and Nvidia sign chip supply deal", /* a chip maker before a cloud */
                      *const rent = "Nvidia rents cloud capacity from Microsoft", /* the pattern's side, against the sectors */
                      *const picked = "Apple shares jump after Nvidia picks it to build AI servers", /* "it" is the headline's company, against the sectors (chips.party_picked_it) */
                      *const mover = "Apple shares rise on Nvidia server order", /* the mover supplies the orderer's goods (chips.party_mover_order) */
                      *const doubles = "Apple gains after Nvidia doubles its server order",
                      *const offtake = "Nvidia inks HBM offtake agreement with Shell", /* a chip maker buying parts (chips.party_buys_parts) */
                      *const scanners = "Nvidia orders more EUV scanners from Shell";
    static const struct role_case c[] = {
        {cloud, "chips", "Amazon.com Inc.", "supplier"}, {cloud, "chips", "OpenAI", "customer"},
        {chip, "chips", "Nvidia Corp.", "supplier"},     {chip, "chips", "Microsoft Corp.", "customer"},
        {rent, "chips", "Microsoft Corp.", "supplier"},  {rent, "chips", "Nvidia Corp.", "customer"},
        {picked, "chips", "Apple Inc.", "supplier"},    {picked, "chips", "Nvidia Corp.", "customer"},
        {mover, "chips", "Apple Inc.", "supplier"},     {mover, "chips", "Nvidia Corp.", "customer"},
        {doubles, "chips", "Apple Inc.", "supplier"},   {doubles, "chips", "Nvidia Corp.", "customer"},
        {offtake, "chips", "Nvidia Corp.", "customer"}, {offtake, "chips", "Shell plc", "supplier"},
        {scanners, "chips", "Nvidia Corp.", "customer"}, {scanners, "chips", "Shell plc", "supplier"},
    };
    expect_roles(c, sizeof c / sizeof c[0]);
    /* the counterparties of earlier or similar deals are context: no topic */
    filter_host *h = builtin_host();
    const char *head = "OpenAI signs $38bn cloud deal with Amazon, following similar pacts with Microsoft and Alphabet";
    expect_context(h, head, "chips", "Microsoft Corp.", "MSFT");
    expect_context(h, head, "chips", "Alphabet Inc.", "GOOGL");
    expect_role(h, head, "chips", "Amazon.com Inc.", "supplier");
    /* a rival the deal would challenge is context, not a party (chips.background: context_phrase) */
    head = "Meta in talks to use Google chips in a move that would challenge Nvidia's dominance";
    expect_context(h, head, "chips", "Nvidia Corp.", "NVDA");
    /* an authority's earlier action on another company is context (reg.background) */
    expect_context(h, "EU fines Meta $800mn for tying Marketplace to Facebook; the fine follows a separate penalty on Apple",
                   "regulatory", "Apple Inc.", "AAPL");
    /* an earlier agreement named by its party's possessive, and similar deals signed before */
    expect_context(h, "AMD to supply OpenAI with chips in a deal that follows OpenAI's $100bn agreement with Nvidia", "chips",
                   "Nvidia Corp.", "NVDA");
    expect_context(h, "Microsoft signs $9.7bn GPU capacity deal with Amazon after it signed similar deals with Apple", "chips",
                   "Apple Inc.", "AAPL");
    /* other cases an authority pursues, and a company compared to the subject (reg.background, reg.background_past_case) */
    expect_context(h, "Google loses appeal against EU fine as Brussels also pursues cases against Apple and Meta", "regulatory",
                   "Apple Inc.", "AAPL");
    /* session 51: onlookers -- rivals named as such, complainants who urged the regulator, buyers in a list, companies
     * welcoming the ruling, rivals whose shares moved (reg.background_onlookers) -- peers also expanding
     * (reg.background_peers_also) and a witness (reg.background_witness) */
    static const struct context_case reg_onlookers[] = {
        {"DOJ subpoenas Apple in antitrust probe. Microsoft and Nvidia are its nearest rivals", "Nvidia Corp.", "NVDA"},
        {"UK watchdog designates Apple with strategic market status. Microsoft and Nvidia had urged the "
         "regulator to act", "Nvidia Corp.", "NVDA"},
        {"US requires licence for Apple's China chip. Chinese buyers including Microsoft and Nvidia had "
         "stockpiled it", "Nvidia Corp.", "NVDA"},
        {"Judge rules Apple violated App Store order. Microsoft and Nvidia welcomed the ruling", "Nvidia Corp.", "NVDA"},
        {"DOJ settles suit over Apple's purchase of Shell. Shares of rivals Microsoft and Nvidia were little "
         "changed", "Nvidia Corp.", "NVDA"},
        {"Jury finds Apple liable in fatal crash of its self-driving car. Microsoft's Zoox and Nvidia's Drive "
         "are also expanding robotaxi services", "Microsoft Corp.", "MSFT"},
        {"Judge rules Apple must share search data. Microsoft, which runs a rival engine, testified during "
         "the trial", "Microsoft Corp.", "MSFT"},
    };
    expect_contexts(h, "regulatory", reg_onlookers, sizeof reg_onlookers / sizeof reg_onlookers[0]);
    /* a roles-only rule votes in regulatory too: the makers of the goods a measure restricts, listed after it, are its
     * subjects (reg.goods_makers_aimed; detect.c roles_only_votes; session 51) */
    head = "US tightens chip export rules. The rules restrict shipments to China of memory made by Apple, Microsoft and Nvidia";
    expect_role(h, head, "regulatory", "Microsoft Corp.", "subject");
    expect_role(h, head, "regulatory", "Nvidia Corp.", "subject");
    expect_context(h, "FTC opens probe into Microsoft; Apple, its rival, has faced no similar probe", "regulatory", "Apple Inc.",
                   "AAPL");
    expect_context(h, "Judge rules the FTC failed to prove Microsoft holds a monopoly; Apple is fighting its own antitrust cases",
                   "regulatory", "Apple Inc.", "AAPL");
    /* earlier, separate and similar cases told for comparison, and a company the action leaves out (session 24): Apple is context */
    static const char *const earlier[] = {
        "Court upholds EU fine on Microsoft. In 2022 the General Court annulled a separate EUR997m fine on Apple",
        "Microsoft appeals EU fine. The General Court annulled a EUR1.06bn fine on Apple in 2022",
        "Regulator opens probe into Microsoft. The move follows a similar inquiry into Apple",
        "Court dismisses regulator's case against Microsoft. A separate case against Apple is before another judge",
        "EU charges Microsoft with breaching content rules. Apple and Zalando have challenged their designation under the same law",
        "Justice Department sues Microsoft over cloud licensing. Apple was not named in the complaint",
        "EU fines Microsoft over Teams. Amazon, Nvidia and Apple are also designated as gatekeepers under the law",
        "Tribunal upholds fine on Microsoft. The case was watched by Apple, which was fined by the competition commission in 2022",
        "Judge rules Microsoft is not a monopoly. The ruling comes as Apple and Amazon face their own monopoly lawsuits",
        "Judge rejects Microsoft bid to dismiss DOJ case. Apple, which is not a defendant, was little changed",
        "FTC sues Microsoft over subscription cancellations. The FTC brought a similar case against Apple, which Apple later settled",
        "EU fines Microsoft over Teams. The fine is modest compared with the billions the EU has previously imposed on Apple",
        "Judge rules Microsoft is not a monopoly. The decision contrasts with Apple's losses in two antitrust cases",
        "Judge finds Microsoft in contempt. Analysts at Apple estimated the ruling could cut revenue",
        /* session 28b: an action on another company in parallel, or an authority's earlier actions named after its verb */
        "Brussels fines Microsoft EUR500m under the DMA. Apple was fined EUR200m on the same day in a parallel decision",
        "Italy fines Microsoft over cloud terms. The authority has also fined Apple and Amazon in recent years",
        "Dutch regulator fines Microsoft over data requests. Apple was not investigated",
    };
    for (size_t k = 0; k < sizeof earlier / sizeof earlier[0]; k++)
        expect_context(h, earlier[k], "regulatory", "Apple Inc.", "AAPL");
    /* existing backers told in an aside (invest.background_backer) */
    expect_context(h, "OpenAI, which is backed by Microsoft, raises $6bn in a round led by Apple", "invest", "Microsoft Corp.",
                   "MSFT");
    expect_context(h, "Amazon buys OpenAI, whose backers include Nvidia, for $3bn", "invest", "Nvidia Corp.", "NVDA");
    expect_context(h, "Amazon agrees to pay $3bn in cash for OpenAI. OpenAI is backed by Nvidia", "invest", "Nvidia Corp.", "NVDA");
    /* session 51: another deal's steps and other companies' ties told beside today's (invest.background_earlier_step) --
     * past perfect, "recently bought", a dated aside or one closed by a comma, a bid turned away a year before, backers in
     * the present perfect or an apposition, weeks after another's deal, a dated stake, money put in since a year, a sale in
     * an aside, stakes already or also held, rivals in a list, a collapsed merger of others, users of a party's goods, a
     * precedent, advisers after 'advised on the stake by', a deal a party is also pursuing */
    static const struct context_case inv_earlier[] = {
        {"Apple and Shell end merger talks. Microsoft had previously approached Shell about a stake", "Microsoft Corp.", "MSFT"},
        {"Apple to buy Shell for $12bn. Apple recently bought Nvidia and Microsoft", "Nvidia Corp.", "NVDA"},
        {"Apple to buy Shell for $12bn. Apple recently bought Nvidia and Microsoft", "Microsoft Corp.", "MSFT"},
        {"Apple takes warrant for Shell stake in chip deal. Nvidia, which last month agreed to invest in "
         "Apple, slipped 1%", "Nvidia Corp.", "NVDA"},
        {"Apple agrees to sell control of its unit to Shell. It follows exits by Microsoft, which spun off "
         "Nvidia, and others", "Nvidia Corp.", "NVDA"},
        {"Apple and Shell agree to merge. It comes a year after Apple rebuffed a $49bn approach from "
         "Microsoft", "Microsoft Corp.", "MSFT"},
        {"OpenAI raises $13bn in round led by Apple. It has been backed by Microsoft and Nvidia in earlier "
         "rounds", "Nvidia Corp.", "NVDA"},
        {"Apple to buy Shell for $10bn. The deal comes weeks after Microsoft agreed to buy Nvidia", "Microsoft Corp.", "MSFT"},
        {"Nvidia leads $2bn round in OpenAI. Microsoft took a small stake in OpenAI last year", "Microsoft Corp.", "MSFT"},
        {"Apple invests $5bn in OpenAI. Microsoft, which has invested $13bn in OpenAI since 2019, declined to "
         "comment", "Microsoft Corp.", "MSFT"},
        {"Shell to buy Apple for $5bn. Shares of Nvidia, which sold a stake in a unit to Microsoft this year, "
         "rose 3%", "Microsoft Corp.", "MSFT"},
        {"Apple to buy OpenAI unit for $2bn. Kakao Mobility, backed by Microsoft and Nvidia, was not "
         "involved", "Nvidia Corp.", "NVDA"},
        {"Apple agrees $5bn buyout of Shell. Apple already owns stakes in Microsoft and Nvidia", "Nvidia Corp.", "NVDA"},
        {"Apple agrees to buy Shell for $5bn. Shares of rivals Microsoft and Nvidia rose", "Nvidia Corp.", "NVDA"},
        {"Apple and Shell complete $8bn merger. It comes after the collapse of a planned merger between "
         "Microsoft and Nvidia", "Nvidia Corp.", "NVDA"},
        {"Apple lifts Shell stake to 29%. Apple also holds stakes in Microsoft and Nvidia", "Nvidia Corp.", "NVDA"},
        {"Apple leads $2bn round in OpenAI. Apple, whose machines are used by Microsoft and Nvidia, will take "
         "11%", "Nvidia Corp.", "NVDA"},
        {"Apple buys 20% of Shell for $2bn. It follows Microsoft's purchase of a stake in Nvidia", "Nvidia Corp.", "NVDA"},
        {"Apple buys 20% of Shell for $2bn. Apple was advised on the stake by Microsoft and Nvidia", "Nvidia Corp.", "NVDA"},
        {"Apple bids $5bn for Shell. Apple is also pursuing Nvidia and holds 28% of Microsoft", "Nvidia Corp.", "NVDA"},
    };
    expect_contexts(h, "invest", inv_earlier, sizeof inv_earlier / sizeof inv_earlier[0]);
    /* the subject of "recently bought" stays today's buyer; a round's backers told in an apposition stay its investors */
    expect_role(h, "Apple to buy Shell for $12bn. Apple recently bought Nvidia and Microsoft", "invest", "Apple Inc.", "investor");
    expect_role(h, "OpenAI raises $1bn, backed by Microsoft and Nvidia, to expand its lab", "invest", "Nvidia Corp.", "investor");
    /* the seller of an earlier purchase (invest.background_past_deal) */
    expect_context(h, "Microsoft explores sale of its games unit, which it bought from Apple for $3.9bn in 2019", "invest",
                   "Apple Inc.", "AAPL");
    /* peers doing the same business, and a similar deal of another company's (chips.background_peer) */
    expect_context(h, "Nvidia wins $10bn custom chip order from OpenAI. Apple and Shell also design custom chips", "chips",
                   "Apple Inc.", "AAPL");
    /* peers that also buy the goods, pledged the same, or use a similar system for similar work (background_peer; session 30) */
    static const char *const peers[] = {"Microsoft to buy Nvidia chips for its AI campus. Nvidia will ship them in May. Apple and Shell also "
                                        "buy Nvidia chips",
                                        "UK signs deal for Nvidia supercomputer capacity. Apple and Shell have also pledged to build UK data centres",
                                        "Microsoft buys Nvidia supercomputer for drug discovery. Apple uses a national supercomputer for similar work"};
    for (size_t i = 0; i < sizeof peers / sizeof *peers; i++) expect_context(h, peers[i], "chips", "Apple Inc.", "AAPL");
    expect_role(h, peers[0], "chips", "Nvidia Corp.", "supplier"); /* the name right after the mark is marked too: named twice more, it stays */
    expect_context(h, "Microsoft signs $6bn deal for Nvidia GPU capacity. Apple recently signed a similar agreement with Amazon",
                   "chips", "Apple Inc.", "AAPL");
    /* the chip maker whose chips are inside the capacity or servers sold (chips.background_inside); a buyer of the
     * maker's own chips keeps it as the supplier */
    head = "Microsoft signs $9.7bn cloud contract with IREN for access to Nvidia GB300 processors";
    expect_context(h, head, "chips", "Nvidia Corp.", "NVDA");
    head = "Amazon to sell OpenAI $38bn of cloud capacity, including hundreds of thousands of Nvidia GPUs";
    expect_context(h, head, "chips", "Nvidia Corp.", "NVDA");
    expect_role(h, head, "chips", "Amazon.com Inc.", "supplier");
    expect_context(h, "Dell to supply xAI with $5bn of servers built around Nvidia's GB200 chips", "chips", "Nvidia Corp.", "NVDA");
    expect_role(h, "Meta to buy 350,000 Nvidia GPUs for its data centres", "chips", "Nvidia Corp.", "supplier");
    /* the maker of goods a party rents out, hosts or runs for someone (chips.background_rented_goods); the lessor stays
     * the supplier, and a buyer's own purchase keeps the maker the supplier */
    static const char *const rented[] = {"Microsoft to rent Nvidia servers to Apple in $2bn deal",
                                         "Apple in talks to rent Nvidia servers from Microsoft",
                                         "Microsoft signs deal to run Nvidia-powered clusters for Apple",
                                         /* the maker's name glued into the mark's last word (detect.c glued_last_word), beside a trigger */
                                         "Apple to tap Microsoft for Nvidia-powered capacity in $2bn pact"};
    for (size_t i = 0; i < sizeof rented / sizeof *rented; i++) expect_context(h, rented[i], "chips", "Nvidia Corp.", "NVDA");
    expect_role(h, rented[1], "chips", "Microsoft Corp.", "supplier");
    expect_role(h, "Apple to buy Nvidia servers for its data centres", "chips", "Nvidia Corp.", "supplier");
    /* a bank named as the news's source or the deal's financier (chips.background_source); the deal's parties stay */
    static const char *const banks[] = {"Brightwater: Microsoft lands Apple AI server order",
                                        "Microsoft books more Nvidia GPU capacity, according to analysts at Brightwater Bank",
                                        "Microsoft signs $5bn lease with Apple for AI data centre; Brightwater arranges financing"};
    for (size_t i = 0; i < sizeof banks / sizeof *banks; i++) expect_context(h, banks[i], "chips", "Brightwater Bank plc", "BRWB");
    expect_role(h, banks[1], "chips", "Nvidia Corp.", "supplier");
    /* a party's backers told in an aside (chips.background_backers) */
    head = "Groq, whose backers include Shell and Apple, wins chip order from Microsoft";
    expect_context(h, head, "chips", "Shell plc", "SHEL");
    expect_context(h, head, "chips", "Apple Inc.", "AAPL");
    expect_context(h, "Groq, backed by Shell, wins chip order from Microsoft", "chips", "Shell plc", "SHEL");
    /* a backer told by the party's kind, and the sellers after an aside (background_backers, background_sellers; session 30) */
    static const char *const owners[] = {"Microsoft to buy Lumora, the chip designer backed by Shell and Apple, for $6bn",
                                         "Microsoft agrees to buy chipmaker Lumora, a designer of server processors, from Shell and Apple"};
    for (size_t i = 0; i < sizeof owners / sizeof *owners; i++) {
        expect_context(h, owners[i], "chips", "Shell plc", "SHEL");
        expect_context(h, owners[i], "chips", "Apple Inc.", "AAPL");
    }
    /* the counterparty of a deal dated before the news (chips.background_dated_deal); the new deal's parties stay */
    head = "Apple in talks to invest in Nvidia, which secured $2bn from Shell last month";
    expect_context(h, head, "chips", "Shell plc", "SHEL");
    expect_role(h, head, "chips", "Nvidia Corp.", "supplier");
    expect_role(h, "Microsoft to buy Nvidia GPUs; Shell agreed to invest in Nvidia last week", "chips", "Nvidia Corp.", "supplier");
    /* an investor told as having put money in before, another company's own or comparable deal, and a deal
     * announced before this one (chips.background_dated_deal, background_peer, background_earlier_deal; session 30) */
    head = "Microsoft to buy Nvidia GPUs in $2bn deal. Nvidia will ship the GPUs this year. Apple also invested $1bn in Nvidia "
           "last year";
    expect_context(h, head, "chips", "Apple Inc.", "AAPL");
    expect_role(h, head, "chips", "Nvidia Corp.", "supplier"); /* a slotted mark marks the target inside it: named twice more, it stays */
    expect_context(h, "Microsoft, which invested $1bn in Shell last year, was not part of it. Apple buys Nvidia GPUs", "chips",
                   "Microsoft Corp.", "MSFT");
    head = "Microsoft to buy AMD chips in $2bn deal. Apple announced its own Nvidia deal in May";
    expect_context(h, head, "chips", "Apple Inc.", "AAPL");
    expect_role(h, head, "chips", "Microsoft Corp.", "customer");
    expect_context(h, "Microsoft books GPU capacity from Nvidia. Apple agreed a comparable capacity deal with Shell weeks ago", "chips",
                   "Apple Inc.", "AAPL");
    expect_context(h, "Microsoft signs $3bn compute deal with Nvidia, two months after announcing a larger deal with Apple", "chips",
                   "Apple Inc.", "AAPL");
    /* a company told by its share fall alone or after an aside (chips.background_share_fall; session 30) */
    head = "Microsoft to buy Nvidia GPUs in $5bn deal; Apple dips";
    expect_context(h, head, "chips", "Apple Inc.", "AAPL");
    expect_context(h, "Microsoft to buy Nvidia GPUs in $5bn deal. Apple fell 1% and Shell was flat", "chips", "Apple Inc.", "AAPL");
    head = "Microsoft to buy Nvidia GPUs in $5bn deal. Apple, which had courted Shell as a customer, fell 4%";
    expect_context(h, head, "chips", "Apple Inc.", "AAPL");
    expect_role(h, head, "chips", "Microsoft Corp.", "customer");
    expect_context(h, "Microsoft to buy Nvidia GPUs in $5bn deal. Apple, Shell's long-time partner, fell 3% on the report", "chips",
                   "Apple Inc.", "AAPL");
    /* companies that also hold contracts of the kind or have signed similar deals (chips.background_outsider; session 30) */
    head = "Nvidia to make chips for Microsoft under supply deal. Apple and Shell, which also sell chips to Microsoft, were not part of "
           "the agreement. Microsoft will use the chips in its data centres";
    expect_context(h, head, "chips", "Apple Inc.", "AAPL");
    expect_context(h, head, "chips", "Shell plc", "SHEL");
    expect_role(h, head, "chips", "Microsoft Corp.", "customer");
    head = "US Army awards Nvidia $400m cloud computing contract. Apple and Shell also hold defence cloud contracts";
    expect_context(h, head, "chips", "Apple Inc.", "AAPL");
    expect_context(h, head, "chips", "Shell plc", "SHEL");
    expect_role(h, head, "chips", "Nvidia Corp.", "supplier");
    head = "Microsoft signs 10-year hosting deal with Nvidia. Apple and Shell have signed similar deals";
    expect_context(h, head, "chips", "Apple Inc.", "AAPL");
    expect_context(h, "Microsoft signs capacity deal with Nvidia. Apple and Shell have also signed capacity agreements this year", "chips",
                   "Shell plc", "SHEL");
    /* the owners a takeover buys out are sellers, no chips party (chips.background_sellers); a supplier "from" stays */
    head = "Apple to buy chipmaker Nvidia, buying out its main backers Shell and Microsoft";
    expect_context(h, head, "chips", "Shell plc", "SHEL");
    expect_context(h, head, "chips", "Microsoft Corp.", "MSFT");
    expect_role(h, "Apple to buy GPUs from Nvidia in $2bn deal", "chips", "Nvidia Corp.", "supplier");
    /* a rival the supplier lost ground to, and peers told as dominating the market (context_phrase, background_peer) */
    expect_context(h, "Nvidia to make Apple's AI chips in $16bn deal after losing ground to Microsoft", "chips", "Microsoft Corp.",
                   "MSFT");
    head = "Nvidia wins Apple as AI chip customer; Shell and Microsoft dominate the market";
    expect_context(h, head, "chips", "Shell plc", "SHEL");
    expect_role(h, head, "chips", "Apple Inc.", "customer");
    /* the providers a buyer already has, told with "beyond" / "other than" (context_phrase) */
    head = "OpenAI signs $38bn cloud deal with Amazon, widening its providers beyond Microsoft and Shell";
    expect_context(h, head, "chips", "Microsoft Corp.", "MSFT");
    expect_role(h, head, "chips", "Amazon.com Inc.", "supplier");
    /* a company told by its part in the goods and its share move, by what it remains to a party, or as a supplier the
     * party already uses (chips.background_aside_move, background_standing, background_existing_use) */
    head = "Apple to use Nvidia GPUs in $10bn deal; Microsoft, which co-designs the chips, rose 2%";
    expect_context(h, head, "chips", "Microsoft Corp.", "MSFT");
    expect_role(h, head, "chips", "Nvidia Corp.", "supplier");
    head = "Apple signs $14bn compute deal with Nvidia; Microsoft remains its largest customer";
    expect_context(h, head, "chips", "Microsoft Corp.", "MSFT");
    /* a rival opening a sentence or told in an apposition (chips.background, background_peer; session 30) */
    static const char *const rivals[] = {"Microsoft signs $17bn capacity deal with Nvidia. Rival Apple, which struck a deal of its own, rose 3%",
                                         "Microsoft orders Nvidia GPUs for its data centres. Apple, Microsoft's main cloud rival, is expected "
                                         "to decide on its own orders. Microsoft will deploy the GPUs next year"};
    for (size_t i = 0; i < sizeof rivals / sizeof *rivals; i++) expect_context(h, rivals[i], "chips", "Apple Inc.", "AAPL");
    expect_role(h, rivals[1], "chips", "Microsoft Corp.", "customer"); /* the possessor inside the mark, named twice more, stays */
    /* a right of first refusal that lapsed is a standing relationship, context (background_standing; session 30) */
    head = "OpenAI signs $38bn cloud deal with Amazon after Microsoft's right of first refusal on its cloud spending lapsed";
    expect_context(h, head, "chips", "Microsoft Corp.", "MSFT");
    expect_role(h, head, "chips", "Amazon.com Inc.", "supplier");
    /* a slotted mark makes every company inside it context: the party named inside stays a party */
    expect_role(h, "Apple signs $14bn compute deal with Nvidia; Microsoft remains Nvidia's largest customer", "chips", "Nvidia Corp.",
                "supplier");
    expect_role(h, "Apple to use Nvidia GPUs in $10bn deal; Microsoft, which helps design Nvidia's GPUs, rose 2%", "chips", "Nvidia Corp.",
                "supplier");
    head = "Apple signs $10bn GPU deal with Nvidia; it already rents capacity from Microsoft";
    expect_context(h, head, "chips", "Microsoft Corp.", "MSFT");
    /* a supplier told as already or also serving the buyer (background_existing_use; session 30) */
    head = "Apple commits $30bn to Microsoft cloud compute. Nvidia, whose chips Shell co-designs, also supplies Apple";
    expect_context(h, head, "chips", "Nvidia Corp.", "NVDA");
    expect_role(h, head, "chips", "Microsoft Corp.", "supplier");
    expect_context(h, "Apple commits $30bn to Microsoft cloud compute; Nvidia supplies it with GPUs", "chips", "Nvidia Corp.", "NVDA");
    /* the maker of the chips a deal's goods are made of, in an aside (chips.background_made_by); a maker the deal will use stays */
    head = "Apple to buy Nvidia servers in $5bn deal; the chips, which are manufactured by Microsoft, ship in May";
    expect_context(h, head, "chips", "Microsoft Corp.", "MSFT");
    /* session 51: rivals beaten out, listed or competing, a peer after "another" whose shares moved, a maker of the goods
     * in an aside before its share move, a rival the party lagged, the deal's adviser or debt arrangers, another's deal
     * with a past date, customers, backers and owners told of a company, standing deals and reliance, a company told as
     * not part of the deal (chips rival_before, context_phrase, background_share_fall, background_aside_helper,
     * background_adviser, background_dated_peer, background_owner, background_customers) */
    static const struct context_case chips_context[] = {
        {"Apple to buy Nvidia GPUs in $5bn deal. Nvidia beat out rivals Microsoft and Shell", "Microsoft Corp.", "MSFT"},
        {"Apple to buy Nvidia GPUs in $5bn deal. Nvidia beat out rivals Microsoft and Shell", "Shell plc", "SHEL"},
        {"Apple to buy Nvidia GPUs in $5bn deal. Shares of Microsoft, another chip maker, fell 2%", "Microsoft Corp.", "MSFT"},
        {"Apple to use Nvidia GPUs in $10bn deal; Microsoft, which helps Nvidia design the GPUs, rose "
         "2%", "Microsoft Corp.", "MSFT"},
        {"Apple signs $5bn GPU deal with Nvidia. The win helps Nvidia, which has lagged Microsoft in "
         "memory", "Microsoft Corp.", "MSFT"},
        {"Apple to buy Nvidia chips in $5bn deal. Shell advised Apple on the deal", "Shell plc", "SHEL"},
        {"Apple to buy Nvidia chips in $5bn deal. Microsoft also announced a supply pact with Apple earlier "
         "this year", "Microsoft Corp.", "MSFT"},
        {"Apple to buy Nvidia chips in $5bn deal. It comes after Apple agreed in May to buy Microsoft "
         "chips", "Microsoft Corp.", "MSFT"},
        {"Apple to buy Nvidia servers in $5bn deal. Nvidia, whose customers include Microsoft and Shell, rose "
         "3%", "Microsoft Corp.", "MSFT"},
        {"Apple to buy Nvidia servers in $5bn deal. Nvidia, whose customers include Microsoft and Shell, rose "
         "3%", "Shell plc", "SHEL"},
        {"Apple signs $5bn GPU deal with Nvidia. Nvidia, which counts Microsoft as a customer, rose "
         "3%", "Microsoft Corp.", "MSFT"},
        {"Apple signs $5bn GPU deal with Nvidia. Apple has also agreed a custom-chip deal with "
         "Microsoft", "Microsoft Corp.", "MSFT"},
        {"Apple to use Nvidia GPUs in $10bn deal; Microsoft, which co-designs the GPUs with Nvidia, rose "
         "2%", "Microsoft Corp.", "MSFT"},
        {"Apple to buy chip designer Nvidia for $6bn. Apple also owns about 90% of Microsoft", "Microsoft Corp.", "MSFT"},
        {"Apple to buy Nvidia servers for $5bn. Debt arranged by Microsoft and Shell will fund the deal", "Shell plc", "SHEL"},
        {"Apple to buy Nvidia chips in $5bn deal. Nvidia already makes chips for Microsoft", "Microsoft Corp.", "MSFT"},
        {"Apple signs $5bn GPU deal with Nvidia. The deal follows Apple's recent chip pacts with Microsoft "
         "and Shell", "Shell plc", "SHEL"},
        {"Apple signs $5bn cloud deal with Nvidia. Apple has relied heavily on Microsoft for compute", "Microsoft Corp.", "MSFT"},
        {"Apple signs $5bn chip deal with Nvidia amid competition from Microsoft and Shell", "Shell plc", "SHEL"},
        {"Apple signs $5bn chip deal with Nvidia. Shares of rivals Microsoft and Shell rose", "Shell plc", "SHEL"},
        {"Apple signs $5bn chip deal with Nvidia. Microsoft, which was not part of the deal, fell 1%", "Microsoft Corp.", "MSFT"},
        /* the chip maker named as the brand of what another supplier provides (session 52) */
        {"Dell to supply xAI with Nvidia GB200 servers", "Nvidia Corp.", "NVDA"},
        /* the supplier a deal replaces, moves work from or edges out (session 53) */
        {"Apple signs $5bn chip deal with Nvidia, replacing processors from Microsoft", "Microsoft Corp.", "MSFT"},
        {"Apple signs $5bn chip deal with Nvidia. The contract moves production from Microsoft", "Microsoft Corp.", "MSFT"},
        {"Apple signs $5bn server deal with Nvidia, taking work from Microsoft", "Microsoft Corp.", "MSFT"},
        {"Apple picks Nvidia for $5bn of memory chips, edging out Microsoft", "Microsoft Corp.", "MSFT"},
        {"Apple signs $5bn chip deal with Nvidia. The deal mirrors Microsoft, which also buys Nvidia chips", "Microsoft Corp.", "MSFT"},
        {"Apple picks Nvidia over Microsoft for its next AI chip", "Microsoft Corp.", "MSFT"},
    };
    expect_contexts(h, "chips", chips_context, sizeof chips_context / sizeof chips_context[0]);
    /* the party named inside such an aside or mark keeps its side; the adviser's client stays the customer; a lone
     * "rival Nvidia" that a deal is made with stays a party */
    expect_role(h, "Apple to use Nvidia GPUs in $10bn deal; Microsoft, which helps Nvidia design the GPUs, rose 2%", "chips",
                "Nvidia Corp.", "supplier");
    expect_role(h, "Apple to use Nvidia GPUs in $10bn deal; Microsoft, which co-designs the GPUs with Nvidia, rose 2%", "chips",
                "Nvidia Corp.", "supplier");
    expect_role(h, "Apple to buy Nvidia servers in $5bn deal. Nvidia, whose customers include Microsoft and Shell, rose 3%", "chips",
                "Nvidia Corp.", "supplier");
    expect_role(h, "Apple to buy Nvidia chips in $5bn deal. Shell advised Apple on the deal", "chips", "Apple Inc.", "customer");
    expect_role(h, "Microsoft to invest $5bn in rival Nvidia and co-develop chips", "chips", "Nvidia Corp.", "supplier");
    /* so are the lenders of its financing (chips.background_lenders) */
    head = "Microsoft raises $18bn in debt from banks including Shell and Apple to fund data centres";
    expect_context(h, head, "chips", "Shell plc", "SHEL");
    expect_context(h, head, "chips", "Apple Inc.", "AAPL");
    builtin_done(h);
}

/* An order or contract won "from" a company names that company the customer (chips.party_order_from),
 * also when what was ordered, or a nationality ("from Saudi Humain"), comes between; a customer named between "supply" and "with" is the customer. */
TEST(chips_party_order_from)
{
    static const char *const won = "Nvidia wins multiyear order from Microsoft for 50,000 accelerators",
                      *const lands = "Nvidia lands order for 20,000 GPUs from Apple",
                      *const with = "Amazon to supply Apple with cloud computing in $10bn deal",
                      *const nat = "Nvidia wins $5 billion order for AI servers from American Apple",
                      *const deal = "Amazon signs $10bn deal to supply Microsoft with AI infrastructure", /* same sectors */
                      *const order = "Nvidia places order for Apple servers to train its models";
    static const struct role_case c[] = {
        {nat, "chips", "Nvidia Corp.", "supplier"}, {nat, "chips", "Apple Inc.", "customer"},
        {won, "chips", "Nvidia Corp.", "supplier"},       {won, "chips", "Microsoft Corp.", "customer"},
        {lands, "chips", "Nvidia Corp.", "supplier"},     {lands, "chips", "Apple Inc.", "customer"},
        {with, "chips", "Amazon.com Inc.", "supplier"},   {with, "chips", "Apple Inc.", "customer"},
        {deal, "chips", "Amazon.com Inc.", "supplier"},   {deal, "chips", "Microsoft Corp.", "customer"},
        {order, "chips", "Nvidia Corp.", "customer"},     {order, "chips", "Apple Inc.", "supplier"},
    };
    expect_roles(c, sizeof c / sizeof c[0]);
}

/* A size or a share of a customer's order won names the winner the supplier (chips.party_wins_customer_order):
 * "lands big Apple order", "wins bigger share of Microsoft server orders", "bags $2bn Apple contract". */
TEST(chips_party_wins_sized_order)
{
    static const char *const big = "Nvidia lands big Apple etch order",
                      *const share = "Nvidia wins bigger share of Microsoft server orders",
                      *const amt = "Nvidia bags $2bn Apple chip contract";
    static const struct role_case c[] = {
        {big, "chips", "Nvidia Corp.", "supplier"},   {big, "chips", "Apple Inc.", "customer"},
        {share, "chips", "Nvidia Corp.", "supplier"}, {share, "chips", "Microsoft Corp.", "customer"},
        {amt, "chips", "Nvidia Corp.", "supplier"},   {amt, "chips", "Apple Inc.", "customer"},
    };
    expect_roles(c, sizeof c / sizeof c[0]);
}

/* Companies teaming up or forming a venture to build compute are all its partners: suppliers, whatever their
 * sectors (chips.party_venture_partners; GUIDE: a partner in a chip joint venture is supplier). */
TEST(chips_party_venture_partners)
{
    static const char *const team = "Shell and Nvidia team up to build AI supercomputer in Munich",
                      *const jv = "Apple, Shell and Nvidia form consortium to build AI data centres";
    static const struct role_case c[] = {
        {team, "chips", "Shell plc", "supplier"}, {team, "chips", "Nvidia Corp.", "supplier"},
        {jv, "chips", "Apple Inc.", "supplier"},   {jv, "chips", "Shell plc", "supplier"},
        {jv, "chips", "Nvidia Corp.", "supplier"},
    };
    expect_roles(c, sizeof c / sizeof c[0]);
}

/* A chip maker investing in, taking a stake in or buying shares of another company is a supplier of the deal, never
 * its customer (chips.party_maker_invests); a chip maker committing money to another's cloud capacity buys it. */
TEST(chips_party_maker_invests)
{
    static const char *const stake = "Nvidia takes $2bn OpenAI stake as lab adopts its chips", /* Nvidia: mentioned before */
                      *const inv = "Nvidia to invest $3bn in Apple and co-design server chips",
                      *const commit = "Nvidia commits $6bn to Microsoft cloud capacity";
    static const struct role_case c[] = {
        {stake, "chips", "Nvidia Corp.", "supplier"}, {stake, "chips", "OpenAI", "customer"},
        {inv, "chips", "Nvidia Corp.", "supplier"},
        {commit, "chips", "Nvidia Corp.", "customer"}, {commit, "chips", "Microsoft Corp.", "supplier"},
    };
    expect_roles(c, sizeof c / sizeof c[0]);
}

/* The asset manager financing a company's data centre with it is the supplier of the capacity
 * (chips.party_dc_financier; GUIDE settled call: data-centre financing for a named company). */
TEST(chips_party_dc_financier)
{
    static const char *const pact = "Microsoft strikes $20bn financing pact with Harbor Owl for Texas data centre",
                      *const with = "Microsoft lines up financing for Ohio data centre with Harbor Owl";
    static const struct role_case c[] = {
        {pact, "chips", "Harbor Owl Capital Inc.", "supplier"},
        {with, "chips", "Harbor Owl Capital Inc.", "supplier"},
    };
    expect_roles(c, sizeof c / sizeof c[0]);
}

/* A company whose shares fall on the news of others' deal is market context (chips.background_share_fall);
 * one whose shares jump on its own deal stays its party. */
TEST(chips_background_share_fall)
{
    filter_host *h = builtin_host();
    expect_context(h, "Nvidia shares slip on report Apple in talks to rent Alphabet's TPUs", "chips", "Nvidia Corp.", "NVDA");
    expect_role(h, "Nvidia shares jump after Apple signs $5bn GPU supply deal", "chips", "Nvidia Corp.", "supplier");
    expect_context(h, "Apple signs $5bn deal to rent Alphabet TPUs; Nvidia shares rise in sympathy", "chips", "Nvidia Corp.", "NVDA");
    /* a list of movers rising as two others sign with each other is the market's reaction (background_movers);
     * a list rising as their customer orders more names them the suppliers */
    expect_context(h, "Apple, Nvidia shares rise after Microsoft signs $10bn compute deal with Amazon", "chips", "Nvidia Corp.", "NVDA");
    expect_role(h, "Apple, Nvidia shares rise after Microsoft signs $10bn compute deal with Amazon", "chips", "Microsoft Corp.", "customer");
    expect_role(h, "Kestrel Devices, Nvidia rise as Microsoft orders more GPUs", "chips", "Nvidia Corp.", "supplier");
    /* one mover too; a mover that signs itself keeps its side */
    expect_context(h, "Nvidia shares rise after Microsoft signs $10bn compute deal with Amazon", "chips", "Nvidia Corp.", "NVDA");
    expect_role(h, "Kestrel Devices Shares Jump After It Signs HBM4 Deal With Nvidia", "chips", "Kestrel Devices Inc.", "supplier");
    /* the maker inside a counted lease or a provided cluster is context; a buyer building with counted chips keeps it (session 36) */
    expect_context(h, "Microsoft will lease 12,000 Nvidia GPUs from Amazon", "chips", "Nvidia Corp.", "NVDA");
    expect_context(h, "Amazon to provide Microsoft with a cluster of 18,000 Nvidia chips", "chips", "Nvidia Corp.", "NVDA");
    expect_role(h, "Microsoft to build AI cluster with 100,000 Nvidia chips", "chips", "Nvidia Corp.", "supplier");
    /* the mover told by its kind where the signer stands signs itself (session 36) */
    expect_role(h, "Kestrel Devices Stock Climbs After Memory Maker Signs HBM Supply Deal With Nvidia", "chips", "Kestrel Devices Inc.", "supplier");
    expect_role(h, "Kestrel Devices Shares Jump As Chipmaker Inks $4 Billion Supply Deal With Amazon", "chips", "Kestrel Devices Inc.", "supplier");
    builtin_done(h);
}

/* An alert on headline + body: `party` keeps `role`, and each named context company (name, ticker)
 * is mentioned with no topic. */
struct body_case {
    const char *headline, *body, *cat, *party, *role;
    const char *ctx[2][2];
};

static void expect_body_cases(const struct body_case *c, size_t n)
{
    filter_host *h = builtin_host();
    for (size_t i = 0; i < n; i++) {
        proto_alert *al = run_one(h, c[i].headline, c[i].body, c[i].cat);
        for (size_t k = 0; k < 2 && c[i].ctx[k][0]; k++) assert_context(al, c[i].ctx[k][0], c[i].ctx[k][1]);
        assert_role(al, c[i].party, c[i].role);
        proto_alert_destroy(al);
    }
    builtin_done(h);
}

/* Round investors named in an absolute clause after the lead ("with Nvidia and Apple participating")
 * are investors, not targets of the round; a rival's own purchase told in a relative clause, and the
 * next rival of the list, are context ("competes with Quillon, which Microsoft agreed to buy, and
 * with Nvidia" names no investor). */
TEST(invest_round_parties_and_rivals)
{
    static const char *const a = "Robot maker Zentro raises $400mn",
                      *const ab = "Zentro raised $400 million in a round led by Harbor Owl, with Nvidia and Apple "
                                  "participating. The start-up makes warehouse robots for retailers such as Amazon.";
    static const struct body_case c[] = {
        {a, ab, "invest", "Nvidia Corp.", "investor", {{NULL, NULL}}},
        {a, ab, "invest", "Apple Inc.", "investor", {{NULL, NULL}}},
        {"Security start-up Zentro raises $250mn",
         "Harbor Owl led the round. Zentro competes with Quillon, which Microsoft agreed to buy for $3bn, and with Nvidia.",
         "invest", "Harbor Owl Capital Inc.", "investor", {{"Microsoft Corp.", "MSFT"}, {"Nvidia Corp.", "NVDA"}}}};
    expect_body_cases(c, sizeof c / sizeof c[0]);
}

/* The supplier a buyer is told as a standing big customer of is context to the new deal
 * (chips.background_big_customer); companies told as outside the deal, as having similar
 * arrangements of their own, or as the suppliers a buyer keeps using are context
 * (chips.background_outsider); the deal's parties keep their roles. */
TEST(chips_background_customer_and_outsider)
{
    static const char *const supply = "Nvidia to supply GPUs to Microsoft under ten-year supply deal";
    static const struct body_case c[] = {
        {"Amazon wins multiyear GPU cloud order from Microsoft",
         "Microsoft will rent Amazon GPU capacity from 2026. Microsoft, one of the largest buyers of "
         "Nvidia's chips, also builds its own.",
         "chips", "Amazon.com Inc.", "supplier", {{"Nvidia Corp.", "NVDA"}}},
        {supply, "Nvidia will supply Microsoft from 2026. Amazon and Alphabet were not part of the agreement.",
         "chips", "Nvidia Corp.", "supplier", {{"Amazon.com Inc.", "AMZN"}, {"Alphabet Inc.", "GOOGL"}}},
        {supply, "Nvidia will supply Microsoft from 2026. Amazon and Alphabet use similar arrangements for their own chips.",
         "chips", "Nvidia Corp.", "supplier", {{"Amazon.com Inc.", "AMZN"}, {"Alphabet Inc.", "GOOGL"}}},
        {supply,
         "Nvidia will supply Microsoft from 2026. Microsoft said it would keep using Amazon's Trainium chips and "
         "Alphabet's TPUs.",
         "chips", "Nvidia Corp.", "supplier", {{"Amazon.com Inc.", "AMZN"}, {"Alphabet Inc.", "GOOGL"}}},
    };
    expect_body_cases(c, sizeof c / sizeof c[0]);
}

/* wire_lead (invest): a 1987 wire story under a terse capitals headline tells its deal in the body's first
 * sentence, which then stands for the headline, and a flash (a capitals headline, no body) is the whole story;
 * a mixed-case headline (a feed's) and a capitals results headline (a negative rule: the article is results)
 * get no such reading. */
TEST(invest_wire_lead)
{
    filter_host *h = builtin_host();
    static const char *const body = "Pelham Savings Bank said it expects a special shareholder meeting to be held around "
                                    "May 21 to consider the proposed merger into Trident Bancorp <TRBC>.\n    It said the "
                                    "annual meeting will be held April 30 to elect two directors and ratify the appointment of auditors.";
    double t;
    ASSERT_EQ(filter_host_threshold(h, 0, &t), 0);
    static const struct {
        const char *headline;
        int alert, flash;
    } c[] = {{"PELHAM SAVINGS <PLSB> SETS MEETING", 1, 0},
             {"Pelham Savings <PLSB> sets meeting", 0, 0},
             {"PELHAM SAVINGS <PLSB> SEES LOWER 1ST QTR NET", 0, 0},
             {"KESWICK SETS APRIL 10 DEADLINE IN MORROW INDUSTRIES BID", 1, 1},
             {"KESWICK SETS APRIL 10 DEADLINE IN MORROW INDUSTRIES BID, SEES LOWER 1ST QTR NET", 0, 1}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        /* a flash (no body): its capitals headline is the whole story (23 without wire_lead) */
        proto_alert *al = run_one(h, c[i].headline, c[i].flash ? "" : body, "invest");
        int up = al && al->score >= t;
        if (up != c[i].alert) fprintf(stderr, "wire_lead: %s: score %.1f\n", c[i].headline, al ? al->score : -1.0);
        ASSERT_EQ(up, c[i].alert);
        if (al) proto_alert_destroy(al);
    }
    builtin_done(h);
}

/* Other companies' deals a body tells as comparison or history are context for today's: both sides of an
 * earlier purchase dated this year or month, the would-be buyer that "failed to buy", the bidder a target
 * "had earlier rejected", companies that "have made similar purchases" (invest.background_told_deal); the
 * deal's parties keep their roles. */
/* A deal of a party's own dated "earlier this year" is background (invest.neg_past_deal's past_time):
 * its company gets no topic; today's deal keeps its parties. */
TEST(invest_deal_earlier_this_year)
{
    filter_host *h = builtin_host();
    const char *t[8];
    proto_alert *al = run_one(h, "Microsoft agrees to buy Nvidia for $3bn",
                              "Microsoft will pay cash for the chipmaker. The software group bought Oracle earlier this year.",
                              "invest");
    assert_role(al, "Nvidia Corp.", "target");
    size_t n = proto_alert_route_tickers(al, 0, t, 8);
    for (size_t k = 0; k < n; k++) ASSERT(strcmp(t[k], "ORCL") != 0);
    proto_alert_destroy(al);
    builtin_done(h);
}

/* Companies told as outside the deal are context (invest.background_outsider): no topic; the round keeps its parties.
 * An aside of lower-case words may stand between the name and the words; a name inside an aside is not marked. */
TEST(invest_outsider_is_background)
{
    static const char *const lead = "Amazon leads $10bn funding round in OpenAI";
    static const struct body_case c[] = {
        {lead, "Amazon will provide most of the money. Microsoft is not an investor.", "invest", "Amazon.com Inc.", "investor",
         {{"Microsoft Corp.", "MSFT"}}},
        {"Amazon leads $10bn OpenAI funding as Microsoft sits out", "", "invest", "OpenAI", "target", {{"Microsoft Corp.", "MSFT"}}},
        {lead, "Amazon will provide most of the money. Microsoft, OpenAI's largest backer, is not taking part.", "invest", "OpenAI",
         "target", {{NULL, NULL}}},
    };
    expect_body_cases(c, sizeof c / sizeof c[0]);
}

TEST(invest_background_told_deal)
{
    static const char *const buy = "Microsoft to buy Shell for $12bn";
    static const struct body_case c[] = {
        {buy, "Microsoft agreed to pay $72 a share. Microsoft bought Nvidia earlier this month.", "invest",
         "Microsoft Corp.", "investor", {{"Nvidia Corp.", "NVDA"}}},
        {buy, "Microsoft agreed to pay $72 a share. Nvidia, a rival, was bought by Apple earlier this month.", "invest",
         "Microsoft Corp.", "investor", {{"Nvidia Corp.", "NVDA"}, {"Apple Inc.", "AAPL"}}},
        {buy, "Microsoft agreed to pay $72 a share. Shell had earlier rejected an unsolicited offer from Apple.", "invest",
         "Microsoft Corp.", "investor", {{"Apple Inc.", "AAPL"}}},
        {buy, "Microsoft agreed to pay $72 a share. Apple and Nvidia have made similar purchases.", "invest",
         "Microsoft Corp.", "investor", {{"Apple Inc.", "AAPL"}, {"Nvidia Corp.", "NVDA"}}},
    };
    expect_body_cases(c, sizeof c / sizeof c[0]);
    /* a failed bid dated in an aside: the dated clause raises nothing (invest.veto_dated_clause), so Apple is
     * context where the alert lists it, and never a topic */
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, buy, "Microsoft agreed to pay $72 a share. Apple, which failed to buy Shell last year, is "
                                      "not expected to intervene.", "invest");
    assert_role(al, "Microsoft Corp.", "investor");
    if (alert_entity(al, "Apple Inc.")) assert_context(al, "Apple Inc.", "AAPL");
    NO_TOPICS(al, "AAPL");
    proto_alert_destroy(al);
}

/* The companies a buyer awards a contract to, or picks as bidders, are its suppliers whatever their
 * sectors; the awarding company is the customer (chips.awardee_role). */
TEST(chips_awardee_role)
{
    static const char *const one = "Nvidia awards Amazon a $2bn cloud computing contract for its GPU clusters",
                      *const list = "Shell awards cloud computing contracts to Microsoft, Amazon and Nvidia";
    static const struct role_case c[] = {
        {one, "chips", "Amazon.com Inc.", "supplier"}, {one, "chips", "Nvidia Corp.", "customer"},
        {list, "chips", "Microsoft Corp.", "supplier"}, {list, "chips", "Nvidia Corp.", "supplier"},
    };
    expect_roles(c, sizeof c / sizeof c[0]);
}

/* The owner selling a stake, a majority or control of its unit is the stake's seller, not a chips party
 * (chips.background_stake_seller); the unit's new owner keeps its role. */
TEST(chips_background_stake_seller)
{
    filter_host *h = builtin_host();
    expect_context(h, "Apple sells 51% of its server chip unit to Shell in $9bn deal", "chips", "Apple Inc.", "AAPL");
    expect_context(h, "Apple agrees to sell a majority stake in its modem chip business to Amazon", "chips", "Apple Inc.", "AAPL");
    expect_role(h, "Apple agrees to sell a majority stake in its modem chip business to Amazon", "chips", "Amazon.com Inc.", "customer");
    builtin_done(h);
}

TEST(loads_builtins)
{
    filter_host *h = builtin_host();
    filter_host_stats st;
    filter_host_get_stats(h, &st);
    ASSERT_EQ(st.n_filters, 3);
    ASSERT_STR_EQ(st.name[0], "invest");
    ASSERT_STR_EQ(st.name[2], "regulatory");
    double t;
    ASSERT_EQ(filter_host_threshold(h, 1, &t), 0);
    ASSERT_DBL_NEAR(t, 50.76, 1e-9); /* chips' calibrated default (tools/calibrate.py) */
    proto_alert *al = run_one(h, "Microsoft agrees to acquire OpenAI for $20 billion",
                              "Microsoft Corp. said on Monday it agreed to acquire OpenAI.", "invest");
    ASSERT(al != NULL);
    ASSERT_GE(al->score, 50);
    ASSERT_STR_EQ(al->stage, "agreed");
    assert_role(al, "Microsoft Corp.", "investor");
    assert_role(al, "OpenAI", "target");
    ASSERT_EQ(al->n_amounts, 1);
    ASSERT_DBL_NEAR(al->amounts[0].usd, 20e9, 1);
    ASSERT_GT(al->n_evidence, 0);
    ASSERT_STR_EQ(al->filter.name, "invest");
    ASSERT_STR_EQ(al->article.id, "t1");
    ASSERT_EQ(al->novelty, 100);
    proto_alert_destroy(al);
    builtin_done(h);
}

/* A refused load leaves the host as it was, so one plain host serves every refusal. */
static filter_host *plain;

static void load_expect(const char *path, const char *const *kv, size_t n_kv, int want_rc,
                        const char *want1, const char *want2)
{
    if (!plain) plain = new_host();
    filter_host *h = plain;
    char err[1024] = "";
    int rc = filter_host_load(h, path, kv, n_kv, -1, err, sizeof err);
    fprintf(stderr, "   %s -> %s: %s\n", path, sq_err_name(rc), err);
    ASSERT_EQ(rc, want_rc);
    ASSERT_HAS(err, path);
    if (want1) ASSERT_HAS(err, want1);
    if (want2) ASSERT_HAS(err, want2);
}

TEST(refuses_bad_plugins)
{
    load_expect(SQ_TEST_PLUGIN_DIR "/test_filter_plugin_nosym.so", NULL, 0, SQ_E_PLUGIN_NOSYM,
                "squawk_filter_v1", NULL);
    load_expect(SQ_TEST_PLUGIN_DIR "/test_filter_plugin_abi2.so", NULL, 0, SQ_E_PLUGIN_ABI,
                "ABI 2", "ABI " SQUAWK_FILTER_STR_X_(SQUAWK_FILTER_ABI_MAJOR) "." SQUAWK_FILTER_STR_X_(SQUAWK_FILTER_ABI_MINOR));
    const char *unknown[] = {"bogus", "1"};
    load_expect(SQ_TEST_PLUGIN_DIR "/test_filter_plugin_cfg.so", unknown, 1, SQ_E_PLUGIN_CONFIG,
                "unknown config key 'bogus'", NULL);
    const char *badtype[] = {"times", "many"};
    load_expect(SQ_TEST_PLUGIN_DIR "/test_filter_plugin_cfg.so", badtype, 1, SQ_E_PLUGIN_CONFIG,
                "'times'", "not an int");
    const char *fail[] = {"fail", "yes", "word", "zap"};
    load_expect(SQ_TEST_PLUGIN_DIR "/test_filter_plugin_cfg.so", fail, 2, SQ_E_PLUGIN_INIT,
                "asked to fail (word=zap", NULL);
    load_expect(SQ_TEST_PLUGIN_DIR "/does_not_exist.so", NULL, 0, SQ_E_PLUGIN_OPEN, NULL, NULL);
    /* the built-ins refuse unknown keys too */
    load_expect(SQ_PLUGIN_DIR "/invest.so", unknown, 1, SQ_E_PLUGIN_CONFIG, "bogus", NULL);
}

TEST(refuses_world_writable)
{
    char dir[300], so[400];
    snprintf(dir, sizeof dir, "%s/ww", tmpdir);
    ASSERT_EQ(mkdir(dir, 0755), 0);
    snprintf(so, sizeof so, "%s/cfg.so", dir);
    copy_file(SQ_TEST_PLUGIN_DIR "/test_filter_plugin_cfg.so", so);
    ASSERT_EQ(chmod(so, 0666), 0);
    load_expect(so, NULL, 0, SQ_E_PLUGIN_PERM, "world-writable", NULL);
    ASSERT_EQ(chmod(so, 0644), 0);
    ASSERT_EQ(chmod(dir, 0777), 0);
    load_expect(so, NULL, 0, SQ_E_PLUGIN_PERM, "directory", NULL);
    ASSERT_EQ(chmod(dir, 0755), 0);
    /* and the same file loads once nobody else can write it */
    filter_host *h = plain;
    char err[512] = "";
    const char *kv[] = {"word", "takeover", "times", "2"};
    ASSERT_EQ(filter_host_load(h, so, kv, 2, -1, err, sizeof err), 0);
    double t;
    ASSERT_EQ(filter_host_threshold(h, 0, &t), 0);
    ASSERT_DBL_NEAR(t, 30, 1e-9); /* the plugin's own default */
    proto_alert *al = run_one(h, "takeover after takeover", "", "keyword");
    ASSERT(al != NULL);
    ASSERT_DBL_NEAR(al->score, 60, 1e-9);
    ASSERT_STR_EQ(al->evidence[0].text, "takeover");
    proto_alert_destroy(al);
    /* the filters read past a wire slug and an outlet; evidence offsets stay the article's own */
    al = run_one(h, "UPDATE 2-takeover after takeover - Reuters", "", "keyword");
    ASSERT(al != NULL);
    ASSERT_EQ(al->evidence[0].start, 9);
    ASSERT_EQ(al->evidence[0].end, 17);
    ASSERT_STR_EQ(al->evidence[0].text, "takeover");
    ASSERT_STR_EQ(al->article.headline, "UPDATE 2-takeover after takeover - Reuters");
    proto_alert_destroy(al);

    ASSERT(run_one(h, "one takeover", "", "keyword") == NULL);
    unlink(so);
    rmdir(dir);
}

TEST(matcher_errors_name_file_and_rule)
{
    char path[300], err[512] = "";
    filter_matcher *m = NULL;
    snprintf(path, sizeof path, "%s/bad.yml", tmpdir);
    write_file(path, "rules:\n  - id: ok.one\n    pattern: 'merger'\n  - id: bad.paren\n    pattern: '(unclosed'\n");
    ASSERT_EQ(filter_matcher_load(&m, path, err, sizeof err), SQ_E_HS_COMPILE);
    ASSERT_HAS(err, path);
    ASSERT_HAS(err, "bad.paren");
    write_file(path, "rules:\n  - id: x\n    pattern: 'a'\n    wieght: 2\n");
    ASSERT_EQ(filter_matcher_load(&m, path, err, sizeof err), SQ_E_RULES);
    ASSERT_HAS(err, "unknown key 'wieght'");
    write_file(path, "rules:\n  - id: x\n    pattern: 'a'\n  - id: x\n    pattern: 'b'\n");
    ASSERT_EQ(filter_matcher_load(&m, path, err, sizeof err), SQ_E_RULES);
    ASSERT_HAS(err, "duplicate id");
    write_file(path, "rules:\n  - id: m.merger\n    pattern: '\\bmerg(er|e)\\b'\n    flags: [caseless]\n    weight: 2\n    field: headline\n");
    ASSERT_EQ(filter_matcher_load(&m, path, err, sizeof err), 0);
    ASSERT_EQ(filter_matcher_size(m), 1);
    ASSERT(filter_matcher_db(m, SQUAWK_FIELD_BODY) == NULL); /* headline-only rule */
    hs_scratch_t *s = NULL;
    ASSERT_EQ(filter_matcher_alloc_scratch(m, &s), 0);
    filter_matches ms = {0};
    const char *t = "A MERGER and a merge";
    ASSERT_EQ(filter_matcher_scan(m, s, SQUAWK_FIELD_HEADLINE, t, strlen(t), &ms), 0);
    filter_matches_sort(&ms);
    ASSERT_EQ(ms.n, 2);
    ASSERT_EQ(ms.v[0].start, 2);
    ASSERT_EQ(ms.v[0].end, 8);
    ASSERT_EQ(ms.v[1].start, 15);
    filter_matches_free(&ms);
    hs_free_scratch(s);
    filter_matcher_destroy(m);
    unlink(path);
}

/* Engine v2 through the real host and the built-in chips plugin: `engine: v2`
 * reads a token-pattern pack; hits are matches with byte spans, a hit's slots
 * give the companies' roles, and a bad pack fails init with file:line. */
TEST(engine_v2_plugin)
{
    char path[300], pk[320], err[1024] = "";
    snprintf(path, sizeof path, "%s/chips_t.yml", tmpdir);
    write_file(path, "pack: chips_t\nroles: [supplier, customer]\nlexicons:\n"
                     "  supply_verb: [supply, supplies, supplied]\n  hw: [chips, GPUs]\n"
                     "rules:\n  - id: t.supply\n    comment: a supplier supplies chips to a customer\n"
                     "    pattern: '{COMPANY:supplier}? <supply_verb> ...{0,3} <hw> to {COMPANY:customer}?'\n"
                     "    weight: 3.0\n");
    snprintf(pk, sizeof pk, "%s", path);
    /* a pack of one's own without a calibration beside it keeps the built-in's (data_dir/rules/v2) */
    const char *owncal[] = {"engine", "v2", "pack", pk};
    filter_host *h = new_host();
    ASSERT_EQ(filter_host_load(h, "chips", owncal, 2, -1, err, sizeof err), 0);
    filter_host_destroy(h);
    /* a calibration file found nowhere: the load says which file and how to go without */
    const char *nocal[] = {"engine", "v2", "pack", pk, "calibration", "nope.calib.yml"};
    h = new_host();
    ASSERT(filter_host_load(h, "chips", nocal, 3, -1, err, sizeof err) != 0);
    ASSERT_HAS(err, "nope.calib.yml: cannot open");
    ASSERT_HAS(err, "\"\" for none");
    const char *kv[] = {"engine", "v2", "pack", pk, "calibration", ""};
    ASSERT_EQ(filter_host_load(h, "chips", kv, 3, -1, err, sizeof err), 0);
    /* proximity would make Microsoft (nearest before "supplies") the supplier; the slot says Nvidia */
    proto_alert *al = run_one(h, "Nvidia supplies GPUs to OpenAI, Microsoft says",
                              "Microsoft said Nvidia supplies GPUs to OpenAI.", "chips");
    ASSERT(al != NULL);
    assert_role(al, "Nvidia Corp.", "supplier");
    assert_role(al, "OpenAI", "customer");
    ASSERT_STR_EQ(al->evidence[0].rule, "t.supply");
    ASSERT_STR_EQ(al->evidence[0].text, "supplies GPUs to"); /* the words; the companies are slots */
    proto_alert_destroy(al);
    filter_host_destroy(h);
    /* a pack with an undefined lexicon: init fails naming file:line and the reason */
    write_file(path, "pack: chips_t\nroles: [supplier]\nrules:\n  - id: t.x\n    comment: x\n"
                     "    pattern: '<nope> chips'\n");
    h = new_host();
    ASSERT(filter_host_load(h, "chips", kv, 3, -1, err, sizeof err) != 0);
    ASSERT_HAS(err, path);
    ASSERT_HAS(err, ":4:");
    ASSERT_HAS(err, "nope");
    const char *bad[] = {"engine", "v9"};
    ASSERT(filter_host_load(h, "chips", bad, 1, -1, err, sizeof err) != 0);
    ASSERT_HAS(err, "engine");
    filter_host_destroy(h);
    unlink(path);
}

/* A calibration file with one problem: calib_load names the file, the line and the reason. */
static void calib_expect(const char *text, int want_rc, const char *want_line, const char *want)
{
    char path[300], err[512] = "";
    snprintf(path, sizeof path, "%s/bad.calib.yml", tmpdir);
    write_file(path, text);
    struct calib c;
    int rc = calib_load(&c, path, "invest", err, sizeof err);
    fprintf(stderr, "   -> %s: %s\n", sq_err_name(rc), err);
    ASSERT_EQ(rc, want_rc);
    ASSERT_HAS(err, path);
    if (want_line) ASSERT_HAS(err, want_line);
    ASSERT_HAS(err, want);
    ASSERT_EQ(c.rules.n + c.model.n, 0);
    unlink(path);
}

/* The calibration files: the shipped ones load; every malformed one is refused with
 * file:line and the reason; the map interpolates in logit(p) and keeps the order. */
TEST(calibration_files)
{
    const char *names[] = {"invest", "chips", "regulatory"};
    for (int i = 0; i < 3; i++) {
        char path[300], err[512] = "";
        snprintf(path, sizeof path, "%s/rules/v2/%s.calib.yml", DATA_DIR, names[i]);
        struct calib c;
        if (calib_load(&c, path, names[i], err, sizeof err)) SQ_FAIL_("%s", err);
        ASSERT_GE(c.rules.n, 2);
        for (double x = -12; x < 12; x += 0.25) /* monotone, a probability */
            ASSERT(detect_calib_apply(&c.rules, x) <= detect_calib_apply(&c.rules, x + 0.25));
        calib_free(&c);
    }
    calib_expect("filter: invest\nrules:\n  - [1]\n  - [2, 0.5]\n", SQ_E_RULES, ":3:", "a point is [x, p]");
    calib_expect("filter: invest\nrules:\n  - [1, 0.2]\n  - [1, 0.5]\n", SQ_E_RULES, ":4:", "x 1 does not increase");
    calib_expect("filter: invest\nrules:\n  - [1, 0.6]\n  - [2, 0.5]\n", SQ_E_RULES, ":4:", "never decreases");
    calib_expect("filter: invest\nrules:\n  - [1, 0.2]\n  - [2, 1]\n", SQ_E_RULES, ":4:", "not a probability");
    calib_expect("filter: invest\nmodel:\n  - [1, 0.2]\n  - [two, 0.5]\n", SQ_E_RULES, ":4:", "'two' is not a number");
    calib_expect("filter: invest\nrules:\n  - [1, 0.2]\n", SQ_E_RULES, ":3:", "1 points (2 to");
    calib_expect("filter: invest\nrules: 0.5\n", SQ_E_RULES, ":2:", "not a list of points");
    calib_expect("filter: chips\nrules:\n  - [1, 0.2]\n  - [2, 0.5]\n", SQ_E_RULES, ":1:",
                 "filter: chips, not invest");
    calib_expect("rules:\n  - [1, 0.2]\n  - [2, 0.5]\n", SQ_E_RULES, ":1:", "no 'filter: invest'");
    calib_expect("filter: invest\nrule:\n  - [1, 0.2]\n", SQ_E_RULES, ":2:", "unknown key 'rule'");
    calib_expect("filter: invest\n", SQ_E_RULES, NULL, "nothing to calibrate");
    calib_expect("filter: invest\nrules: [1, 0.2\n", SQ_E_RULES, ":", "bad.calib.yml:");
    calib_expect("- 1\n", SQ_E_RULES, ":1:", "not a mapping");
    char err[512] = "";
    struct calib c;
    ASSERT_EQ(calib_load(&c, "/nonexistent/x.calib.yml", "invest", err, sizeof err), SQ_E_IO);
    ASSERT_HAS(err, "/nonexistent/x.calib.yml: cannot open");
    /* three points: interpolated in logit(p), the end segments beyond them */
    double x[] = {-1, 0, 2}, z[] = {-2, 0, 1};
    struct detect_calib m = {3, x, z};
    ASSERT_DBL_NEAR(detect_calib_apply(&m, 0), 0.5, 1e-12);
    ASSERT_DBL_NEAR(detect_calib_apply(&m, -0.5), 1 / (1 + exp(1.0)), 1e-12);
    ASSERT_DBL_NEAR(detect_calib_apply(&m, 1), 1 / (1 + exp(-0.5)), 1e-12);
    ASSERT_DBL_NEAR(detect_calib_apply(&m, -3), 1 / (1 + exp(6.0)), 1e-12);
    ASSERT_DBL_NEAR(detect_calib_apply(&m, 4), 1 / (1 + exp(-2.0)), 1e-12);
    struct detect_calib none = {0, NULL, NULL};
    ASSERT_DBL_NEAR(detect_calib_apply(&none, 1.5), 1 / (1 + exp(-1.5)), 1e-12);
}

/* The host scores with the calibration file of config key `calibration`: the
 * raw evidence score (calibration "") through the file's map. */
TEST(calibration_scores)
{
    char path[300], err[1024] = "";
    snprintf(path, sizeof path, "%s/mine.calib.yml", tmpdir);
    write_file(path, "filter: regulatory\nrules:\n  - [-1, 0.1]\n  - [1, 0.3]\n  - [3, 0.95]\n");
    const char *raw[] = {"calibration", ""};
    const char *mine[] = {"calibration", path};
    const char *head = "EU regulators open antitrust probe into Nvidia";
    const char *body = "The European Commission said it opened an antitrust investigation into Nvidia Corp.";
    double score[2];
    for (int i = 0; i < 2; i++) {
        filter_host *h = new_host();
        ASSERT_EQ(filter_host_load(h, "regulatory", i ? mine : raw, 1, -1, err, sizeof err), 0);
        proto_alert *al = run_one(h, head, body, "regulatory");
        ASSERT(al != NULL);
        score[i] = al->score;
        proto_alert_destroy(al);
        filter_host_destroy(h);
    }
    double xs[] = {-1, 1, 3}, zs[] = {log(0.1 / 0.9), log(0.3 / 0.7), log(0.95 / 0.05)};
    struct detect_calib m = {3, xs, zs};
    ASSERT_DBL_NEAR(score[1], 100 * detect_calib_apply(&m, log(score[0] / (100 - score[0]))), 1e-6);
    /* a broken file refuses the load with its line */
    write_file(path, "filter: regulatory\nrules:\n  - [1, 0.3]\n  - [0, 0.4]\n");
    filter_host *h = new_host();
    ASSERT(filter_host_load(h, "regulatory", mine, 1, -1, err, sizeof err) != 0);
    ASSERT_HAS(err, "mine.calib.yml:4:");
    filter_host_destroy(h);
    unlink(path);
}

static double one_amount(const char *text)
{
    filter_amounts a = {0};
    ASSERT_EQ(filter_amount_extract(text, strlen(text), 1, &a), 0);
    if (a.n != 1) SQ_FAIL_("\"%s\": %zu amounts", text, a.n);
    double usd = a.v[0].usd;
    filter_amounts_free(&a);
    return usd;
}

TEST(amounts)
{
    ASSERT_DBL_NEAR(one_amount("a $10bn deal"), 10e9, 1);
    ASSERT_DBL_NEAR(one_amount("a $10B investment"), 10e9, 1);
    ASSERT_DBL_NEAR(one_amount("invest $10 billion in"), 10e9, 1);
    ASSERT_DBL_NEAR(one_amount("for 10 billion dollars"), 10e9, 1);
    ASSERT_DBL_NEAR(one_amount("for 500 mln dlrs cash"), 500e6, 1);
    ASSERT_DBL_NEAR(one_amount("raised US$2.5 billion"), 2.5e9, 1);
    ASSERT_DBL_NEAR(one_amount("paid 1,250,000 dlrs"), 1.25e6, 1e-3);
    ASSERT_DBL_NEAR(one_amount("a $1.5 trillion market"), 1.5e12, 1);
    ASSERT_DBL_NEAR(one_amount("\xe2\x82\xac" "3bn offer"), 3e9 * 1.08, 1);   /* EUR at 1.08 */
    ASSERT_DBL_NEAR(one_amount("\xc2\xa3" "200m bid"), 200e6 * 1.27, 1);     /* GBP at 1.27 */
    ASSERT_DBL_NEAR(one_amount("for 12 mln stg"), 12e6 * 1.27, 1);
    ASSERT_DBL_NEAR(one_amount("worth 40 billion yen"), 40e9 * 0.0067, 1);
    filter_amounts a = {0};
    /* a currency code or sign glued to the number */
    ASSERT_DBL_NEAR(one_amount("a EUR1.7bn offer"), 1.7e9 * 1.08, 1);
    ASSERT_DBL_NEAR(one_amount("a GBP500m bid"), 500e6 * 1.27, 1);
    ASSERT_DBL_NEAR(one_amount("raised US$2bn"), 2e9, 1);
    ASSERT_DBL_NEAR(one_amount("(USD3.2bn)"), 3.2e9, 1);
    ASSERT_DBL_NEAR(one_amount("for CAD1.5bn"), 1.5e9 * 0.73, 1);
    ASSERT_DBL_NEAR(one_amount("an AUD400m stake"), 400e6 * 0.66, 1);
    ASSERT_DBL_NEAR(one_amount("JPY100bn deal"), 100e9 * 0.0067, 1);
    ASSERT_DBL_NEAR(one_amount("a CHF2bn sale"), 2e9 * 1.13, 1);
    ASSERT_DBL_NEAR(one_amount("a HK$10bn placement"), 10e9 * 0.128, 1);
    ASSERT_DBL_NEAR(one_amount("HKD 8bn"), 8e9 * 0.128, 1);
    ASSERT_DBL_NEAR(one_amount("RMB5bn of funding"), 5e9 * 0.14, 1);
    ASSERT_DBL_NEAR(one_amount("CNY 3 billion"), 3e9 * 0.14, 1);
    /* a code inside a longer word is no currency: model names, tickers */
    const char *glued = "the XEUR1 index, RTX5090, TGBP500 and GPT4";
    ASSERT_EQ(filter_amount_extract(glued, strlen(glued), 1, &a), 0);
    if (a.n) SQ_FAIL_("a word's digits taken as an amount: %.0f at %u", a.v[0].usd, a.v[0].start);
    const char *none = "10 billion people, 5 pct, 2024, a 3bn year, version 1.5";
    ASSERT_EQ(filter_amount_extract(none, strlen(none), 1, &a), 0);
    ASSERT_EQ(a.n, 0);
    /* share prices and per-share figures are no deal amounts */
    const char *prices = "shares closed at $96.50; $12 a share in cash, 45 dlrs per share, "
                         "EPS of $1.25, the stock rose to $30 and fell from $31, $2 per ADS";
    ASSERT_EQ(filter_amount_extract(prices, strlen(prices), 1, &a), 0);
    if (a.n) SQ_FAIL_("a share price taken as an amount: %.0f at %u", a.v[0].usd, a.v[0].start);
    ASSERT_DBL_NEAR(one_amount("agreed to buy it for $3.5 billion, or $96.50 a share"), 3.5e9, 1);
    ASSERT_DBL_NEAR(one_amount("the shares, valued at $2.25 billion"), 2.25e9, 1);
    const char *two = "$5 million now and 7 mln dlrs later";
    ASSERT_EQ(filter_amount_extract(two, strlen(two), 0, &a), 0);
    ASSERT_EQ(a.n, 2);
    ASSERT_EQ(a.v[0].start, 0);
    ASSERT_EQ(a.v[0].end, 10);
    ASSERT_EQ(a.v[1].field, 0);
    filter_amounts_free(&a);
}

static const char *stage_of(filter_host *h, const char *headline, const char *body)
{
    static char buf[32];
    proto_alert *al = run_one(h, headline, body, "invest");
    ASSERT(al != NULL);
    snprintf(buf, sizeof buf, "%s", al->stage);
    proto_alert_destroy(al);
    return buf;
}

TEST(cues_give_stage)
{
    filter_host *h = builtin_host();
    ASSERT_STR_EQ(stage_of(h, "Nvidia in talks to acquire OpenAI", ""), "talks");
    ASSERT_STR_EQ(stage_of(h, "Nvidia is negotiating a takeover of OpenAI", ""), "talks");
    ASSERT_STR_EQ(stage_of(h, "Nvidia agreed to acquire OpenAI", "The companies signed a definitive agreement."), "agreed");
    ASSERT_STR_EQ(stage_of(h, "Nvidia completed the acquisition of OpenAI", ""), "completed");
    ASSERT_STR_EQ(stage_of(h, "Regulators blocked Nvidia's takeover of OpenAI", ""), "blocked");
    ASSERT_STR_EQ(stage_of(h, "Nvidia reportedly considering a bid for OpenAI", ""), "rumour");
    ASSERT_STR_EQ(stage_of(h, "Nvidia buys OpenAI stake", ""), "none");
    builtin_done(h);
}

static int confirmed_mention(filter_gaz *g, hs_scratch_t *s, const char *text, const char *ticker)
{
    const char *t[2] = {"", text};
    size_t l[2] = {0, strlen(text)};
    filter_mentions ms = {0};
    ASSERT_EQ(filter_gaz_scan(g, s, t, l, &ms), 0);
    int found = 0;
    for (size_t i = 0; i < ms.n; i++) {
        const struct squawk_entity *e = filter_gaz_entity(g, ms.v[i].entity);
        if (e->ticker && strcmp(e->ticker, ticker) == 0 && ms.v[i].confirmed) found = 1;
    }
    filter_mentions_free(&ms);
    return found;
}

TEST(ambiguous_names_need_context)
{
    filter_gaz *g = NULL;
    char err[512] = "";
    ASSERT_EQ(filter_gaz_load(&g, MINI_GAZ, err, sizeof err), 0);
    hs_scratch_t *s = NULL;
    ASSERT_EQ(filter_gaz_alloc_scratch(g, &s), 0);
    ASSERT(!confirmed_mention(g, s, "Fishing on the Amazon river is banned.", "AMZN"));
    ASSERT(!confirmed_mention(g, s, "She baked an Apple pie for the fair.", "AAPL"));
    ASSERT(!confirmed_mention(g, s, "A Shell lay on the beach.", "SHEL"));
    ASSERT(confirmed_mention(g, s, "Apple Inc said sales rose.", "AAPL"));
    ASSERT(confirmed_mention(g, s, "Amazon shares rose 3 pct.", "AMZN"));
    ASSERT(confirmed_mention(g, s, "Amazon opened a store; AWS grew.", "AMZN")); /* unambiguous alias */
    ASSERT(confirmed_mention(g, s, "Amazon (NASDAQ: AMZN) rose.", "AMZN"));
    ASSERT(confirmed_mention(g, s, "Royal Dutch Shell rose.", "SHEL"));
    ASSERT(confirmed_mention(g, s, "AMAZON TO BUY STAKE IN OPENAI, SHARES RISE", "AMZN")); /* all caps */
    ASSERT(!confirmed_mention(g, s, "amazon river", "AMZN")); /* lower case is never a name */
    ASSERT_EQ(filter_gaz_find(g, "AMZN"), filter_gaz_find(g, "Amazon.com Inc."));
    ASSERT_EQ(filter_gaz_find(g, "nobody"), -1);
    hs_free_scratch(s);
    filter_gaz_destroy(g);

    /* and through the plugins: the river is no investment target */
    filter_host *h = builtin_host();
    proto_alert *al = run_one(h, "Brazil to invest $2 billion in the Amazon river basin", "", "invest");
    if (al) {
        ASSERT(alert_entity(al, "Microsoft Corp.") == NULL);
        proto_alert_destroy(al);
    }
    al = run_one(h, "Apple pie makers merge", "", "invest");
    if (al) {
        ASSERT(alert_entity(al, "Apple Inc.") == NULL);
        proto_alert_destroy(al);
    }
    al = run_one(h, "Apple to acquire Shazam", "", "invest"); /* trigger close by: the company */
    ASSERT(al != NULL);
    ASSERT(alert_entity(al, "Apple Inc.") != NULL);
    assert_role(al, "Apple Inc.", "investor");
    proto_alert_destroy(al);
    builtin_done(h);
}

TEST(novelty)
{
    filter_novelty *n = filter_novelty_create(3600, 4);
    const char *names[] = {"Amazon.com Inc.", "OpenAI"};
    uint64_t k1 = filter_novelty_key("Amazon in talks to invest $10bn in OpenAI", names, 2);
    uint64_t k1b = filter_novelty_key("AMAZON in talks to invest $10bn in OpenAI!", names, 2);
    uint64_t k2 = filter_novelty_key("Nvidia fined by EU regulators over GPU bundling", NULL, 0);
    ASSERT_EQ(filter_novelty_distance(k1, k1b), 0); /* case and punctuation do not matter */
    ASSERT_GT(filter_novelty_distance(k1, k2), 3);
    /* a wire service's re-send of the same story is no new story */
    const char *resent[] = {"UPDATE 1-Amazon in talks to invest $10bn in OpenAI",
                            "BRIEF-Amazon in talks to invest $10bn in OpenAI",
                            "EXCLUSIVE-Amazon in talks to invest $10bn in OpenAI",
                            "CORRECTED-UPDATE 2-Amazon in talks to invest $10bn in OpenAI",
                            "RPT-Amazon in talks to invest $10bn in OpenAI"};
    for (size_t i = 0; i < sizeof resent / sizeof resent[0]; i++)
        if (filter_novelty_distance(k1, filter_novelty_key(resent[i], names, 2)) != 0)
            SQ_FAIL_("'%s' looks like a new story", resent[i]);
    ASSERT_EQ(filter_novelty_observe(n, "invest", k1, 1000), 100);
    ASSERT_EQ(filter_novelty_observe(n, "invest", k1b, 2000), 50);
    ASSERT_EQ(filter_novelty_observe(n, "invest", k1, 3000), 33);
    ASSERT_EQ(filter_novelty_observe(n, "chips", k1, 3000), 100); /* per category */
    ASSERT_EQ(filter_novelty_observe(n, "invest", k2, 4000), 100);
    /* outside the window the story is new again */
    ASSERT_EQ(filter_novelty_observe(n, "invest", k2, 4000 + 3601 * 1000LL), 100);
    /* the ring is bounded: after cap other keys the first is forgotten */
    for (int i = 0; i < 4; i++) filter_novelty_observe(n, "x", (uint64_t)i * 0x0F0F0F0F0F0F0F0FULL, 5000);
    ASSERT_EQ(filter_novelty_observe(n, "invest", k1, 6000), 100);
    filter_novelty_destroy(n);

    filter_host *h = builtin_host();
    proto_alert *a1 = run_one(h, "Alphabet agrees to merge with Nvidia in record deal", "", "invest");
    proto_alert *a2 = run_one(h, "Alphabet agrees to merge with Nvidia in record deal", "", "invest");
    ASSERT(a1 && a2);
    ASSERT_EQ(a1->novelty, 100);
    ASSERT_LT(a2->novelty, 100);
    proto_alert_destroy(a1);
    proto_alert_destroy(a2);
    builtin_done(h);
}

TEST(hostile_text_does_not_crash)
{
    filter_host *h = builtin_host();
    size_t n = 200000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++) big[i] = "acquire $1bn OpenAI Apple in talks . \n"[i % 38];
    big[n] = '\0';
    proto_alert *al = run_one(h, "x", big, "invest");
    ASSERT(al != NULL);
    ASSERT_LE(al->n_evidence, 11);
    ASSERT_LE(al->n_entities, 6);
    proto_alert_destroy(al);
    free(big);
    builtin_done(h);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sq_test_filters_XXXXXX");
    ASSERT(mkdtemp(tmpdir) != NULL);
    RUN(loads_builtins);
    RUN(background_company_is_mentioned);
    RUN(cashtag_run_tags_are_context);
    RUN(invest_headline_party_keeps_its_history);
    RUN(chips_curbed_maker_is_context);
    RUN(background_mark_stops_at_sentence_end);
    RUN(regulatory_earlier_cases_are_context);
    RUN(person_title_is_context);
    RUN(pattern_roles_outrank_proximity);
    RUN(chips_sideless_deal_sides_by_sector);
    RUN(chips_party_order_from);
    RUN(chips_party_wins_sized_order);
    RUN(context_names_get_no_topic);
    RUN(chips_party_venture_partners);
    RUN(chips_party_maker_invests);
    RUN(chips_party_dc_financier);
    RUN(chips_background_share_fall);
    RUN(chips_background_customer_and_outsider);
    RUN(chips_background_stake_seller);
    RUN(chips_awardee_role);
    RUN(invest_party_roles);
    RUN(invest_bid_answers_and_races);
    RUN(unveto_inside_a_name);
    RUN(invest_round_parties_and_rivals);
    RUN(invest_background_told_deal);
    RUN(invest_deal_earlier_this_year);
    RUN(invest_outsider_is_background);
    RUN(former_employers_in_a_list);
    RUN(invest_rival_aim_is_background);
    RUN(invest_deal_context_is_background);
    RUN(regulatory_measure_clause_subjects);
    RUN(regulatory_lead_subject);
    RUN(regulatory_comparison_is_background);
    RUN(regulatory_headline_subject);
    RUN(regulatory_lead_list_subjects);
    RUN(invest_headline_subject);
    RUN(invest_teaser_target);
    RUN(invest_joined_by_and_earlier_backers);
    RUN(invest_merger_talks_pair);
    RUN(invest_wire_lead);
    RUN(routing_context_names_and_clauses);
    RUN(chips_ticker_list_is_background);
    RUN(routing_feed_tags);
    RUN(regulatory_goods_maker_is_context);
    RUN(regulatory_visa_employers_are_subjects);
    RUN(refuses_bad_plugins);
    RUN(refuses_world_writable);
    RUN(matcher_errors_name_file_and_rule);
    RUN(amounts);
    RUN(cues_give_stage);
    RUN(ambiguous_names_need_context);
    RUN(novelty);
    RUN(hostile_text_does_not_crash);
    RUN(engine_v2_plugin);
    RUN(calibration_files);
    RUN(calibration_scores);
    filter_host_destroy(shared);
    filter_host_destroy(plain);
    rmdir(tmpdir);
    fprintf(stderr, "test_filters: ok\n");
    return 0;
}
