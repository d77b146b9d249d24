/* test_gazetteer.c -- the shipped gazetteer's entries and conventions; anonymous company mentions via the host and `squawk score`. */
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/error.h"
#include "../filters/gazetteer.h"
#include "../filters/host.h"
#include "assert.h"
#include "filter_run.h"

#define DATA_DIR SQ_SOURCE_DIR "/filters"
#define MINI_GAZ SQ_SOURCE_DIR "/tests/data/gazetteer-mini.yml"

static filter_gaz *gaz;
static hs_scratch_t *scratch;
static filter_mentions ms;

/* Scans (headline, body) into ms. */
static void scan(const char *headline, const char *body)
{
    const char *t[2] = {headline, body};
    size_t l[2] = {strlen(headline), strlen(body)};
    ASSERT_EQ(filter_gaz_scan(gaz, scratch, t, l, &ms), 0);
    for (size_t i = 1; i < ms.n; i++) /* still sorted by (field, start) */
        ASSERT(ms.v[i - 1].field < ms.v[i].field ||
               (ms.v[i - 1].field == ms.v[i].field && ms.v[i - 1].start <= ms.v[i].start));
}

/* Anonymous mentions (entity past the gazetteer) of the last scan. */
static size_t n_anon_mentions(void)
{
    size_t n = 0;
    for (size_t i = 0; i < ms.n; i++) n += ms.v[i].entity >= filter_gaz_size(gaz);
    return n;
}

/* The entity of the k-th anonymous mention; its mention is checked confirmed, unambiguous. */
static const struct squawk_entity *anon(size_t k, const struct squawk_mention **m)
{
    for (size_t i = 0; i < ms.n; i++) {
        if (ms.v[i].entity < filter_gaz_size(gaz)) continue;
        if (k-- == 0) {
            ASSERT_EQ(ms.v[i].confirmed, 1);
            ASSERT_EQ(ms.v[i].ambiguous, 0);
            if (m) *m = &ms.v[i];
            const struct squawk_entity *e = filter_mentions_entity(gaz, &ms, ms.v[i].entity);
            ASSERT(e != NULL);
            ASSERT_STR_EQ(e->kind, "company");
            ASSERT_EQ(e->size, sizeof *e);
            return e;
        }
    }
    SQ_FAIL_("no anonymous mention #%zu", k);
    return NULL;
}

static void assert_ticker(const struct squawk_entity *e, const char *ticker)
{
    if (!ticker) {
        if (e->ticker) SQ_FAIL_("%s: expected no ticker, got %s", e->name, e->ticker);
    } else {
        ASSERT_STR_EQ(e->ticker, ticker);
    }
}

/* The surface text of a mention. */
static const char *span(const char *text, const struct squawk_mention *m)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%.*s", (int)(m->end - m->start), text + m->start);
    return buf;
}

TEST(three_forms_found)
{
    const char *body = "Shares of Zorblax Widgets Inc rose after $QXN said it would sell units. "
                       "Kappa Networks <KPA> and <Dixons Group PLC> were named.";
    scan("", body);
    ASSERT_EQ(n_anon_mentions(), 4);
    const struct squawk_mention *m;
    const struct squawk_entity *e = anon(0, &m);
    ASSERT_STR_EQ(e->name, "Zorblax Widgets Inc");
    assert_ticker(e, NULL);
    ASSERT_STR_EQ(span(body, m), "Zorblax Widgets Inc");
    ASSERT_EQ(m->field, SQUAWK_FIELD_BODY);
    e = anon(1, &m);
    ASSERT_STR_EQ(e->name, "QXN");
    assert_ticker(e, "QXN");
    ASSERT_STR_EQ(span(body, m), "QXN");
    e = anon(2, &m);
    ASSERT_STR_EQ(e->name, "KPA");
    assert_ticker(e, NULL); /* a Reuters tag the gazetteer does not hold: an old wire's symbol, no topic */
    e = anon(3, &m);
    ASSERT_STR_EQ(e->name, "Dixons Group PLC");
    assert_ticker(e, NULL);

    /* every suffix shape in the brief, in mixed-case prose */
    const char *names[] = {"Modular Computer Systems Inc", "Smith & Wesson Co", "Foo Holdings Ltd",
                           "Bar AG", "Baz SA", "Qux plc", "Acme Corp", "Acme Inc", "Owens and Minor Inc",
                           "Tultex Corporation", "First Union Bancorp", "Hewlett-Packard Co",
                           "Grossman's Inc", "U.S. Steel Corp", "Bond Corp Holdings Pty Ltd"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char text[256];
        snprintf(text, sizeof text, "Analysts said %s. would report on Monday.", names[i]);
        scan("", text);
        ASSERT_EQ(n_anon_mentions(), 1);
        ASSERT_STR_EQ(anon(0, NULL)->name, names[i]);
    }
    /* cashtags with a class, tags with an exchange, ALL-CAPS wire headlines */
    scan("$BRK.B rises; <CAWL.L> falls", "");
    ASSERT_EQ(n_anon_mentions(), 2);
    assert_ticker(anon(0, NULL), "BRK.B");
    assert_ticker(anon(1, NULL), NULL);
    scan("ZORBLAX WIDGETS INC TO BUY QUUXON CORP", "");
    ASSERT_EQ(n_anon_mentions(), 2);
    ASSERT_STR_EQ(anon(0, NULL)->name, "ZORBLAX WIDGETS INC");
    ASSERT_STR_EQ(anon(1, NULL)->name, "QUUXON CORP");
    scan("Zorblax To Acquire Quuxon Holdings Ltd For $5bn", "");
    ASSERT_EQ(n_anon_mentions(), 1);
    ASSERT_STR_EQ(anon(0, NULL)->name, "Quuxon Holdings Ltd");
    /* "and" joins one name ("Owens and Minor Inc") but not two suffixed names */
    scan("", "Analysts said Zorblax Widgets Inc and Quuxon Labs Ltd would merge.");
    ASSERT_EQ(n_anon_mentions(), 2);
    ASSERT_STR_EQ(anon(0, NULL)->name, "Zorblax Widgets Inc");
    ASSERT_STR_EQ(anon(1, NULL)->name, "Quuxon Labs Ltd");
    /* a name wrapped over two wire lines reads as one */
    scan("", "talks with Modular Computer\nSystems Inc ended");
    ASSERT_STR_EQ(anon(0, NULL)->name, "Modular Computer Systems Inc");
}

/* The entity of the gazetteer mention whose surface text is `what` in field f, or -1. */
static int32_t entity_of(const char *text, uint32_t f, const char *what)
{
    for (size_t i = 0; i < ms.n; i++)
        if (ms.v[i].field == f && strcmp(span(text, &ms.v[i]), what) == 0) return (int32_t)ms.v[i].entity;
    return -1;
}

/* A short alias after a longer name that is it plus a legal form ("Zentro Corp. ... Zentro")
 * names that name's company; not before it, not where the article names the short alias's
 * own company otherwise, not where two companies extend it. */
TEST(short_alias_follows_longer_name)
{
    int32_t group = filter_gaz_find(gaz, "Zentro Group Holdings"), corp = filter_gaz_find(gaz, "Zentro Corp.");
    ASSERT(group >= 0 && corp >= 0 && group != corp);
    const char *b = "Zentro said the network would be ready next year.";
    scan("Nvidia and Zentro Corp. build an AI grid", b);
    ASSERT_EQ(entity_of(b, 1, "Zentro"), corp);
    ASSERT_EQ(ms.v[ms.n - 1].confirmed, 1);
    /* the short form first: it keeps its own company */
    const char *b2 = "Zentro Corp said it would sell the unit.";
    scan("Zentro to sell a telecom unit", b2);
    ASSERT_EQ(entity_of("Zentro to sell a telecom unit", 0, "Zentro"), group);
    /* the group named too: "Zentro" may be either, so it stays the group's */
    const char *b3 = "Zentro Group owns 40%. Zentro said so.";
    scan("Zentro Corp. shares rise", b3);
    ASSERT_EQ(entity_of(b3, 1, "Zentro"), group);
    /* two companies extend the short form: no reading wins */
    const char *b4 = "Quillon said it would grow.";
    scan("Quillon AG and Quillon Corp. merge", b4);
    ASSERT_EQ(entity_of(b4, 1, "Quillon"), filter_gaz_find(gaz, "Quillon"));
}

TEST(junk_not_found)
{
    const char *junk[][2] = {
        {"Company Said To Weigh Sale", ""},
        {"Oil Company Said To Weigh Sale Of Group Assets", ""},
        {"COMPANY SAID TO WEIGH SALE OF GROUP", ""},
        {"", "The company paid $5 and $5bn, then US$2bn and $US3bn for it."},
        {"", "Group sales rose. The Group said its Holdings fell. Its Company store closed."},
        {"", "He met the co-founder at Cobalt Inc.com and the Corporation of London."},
        {"", "<b>bold</b> <BR> <DIV> <toolong> <ABCDEFGH> < ACME >"},
        {"", "Revenue per share rose at Inc magazine; its Ltd edition sold out."},
        {"", "$ 5 $acme $TOOLONGX $US"},
        {"Nvidia Buys Stake In Startup", ""},
        /* a US state's attorney general is an authority, not a company with the German legal form */
        {"Texas AG sues Zorblax over data", "New York AG Letitia James and the State AG office said so."},
        {"TEXAS AG SUES ZORBLAX OVER DATA", ""},
    };
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++) {
        scan(junk[i][0], junk[i][1]);
        for (size_t k = 0; k < n_anon_mentions(); k++)
            fprintf(stderr, "junk %zu: %s\n", i, anon(k, NULL)->name);
        ASSERT_EQ(n_anon_mentions(), 0);
    }
    /* "AG" after any other name stays a legal form */
    scan("", "Analysts said Zorblax Texas AG would report.");
    ASSERT_EQ(n_anon_mentions(), 1);
    ASSERT_STR_EQ(anon(0, NULL)->name, "Zorblax Texas AG");
    /* an owner is no part of the name; initials alone are no name */
    scan("", "Sweden's Stora Kopparbergs AB rose. U.S. Company profits fell.");
    ASSERT_EQ(n_anon_mentions(), 1);
    ASSERT_STR_EQ(anon(0, NULL)->name, "Stora Kopparbergs AB");
    scan("$SPY $QQQ $ES $BTC and $USD fell", "");
    ASSERT_EQ(n_anon_mentions(), 0);
    /* sector funds too: a chip deal tweet's "$SMH $SOXX" routes to no fund */
    scan("$SMH $SOXX $XLK $ARKK - chip stocks rally", "");
    ASSERT_EQ(n_anon_mentions(), 0);
    /* a SPAC's units, warrants and rights beside its shares are one company, on the shares' symbol */
    scan("$ZWAC $ZWACU $ZWACW $ZWACWS $ZWACR - Zorblax SPAC in talks", "");
    ASSERT_EQ(n_anon_mentions(), 5);
    for (size_t k = 1; k < 5; k++) ASSERT_EQ(anon(k, NULL), anon(0, NULL));
    assert_ticker(anon(0, NULL), "ZWAC");
    /* a symbol one letter longer with no such suffix is another company */
    scan("$ZWAC $ZWACX rose", "");
    ASSERT(anon(0, NULL) != anon(1, NULL));
    /* a sentence opener is not part of the name */
    scan("", "The Zorblax Group said. Its Quuxon Holdings unit. Thursday. Acme Corp rose.");
    ASSERT_EQ(n_anon_mentions(), 3);
    ASSERT_STR_EQ(anon(0, NULL)->name, "Zorblax Group");
    ASSERT_STR_EQ(anon(1, NULL)->name, "Quuxon Holdings");
    ASSERT_STR_EQ(anon(2, NULL)->name, "Acme Corp");
}

TEST(gazetteer_wins_on_overlap)
{
    /* "Apple Inc", "Nvidia Corp", "$NVDA", "<MSFT>" are the gazetteer's */
    scan("Apple Inc and Nvidia Corp rise", "Microsoft <MSFT> and $NVDA gained; Amazon.com Inc said.");
    ASSERT_EQ(n_anon_mentions(), 0);
    ASSERT_GE(ms.n, 6);
    /* another share class of a company named by its ticker is that company ("$GOOG $GOOGL"), alone it is not */
    int32_t alphabet = filter_gaz_find(gaz, "GOOGL");
    ASSERT_GE(alphabet, 0);
    scan("$GOOG $GOOGL - Alphabet fined", "");
    ASSERT_EQ(n_anon_mentions(), 0);
    size_t n_alpha = 0;
    for (size_t i = 0; i < ms.n; i++) n_alpha += ms.v[i].entity == (uint32_t)alphabet;
    ASSERT_GE(n_alpha, 2);
    scan("$GOOG rose", "");
    ASSERT_EQ(n_anon_mentions(), 1);
    /* a name joined to a gazetteer name by "and" keeps its own part */
    scan("", "Apple and Zorblax Widgets Corp agreed.");
    ASSERT_EQ(n_anon_mentions(), 1);
    ASSERT_STR_EQ(anon(0, NULL)->name, "Zorblax Widgets Corp");
    /* switched off: only the gazetteer */
    filter_gaz_set_anonymous(gaz, 0);
    scan("$QXN", "Zorblax Widgets Corp <ZWC> agreed.");
    ASSERT_EQ(n_anon_mentions(), 0);
    filter_gaz_set_anonymous(gaz, 1);
}

TEST(tags_attach_and_names_share)
{
    const char *head = "ZORBLAX <ZWC> TO BUY QUUXON";
    const char *body = "Zorblax Widgets Corp <ZWC> said it agreed to buy Quuxon Systems Inc. "
                       "Zorblax Widgets Corp said $ZWC holders approved. Nvidia Corp <NVDX> advised.";
    scan(head, body);
    /* headline <ZWC>; body name + tag, name again, cashtag: one entity */
    uint32_t zwc = UINT32_MAX, quux = UINT32_MAX;
    size_t n_zwc = 0, n_nv = 0;
    int32_t nvidia = filter_gaz_find(gaz, "NVDA");
    ASSERT_GE(nvidia, 0);
    for (size_t i = 0; i < ms.n; i++) {
        const struct squawk_entity *e = filter_mentions_entity(gaz, &ms, ms.v[i].entity);
        ASSERT(e != NULL);
        const char *text = ms.v[i].field ? body : head;
        if (strcmp(e->name, "Zorblax Widgets Corp") == 0) {
            if (zwc != UINT32_MAX) ASSERT_EQ(ms.v[i].entity, zwc);
            zwc = ms.v[i].entity;
            n_zwc++;
            assert_ticker(e, "ZWC");
        } else if (strcmp(e->name, "Quuxon Systems Inc") == 0) {
            quux = ms.v[i].entity;
            assert_ticker(e, NULL);
        } else if (ms.v[i].entity == (uint32_t)nvidia) {
            n_nv++; /* "Nvidia" and its tag "<NVDX>" */
            if (strcmp(span(text, &ms.v[i]), "NVDX") == 0) ASSERT_EQ(ms.v[i].field, 1);
        } else {
            SQ_FAIL_("unexpected entity %s at \"%s\"", e->name, span(text, &ms.v[i]));
        }
    }
    ASSERT_EQ(n_zwc, 5);
    ASSERT_NE(quux, UINT32_MAX);
    ASSERT_EQ(n_nv, 2);
    ASSERT_EQ(ms.n_anon, 2); /* Zorblax Widgets Corp, Quuxon Systems Inc: no entity for a tag */
    ASSERT_EQ(filter_mentions_find(gaz, &ms, "ZWC"), (int32_t)zwc);
    ASSERT_EQ(filter_mentions_find(gaz, &ms, "Quuxon Systems Inc"), (int32_t)quux);
    ASSERT_EQ(filter_mentions_find(gaz, &ms, "nobody"), -1);
    ASSERT(filter_mentions_entity(gaz, &ms, (uint32_t)(filter_gaz_size(gaz) + ms.n_anon)) == NULL);
    /* the same name in the headline's capitals is the same company, named as the body writes it */
    scan("QUUXON SYSTEMS INC UP", "Quuxon Systems Inc rose.");
    ASSERT_EQ(n_anon_mentions(), 2);
    ASSERT_EQ(ms.n_anon, 1);
    ASSERT_STR_EQ(anon(0, NULL)->name, "Quuxon Systems Inc");
}

/* 1 when the last scan found entity at byte offset start. */
static int mentions_entity_at(uint32_t entity, uint32_t start)
{
    for (size_t i = 0; i < ms.n; i++)
        if (ms.v[i].entity == entity && ms.v[i].start == start) return 1;
    return 0;
}

/* Non-ASCII punctuation ends a name as ASCII does: curly possessives
 * ("Nvidia’s", common in modern news), no-break spaces, em dashes; a
 * non-ASCII letter still continues a word ("Nvidiaé" is no mention). */
TEST(unicode_punctuation_ends_names)
{
    int32_t nv = filter_gaz_find(gaz, "NVDA"), ms_ = filter_gaz_find(gaz, "MSFT");
    ASSERT(nv >= 0 && ms_ >= 0);
    scan("Nvidia\u2019s deal with Microsoft\u2014and more", "");
    ASSERT(mentions_entity_at((uint32_t)nv, 0));
    ASSERT(mentions_entity_at((uint32_t)ms_, 21));
    scan("\u201cNvidia\u201d to buy\u00a0Microsoft\u2026", "");
    ASSERT(mentions_entity_at((uint32_t)nv, 3));
    ASSERT(mentions_entity_at((uint32_t)ms_, 21));
    scan("Nvidia\u00e9 and Microsofts", "");
    ASSERT(!mentions_entity_at((uint32_t)nv, 0));
    ASSERT(!mentions_entity_at((uint32_t)ms_, 13));
}

TEST(hostile_text)
{
    /* long runs of every trigger shape, unterminated brackets, a lone '$' at the end */
    size_t n = 300000;
    char *big = malloc(n + 1);
    ASSERT(big != NULL);
    const char *pat = "Acme Corp <ACME> $ACME <Foo Bar Ltd> Group Inc Inc Ltd <<<$$ Co. ";
    size_t pl = strlen(pat);
    for (size_t i = 0; i < n; i++) big[i] = pat[i % pl];
    big[n - 1] = '$';
    big[n] = '\0';
    scan("<", big);
    ASSERT_GT(n_anon_mentions(), 0);
    ASSERT_LE(ms.n_anon, 256);
    free(big);
}

/* Writes a one-entity gazetteer with the given `anonymous:` line and loads it. */
/* Loads a gazetteer of the given text into *g (written to a temporary file). */
static int load_text(const char *text, filter_gaz **g, char *err, size_t errlen)
{
    char path[] = "/tmp/sq_test_gaz_yml_XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    FILE *f = fdopen(fd, "w");
    ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
    int rc = filter_gaz_load(g, path, err, errlen);
    unlink(path);
    return rc;
}

static int load_with(const char *line, filter_gaz **g, char *err, size_t errlen)
{
    char text[512];
    snprintf(text, sizeof text, "%s\nentities:\n  - name: Zorblax Widgets Inc\n    ticker: ZWI\n", line);
    return load_text(text, g, err, errlen);
}

/* Ticker convention (gazetteer.yml's header): a US symbol (class ".B"), or a
 * home listing with its Yahoo-Finance suffix in that exchange's own shape. */
static const char *const ticker_shapes[] = {
    "^[A-Z]{1,5}(\\.[A-Z])?$",                    /* AAPL, BRK.B, and US-listed ADRs: TSM, BABA */
    "^[0-9]{6}\\.K[SQ]$",                         /* Korea: 005930.KS, 196170.KQ */
    "^[0-9]{3}[0-9A-Z]\\.T$",                     /* Tokyo: 9984.T, 285A.T */
    "^[0-9]{4}\\.TWO?$",                          /* Taiwan: 2454.TW, 5347.TWO */
    "^[0-9]{4}\\.HK$",                            /* Hong Kong: 0700.HK */
    "^[0-9]{6}\\.S[SZ]$",                         /* Shanghai, Shenzhen: 688256.SS, 300750.SZ */
    "^[0-9]{4}\\.SR$",                            /* Riyadh: 2222.SR */
    "^[A-Z0-9][A-Z0-9&-]{0,11}\\.(NS|BO|L|PA|DE|AS|MI|MC|BR|LS|VI|HE|ST|CO|OL|SW|TO|AX|SI|ME|JK|IR|SA|MX|SN|TA|KL|BK|PS|VN|JO|IS|WA|AE|QA|KW|NZ)$",
    NULL};

static int ticker_shape_ok(regex_t *re, const char *t)
{
    for (size_t i = 0; ticker_shapes[i]; i++)
        if (regexec(&re[i], t, 0, NULL, 0) == 0) return 1;
    return 0;
}

/* Does scanning text find a mention of entity e? */
static int finds(filter_gaz *g, hs_scratch_t *s, const char *text, uint32_t e)
{
    const char *t[2] = {"", text};
    size_t l[2] = {0, strlen(text)};
    ASSERT_EQ(filter_gaz_scan(g, s, t, l, &ms), 0);
    for (size_t i = 0; i < ms.n; i++)
        if (ms.v[i].entity == e) return 1;
    return 0;
}

/* Every entry of filters/gazetteer.yml loads (the loader refuses an alias of
 * two entities), is found by its name, has sectors, and a ticker in the
 * convention's shape that no other entity has. */
TEST(shipped_gazetteer_entries)
{
    filter_gaz *g = NULL;
    hs_scratch_t *s = NULL;
    char err[512] = "";
    int rc = filter_gaz_load(&g, DATA_DIR "/gazetteer.yml", err, sizeof err);
    if (rc) fprintf(stderr, "gazetteer: %s\n", err);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(filter_gaz_alloc_scratch(g, &s), 0);
    regex_t re[sizeof ticker_shapes / sizeof *ticker_shapes];
    for (size_t i = 0; ticker_shapes[i]; i++) ASSERT_EQ(regcomp(&re[i], ticker_shapes[i], REG_EXTENDED | REG_NOSUB), 0);
    size_t n_tick = 0;
    for (uint32_t e = 0; e < filter_gaz_size(g); e++) {
        const struct squawk_entity *x = filter_gaz_entity(g, e);
        char text[512];
        snprintf(text, sizeof text, "On Monday %s said it would go ahead.", x->name);
        if (!finds(g, s, text, e)) SQ_FAIL_("entity %s: its name is not found in \"%s\"", x->name, text);
        if (strcmp(x->kind, "company") == 0 && !*x->sectors) SQ_FAIL_("company %s has no sectors", x->name);
        if (!x->ticker) continue;
        n_tick++;
        if (strcmp(x->kind, "company") != 0) SQ_FAIL_("%s %s has a ticker", x->kind, x->name);
        if (!ticker_shape_ok(re, x->ticker)) SQ_FAIL_("entity %s: ticker '%s' breaks the convention", x->name, x->ticker);
        if (filter_gaz_find(g, x->ticker) != (int32_t)e) SQ_FAIL_("ticker %s: two entities", x->ticker);
        /* the ticker is found where it is written as one */
        snprintf(text, sizeof text, "Shares of $%s rose; (NYSE: %s) too.", x->ticker, x->ticker);
        if (!finds(g, s, text, e)) SQ_FAIL_("entity %s: cashtag $%s not found", x->name, x->ticker);
    }
    /* two companies share a stem: "SoftBank Corp" (the period dropped) is today's telecom
     * operator, not SoftBank Group, whose alias "SoftBank" would otherwise take the mention */
    int32_t telecom = filter_gaz_find(g, "9434.T"), group = filter_gaz_find(g, "9984.T");
    ASSERT(telecom >= 0 && group >= 0);
    ASSERT(finds(g, s, "SoftBank Corp agreed to buy servers.", (uint32_t)telecom));
    ASSERT(!finds(g, s, "SoftBank Corp agreed to buy servers.", (uint32_t)group));
    ASSERT(finds(g, s, "SoftBank Group Corp led the round.", (uint32_t)group));
    ASSERT(!finds(g, s, "SoftBank Group Corp led the round.", (uint32_t)telecom));
    /* a subsidiary's short name maps to its listed parent: GIP is BlackRock's since 2024 */
    int32_t blk = filter_gaz_find(g, "BLK");
    ASSERT(blk >= 0);
    ASSERT(finds(g, s, "KKR and GIP are among the bidders for the fibre network.", (uint32_t)blk));
    for (size_t i = 0; ticker_shapes[i]; i++) regfree(&re[i]);
    /* coverage: a few of each market the header promises, by ticker */
    const char *const sample[] = {"AAPL", "KO", "BALL", "WDAY", "MELI", "ASML", "SAP", "ALV.DE", "SU.PA",
        "IBE.MC", "ISP.MI", "ING", "TM", "6098.T", "005930.KS", "207940.KS", "TSM", "2881.TW", "TCEHY",
        "1398.HK", "600519.SS", "RELIANCE.NS", "HDB", "TCS.NS", "LSEG.L", "TSCO.L", "AZN", NULL};
    for (size_t i = 0; sample[i]; i++)
        if (filter_gaz_find(g, sample[i]) < 0) SQ_FAIL_("no entity with ticker %s", sample[i]);
    ASSERT_GE(n_tick, 1400);
    /* private AI, chip and cloud companies have no ticker and are found by name */
    const char *const labs[] = {"OpenAI", "Anthropic", "xAI", "Mistral AI", "Databricks", "Cerebras", "Groq",
                                "SambaNova", "Lambda Labs", "Crusoe Energy", "Nscale",
                                /* space, defence, cybersecurity, fintech and data-centre companies (session 36) */
                                "Blue Origin", "Castelion", "Cyera", "Rippling", "Yotta Data Services",
                                "Vulcan Elements", NULL};
    for (size_t i = 0; labs[i]; i++) {
        int32_t e = filter_gaz_find(g, labs[i]);
        if (e < 0) SQ_FAIL_("private company %s missing", labs[i]);
        ASSERT(filter_gaz_entity(g, (uint32_t)e)->ticker == NULL);
    }
    /* the short name a company goes by is an alias, not only its legal name ("SAP", "PDD"); brands
     * and units are their listed parent's; and mid caps that deal news names are covered */
    const char *const short_names[][2] = {{"SAP", "SAP agreed to buy a software maker."},
                                          {"PDD", "PDD said sales rose."},
                                          {"TPG", "Buyout group TPG made an offer."},
                                          {"BAESY", "BAE won a defence order."},
                                          {"1299.HK", "Insurer AIA raised its dividend."},
                                          /* a brand or unit maps to its listed parent (GUIDE) */
                                          {"AMZN", "Zoox will test its robotaxis in a new city."},
                                          {"DIS", "Hulu raised its prices again."},
                                          {"005380.KS", "Boston Dynamics showed a new robot."},
                                          /* corporate venture arms are their parent's */
                                          {"GOOGL", "The round was led by GV and CapitalG."},
                                          {"AMZN", "The Alexa Fund joined the seed round."},
                                          {"NVDA", "NVentures joined the round."},
                                          /* the OTC ADR the annotation convention uses, as for LVMUY */
                                          {"LRLCY", "L'Oreal agreed to buy the brand."},
                                          {"PPRUY", "Kering agreed to sell its beauty arm."},
                                          /* mid caps in deal news */
                                          {"DBX", "Dropbox agreed to buy a start-up."},
                                          {"JHG", "Janus Henderson agreed a takeover."},
                                          /* units, former names and a ticker written as the name (session 36) */
                                          {"CON.DE", "Continental agreed to sell ContiTech's car-parts arm."},
                                          {"0001.HK", "Three UK and Vodafone completed their merger."},
                                          {"2222.SR", "Motiva Enterprises will expand its Port Arthur refinery."},
                                          {"TXNM", "Blackstone agreed to buy New Mexico utility TXNM."},
                                          {"GTY", "Getty Petroleum Corp said its board declared a dividend."},
                                          /* listings of 2024-2026 deal and stake news (session 36) */
                                          {"LAC", "The Energy Department took a stake in Lithium Americas."},
                                          {"002493.SZ", "Aramco raised its stake in Rongsheng Petrochemical."},
                                          {"ELVR", "Sayona Mining completed its merger with Piedmont Lithium."},
                                          {"HWO.TO", "Precision Drilling bought assets of High Arctic Energy Services."},
                                          /* the short name an "X Group" or "X Holdings" goes by (session 36) */
                                          {"KGX.DE", "Carlyle is in talks to buy Kion's software unit."},
                                          {"FRAS.L", "Frasers raised its stake in the retailer."},
                                          {"TQ5.SI", "Frasers Property agreed to sell a mall."}};
    for (size_t i = 0; i < sizeof short_names / sizeof *short_names; i++) {
        int32_t e = filter_gaz_find(g, short_names[i][0]);
        ASSERT(e >= 0);
        if (!finds(g, s, short_names[i][1], (uint32_t)e)) SQ_FAIL_("%s: not found in \"%s\"", short_names[i][0], short_names[i][1]);
    }
    /* Singapore's Frasers Property is not Frasers Group */
    ASSERT(!finds(g, s, "Frasers Property agreed to sell a mall.", (uint32_t)filter_gaz_find(g, "FRAS.L")));
    /* Getty Oil (Texaco's since 1984) is neither Getty Images nor Getty Petroleum (Getty Realty) */
    int32_t gety = filter_gaz_find(g, "GETY"), gty = filter_gaz_find(g, "GTY"), getty_oil = filter_gaz_find(g, "Getty Oil");
    ASSERT(gety >= 0 && gty >= 0 && getty_oil >= 0);
    ASSERT(filter_gaz_entity(g, (uint32_t)getty_oil)->ticker == NULL);
    ASSERT(finds(g, s, "Texaco bought Getty Oil in 1984.", (uint32_t)getty_oil));
    ASSERT(!finds(g, s, "Texaco bought Getty Oil in 1984.", (uint32_t)gety));
    ASSERT(!finds(g, s, "Texaco bought Getty Oil in 1984.", (uint32_t)gty));
    /* "ICE" in the news is the US immigration agency; the exchange goes by its full name */
    int32_t ice = filter_gaz_find(g, "ICE"), agency = filter_gaz_find(g, "Immigration and Customs Enforcement");
    ASSERT(ice >= 0 && agency >= 0 && ice != agency);
    ASSERT_STR_EQ(filter_gaz_entity(g, (uint32_t)agency)->kind, "regulator");
    ASSERT(!finds(g, s, "ICE agents raided a battery plant.", (uint32_t)ice));
    ASSERT(finds(g, s, "Intercontinental Exchange owns the NYSE.", (uint32_t)ice));
    /* an apostrophe also matches the typographic one news copy uses */
    int32_t lo = filter_gaz_find(g, "L'Oreal"), mcd = filter_gaz_find(g, "MCD");
    ASSERT(lo >= 0 && mcd >= 0);
    ASSERT(finds(g, s, "Kering sells its beauty arm to L\xe2\x80\x99Or\xc3\xa9" "al.", (uint32_t)lo));
    ASSERT(finds(g, s, "McDonald\xe2\x80\x99s said sales rose.", (uint32_t)mcd));
    ASSERT(finds(g, s, "McDonald's said sales rose.", (uint32_t)mcd));
    hs_free_scratch(s);
    filter_gaz_destroy(g);
}

/* A gazetteer where two entities share an alias (in any case) does not load. */
/* A listed company's venture arm is an alias of the company (GUIDE: a unit maps to its listed
 * parent); an absorbed company keeps an entry without a ticker (Sprint, now T-Mobile's). */
TEST(venture_arms_and_absorbed)
{
    filter_gaz *g = NULL;
    char err[512] = "";
    ASSERT_EQ(filter_gaz_load(&g, DATA_DIR "/gazetteer.yml", err, sizeof err), 0);
    int32_t eqt = filter_gaz_find(g, "EQT AB");
    ASSERT(eqt >= 0);
    ASSERT_EQ(filter_gaz_find(g, "EQT Ventures"), eqt);
    ASSERT_EQ(filter_gaz_find(g, "Next47"), filter_gaz_find(g, "Siemens AG"));
    int32_t sprint = filter_gaz_find(g, "Sprint Corp.");
    ASSERT(sprint >= 0);
    ASSERT(filter_gaz_entity(g, (uint32_t)sprint)->ticker == NULL);
    /* a name ending in an abbreviation's period is also found without it, as headlines write it */
    int32_t mc = filter_gaz_find(g, "Mitsubishi Corp.");
    ASSERT(mc >= 0);
    ASSERT_EQ(filter_gaz_find(g, "Mitsubishi Corp"), mc);
    filter_gaz_destroy(g);
}

/* Loading yaml (written to a file) fails with an error naming the file and saying want. */
static void expect_load_error(const char *yaml, const char *want)
{
    char path[] = "/tmp/sq_test_gaz_bad_XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    FILE *f = fdopen(fd, "w");
    ASSERT(f != NULL);
    fputs(yaml, f);
    fclose(f);
    filter_gaz *g = NULL;
    char err[512] = "";
    ASSERT_EQ(filter_gaz_load(&g, path, err, sizeof err), SQ_E_GAZETTEER);
    ASSERT(g == NULL);
    ASSERT(strstr(err, path) != NULL);
    if (!strstr(err, want)) fprintf(stderr, "error: %s\n", err);
    ASSERT(strstr(err, want) != NULL);
    unlink(path);
}

TEST(alias_of_two_entities_refused)
{
    expect_load_error("entities:\n  - name: Zorblax Widgets Inc\n    aliases: [Zorblax, ZORBLAX]\n"
                      "  - name: Quuxon Holdings Ltd\n    aliases: [Quuxon, zorblax]\n",
                      ":4: entity Quuxon Holdings Ltd: alias 'zorblax' already belongs to Zorblax Widgets Inc (line 2)");
}

TEST(switch_in_gazetteer_file)
{
    filter_gaz *g = NULL;
    char err[512] = "";
    ASSERT_EQ(load_with("anonymous: false", &g, err, sizeof err), 0);
    ASSERT_EQ(filter_gaz_anonymous(g), 0);
    filter_gaz_destroy(g);
    ASSERT_EQ(load_with("anonymous: yes", &g, err, sizeof err), 0);
    ASSERT_EQ(filter_gaz_anonymous(g), 1);
    filter_gaz_destroy(g);
    ASSERT_EQ(load_with("# no key", &g, err, sizeof err), 0);
    ASSERT_EQ(filter_gaz_anonymous(g), 1);
    filter_gaz_destroy(g);
    ASSERT_NE(load_with("anonymous: maybe", &g, err, sizeof err), 0);
    ASSERT(strstr(err, "anonymous: expected true or false") != NULL);
    ASSERT_EQ(load_with("anonymous: OFF", &g, err, sizeof err), 0);
    ASSERT_EQ(filter_gaz_anonymous(g), 0);
    filter_gaz_destroy(g);
}

/* Scans headline h with gazetteer g (and a scratch for it, into *sc) into ms. */
static void scan_own(filter_gaz *g, hs_scratch_t **sc, const char *h)
{
    ASSERT_EQ(filter_gaz_alloc_scratch(g, sc), 0);
    const char *t[2] = {h, ""};
    size_t l[2] = {strlen(h), 0};
    ASSERT_EQ(filter_gaz_scan(g, *sc, t, l, &ms), 0);
}

/* `retired:` symbols: a tag of one names a company without a ticker (no topic for a symbol nobody
 * holds); a list that is no list, a non-symbol, or a listed entity's ticker is a load error. So does a
 * lone cashtag of a foreign company's OTC ordinary line (five capitals ending in F: the convention routes
 * it to its home listing); an ADR line (Y) and a four- or six-letter symbol keep theirs. A Reuters tag
 * the gazetteer does not hold names its company without a ticker too (an old wire's symbol). */
TEST(retired_symbols_name_no_ticker)
{
    filter_gaz *g = NULL;
    hs_scratch_t *sc = NULL;
    char err[512] = "";
    ASSERT_EQ(load_with("retired: [QWRT, QWZX]", &g, err, sizeof err), 0);
    scan_own(g, &sc, "$QWRT - buyer walks away from its $4bn deal; $QWRS shares fall; $QWRTF $QWRTY $QWRF $QWRTFF <QWZXF>");
    int seen = 0;
    for (size_t i = 0; i < ms.n; i++) {
        const struct squawk_entity *e = filter_mentions_entity(g, &ms, ms.v[i].entity);
        ASSERT(e != NULL);
        if (strcmp(e->name, "QWRT") == 0) assert_ticker(e, NULL), seen |= 1;
        if (strcmp(e->name, "QWRS") == 0) assert_ticker(e, "QWRS"), seen |= 2; /* not retired: its own symbol */
        if (strcmp(e->name, "QWRTF") == 0) assert_ticker(e, NULL), seen |= 4;
        if (strcmp(e->name, "QWRTY") == 0) assert_ticker(e, "QWRTY"), seen |= 8;
        if (strcmp(e->name, "QWRF") == 0) assert_ticker(e, "QWRF"), seen |= 16;
        if (strcmp(e->name, "QWRTFF") == 0) assert_ticker(e, "QWRTFF"), seen |= 32;
        if (strcmp(e->name, "QWZXF") == 0) assert_ticker(e, NULL), seen |= 64; /* a Reuters tag: no topic */
    }
    ASSERT_EQ(seen, 127);
    hs_free_scratch(sc);
    filter_gaz_destroy(g);
    ASSERT_EQ(load_with("retired: QWRT", &g, err, sizeof err), SQ_E_GAZETTEER);
    ASSERT(strstr(err, ":1: retired: expected a list of symbols") != NULL);
    ASSERT_EQ(load_with("retired: ['$QWRT']", &g, err, sizeof err), SQ_E_GAZETTEER);
    ASSERT(strstr(err, ":1: retired: '$QWRT' is not a symbol") != NULL);
    ASSERT_EQ(load_with("retired: [ZWI]", &g, err, sizeof err), SQ_E_GAZETTEER);
    ASSERT(strstr(err, ":1: retired: ZWI is the ticker of Zorblax Widgets Inc") != NULL);
    ASSERT(g == NULL);
}

/* An entity's `symbols:` -- a symbol it traded under before a rename, or a foreign company's
 * over-the-counter ADR line -- name it in a cashtag or after an exchange ("$QBLK", "(OTC: QBLKY)"),
 * routed to its own ticker; a Reuters tag of one names the company that held it then (an old
 * wire's), not this one. A symbol that is retired, another entity's ticker or written twice, or
 * that is no symbol, is a load error. */
TEST(symbols_name_their_company)
{
    static const char *const base = "retired: [QOLD]\nentities:\n"
                                    "  - name: Quarblock Inc\n    ticker: QBX\n    symbols: [QBLK, QBLKY]\n"
                                    "  - name: Zorblax Widgets Inc\n    ticker: ZWI\n";
    filter_gaz *g = NULL;
    hs_scratch_t *sc = NULL;
    char err[512] = "";
    ASSERT_EQ(load_text(base, &g, err, sizeof err), 0);
    const char *h = "$QBLK rises after (OTC: QBLKY) holders back the deal; <QBLK> and $QBX too";
    scan_own(g, &sc, h);
    int seen = 0;
    for (size_t i = 0; i < ms.n; i++) {
        const struct squawk_entity *e = filter_mentions_entity(g, &ms, ms.v[i].entity);
        ASSERT(e != NULL);
        const char *sp = span(h, &ms.v[i]);
        int own = strcmp(e->name, "Quarblock Inc") == 0;
        if (strcmp(sp, "QBLK") == 0 && ms.v[i].start == 1 && own) seen |= 1;
        if (strcmp(sp, "QBLKY") == 0 && own) seen |= 2;
        if (strcmp(sp, "QBX") == 0 && own) seen |= 4;
        if (strcmp(sp, "QBLK") == 0 && h[ms.v[i].start - 1] == '<') {
            ASSERT(!own);
            assert_ticker(e, NULL);
            seen |= 8;
        }
        if (own) assert_ticker(e, "QBX");
    }
    ASSERT_EQ(seen, 15);
    hs_free_scratch(sc);
    filter_gaz_destroy(g);
    g = NULL;
    static const struct {
        const char *symbols, *msg;
    } bad[] = {{"[QOLD]", "entity Quarblock Inc: symbols: QOLD is retired"},
               {"[ZWI]", "entity Quarblock Inc: symbols: ZWI is the ticker of Zorblax Widgets Inc"},
               {"[QBX]", "entity Quarblock Inc: symbols: QBX is the ticker of Quarblock Inc"},
               {"[QBLK, QBLK]", "entity Quarblock Inc: symbols: QBLK is already a symbol of Quarblock Inc"},
               {"QBLK", "entity Quarblock Inc: symbols must be a list of symbols"},
               {"['$QBLK']", "entity Quarblock Inc: symbols: '$QBLK' is not a symbol"},
               {NULL, NULL}};
    for (size_t k = 0; bad[k].symbols; k++) {
        char text[512];
        snprintf(text, sizeof text,
                 "retired: [QOLD]\nentities:\n  - name: Quarblock Inc\n    ticker: QBX\n    symbols: %s\n"
                 "  - name: Zorblax Widgets Inc\n    ticker: ZWI\n",
                 bad[k].symbols);
        ASSERT_EQ(load_text(text, &g, err, sizeof err), SQ_E_GAZETTEER);
        ASSERT(g == NULL);
        if (!strstr(err, bad[k].msg)) SQ_FAIL_("%s: got '%s'", bad[k].msg, err);
    }
}

/* ---- through the host: plugins resolve anonymous entities with host->entity() ---- */

static filter_host *invest_host(int anonymous)
{
    setenv("SQUAWK_GAZETTEER", MINI_GAZ, 1);
    filter_host_opts o = {.data_dir = DATA_DIR, .plugin_dir = SQ_BINARY_DIR "/plugins",
                          .anonymous = anonymous};
    filter_host *h = NULL;
    char err[512] = "";
    int rc = filter_host_create(&h, &o, err, sizeof err);
    if (rc) fprintf(stderr, "host: %s\n", err);
    ASSERT_EQ(rc, 0);
    rc = filter_host_load(h, "invest", NULL, 0, -1, err, sizeof err);
    if (rc) fprintf(stderr, "load: %s\n", err);
    ASSERT_EQ(rc, 0);
    return h;
}

TEST(host_resolves_anonymous_entities)
{
    const char *head = "Zorblax Widgets Inc <ZWI> to acquire Quuxon Holdings Ltd";
    filter_host *h = invest_host(1);
    proto_alert *al = run_one(h, head, "", "invest");
    ASSERT(al != NULL);
    const proto_entity *a = alert_entity(al, "Zorblax Widgets Inc");
    const proto_entity *b = alert_entity(al, "Quuxon Holdings Ltd");
    ASSERT(a != NULL && b != NULL);
    ASSERT(a->ticker == NULL); /* an old wire's tag the gazetteer does not hold names no topic */
    ASSERT(b->ticker == NULL);
    ASSERT_STR_EQ(a->role, "investor");
    ASSERT_STR_EQ(b->role, "target");
    double on = al->score;
    proto_alert_destroy(al);
    /* the next article's entities are its own */
    al = run_one(h, "$QXN to acquire Nvidia", "", "invest");
    ASSERT(al != NULL);
    ASSERT(alert_entity(al, "Zorblax Widgets Inc") == NULL);
    ASSERT(alert_entity(al, "QXN") != NULL);
    ASSERT_STR_EQ(alert_entity(al, "QXN")->role, "investor");
    proto_alert_destroy(al);
    filter_host_destroy(h);

    h = invest_host(-1); /* switched off: no entity, a lower score */
    al = run_one(h, head, "", "invest");
    ASSERT(al != NULL);
    ASSERT_EQ(al->n_entities, 0);
    ASSERT_LT(al->score, on);
    proto_alert_destroy(al);
    filter_host_destroy(h);
}

/* ---- end to end: `squawk score` gives an unknown company its role ---- */

static char *run_score(const char *dir, const char *env)
{
    const char *bin = getenv("SQUAWK_BIN");
    ASSERT(bin != NULL);
    char cmd[2048], out[512];
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    snprintf(cmd, sizeof cmd, "%s '%s' score --all --filter invest --data-dir '%s/data' '%s/a.txt' > '%s'",
             env, bin, dir, dir, out);
    ASSERT_EQ(system(cmd), 0);
    FILE *f = fopen(out, "r");
    ASSERT(f != NULL);
    static char line[1 << 16];
    size_t n = fread(line, 1, sizeof line - 1, f);
    line[n] = '\0';
    fclose(f);
    return line;
}

static const char *role_of(const char *jsonl, const char *name)
{
    static char role[32];
    json_error_t je;
    json_t *al = json_loads(jsonl, JSON_DISABLE_EOF_CHECK, &je);
    if (!al) SQ_FAIL_("bad JSON: %s", je.text);
    size_t i;
    json_t *e;
    role[0] = '\0';
    json_array_foreach(json_object_get(al, "entities"), i, e)
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            snprintf(role, sizeof role, "%s", json_string_value(json_object_get(e, "role")));
    json_decref(al);
    return role;
}

TEST(score_end_to_end)
{
    char dir[] = "/tmp/sq_test_gaz_XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    char cmd[2048];
    /* a snapshot of the shipped data (packs and rescoring models): rule packs change under a running test otherwise */
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/data/rules/v2' && cp '%s/gazetteer.yml' '%s/data/' && cp '%s'/rules/*.yml '%s/data/rules/'"
             " && cp '%s'/rules/v2/*.yml '%s'/rules/v2/*.lm '%s/data/rules/v2/'",
             dir, DATA_DIR, dir, DATA_DIR, dir, DATA_DIR, DATA_DIR, dir);
    ASSERT_EQ(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/a.txt", dir);
    FILE *f = fopen(cmd, "w");
    ASSERT(f != NULL);
    fputs("Zorblax Widgets Inc agrees to acquire Quuxon Holdings Ltd\n", f);
    fclose(f);
    ASSERT_STR_EQ(role_of(run_score(dir, ""), "Quuxon Holdings Ltd"), "target");
    ASSERT_STR_EQ(role_of(run_score(dir, ""), "Zorblax Widgets Inc"), "investor");
    ASSERT_STR_EQ(role_of(run_score(dir, "SQUAWK_ENGINE__ANONYMOUS_COMPANIES=false"), "Quuxon Holdings Ltd"), "");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
}

/* The shipped gazetteer (DATA_DIR), loaded once, and a scan of headline and body with it into ms. */
static filter_gaz *shipped;
static hs_scratch_t *shipped_sc;

static void scan_shipped(const char *headline, const char *body)
{
    char err[512] = "";
    if (!shipped) {
        ASSERT_EQ(filter_gaz_load(&shipped, DATA_DIR "/gazetteer.yml", err, sizeof err), 0);
        ASSERT_EQ(filter_gaz_alloc_scratch(shipped, &shipped_sc), 0);
    }
    const char *t[2] = {headline, body};
    size_t l[2] = {strlen(headline), strlen(body)};
    ASSERT_EQ(filter_gaz_scan(shipped, shipped_sc, t, l, &ms), 0);
}

/* An ambiguous alias followed by a number or a product line's word is a product ("RTX 5090", "RTX Pro"),
 * never the company; with company words around it, it is the company. */
TEST(model_number_is_no_company)
{
    scan_shipped("China told companies to stop buying its RTX Pro 6000D", /* a product line's word */
                 "Gamers queued for the RTX 5090 card. Separately, RTX shares rose.");
    int32_t rtx = filter_gaz_find(shipped, "RTX");
    ASSERT(rtx >= 0);
    int product = 0, company = 0;
    for (size_t i = 0; i < ms.n; i++) {
        if (ms.v[i].entity != (uint32_t)rtx) continue;
        if (ms.v[i].ambiguous == 2 && !ms.v[i].confirmed) product++;
        if (ms.v[i].confirmed) company++;
    }
    ASSERT_EQ(product, 2);
    ASSERT_EQ(company, 1);
}

/* A number after an ambiguous alias that is an amount ("fines Apple 500 million euros", "Meta 200m",
 * "Shell 10%") or a span of time ("gives Apple 30 days") is no model number: the mention stays the
 * company's to confirm. */
TEST(amount_after_name_is_no_model_number)
{
    static const char *const heads[] = {"EU fines Apple 500 million euros", "EU fines Apple 1.8bn euros",
                                        "Regulator fines Apple 10% of turnover", "EU gives Apple 30 days to comply"};
    for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) {
        scan_shipped(heads[k], "");
        int32_t apple = filter_gaz_find(shipped, "Apple");
        ASSERT(apple >= 0);
        int seen = 0;
        for (size_t i = 0; i < ms.n; i++) {
            if (ms.v[i].entity != (uint32_t)apple) continue;
            ASSERT_NE(ms.v[i].ambiguous, 2);
            seen++;
        }
        ASSERT_EQ(seen, 1);
    }
}

/* The mentions of the named entity that the scan of head and body did not make a common noun. */
static int live_mentions(const char *head, const char *body, const char *name)
{
    scan_shipped(head, body);
    int32_t e = filter_gaz_find(shipped, name);
    ASSERT(e >= 0);
    int live = 0;
    for (size_t i = 0; i < ms.n; i++) live += ms.v[i].entity == (uint32_t)e && ms.v[i].ambiguous != 2;
    return live;
}

/* A headline and body, an entity, and how many of its mentions there must stay live. */
struct live_case {
    const char *head, *body, *name;
    int live; /* mentions of name not made a common noun */
};

static void expect_live(const struct live_case *c, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        int live = live_mentions(c[k].head, c[k].body, c[k].name);
        if (live != c[k].live) fprintf(stderr, "case %zu: %s\n", k, c[k].head);
        ASSERT_EQ(live, c[k].live);
    }
}

/* Names around an alias that make it no mention of its company, each case with the mentions that
 * must stay live:
 * - an ambiguous alias that is one part of a hyphenated name ("Orange-Co Farms", "MARK-UPS"), unless
 *   the other part names a company or is a participle ("Orange-Backed"), or the article names the
 *   alias on its own too (a joint bid's "ACME-ORANGE BID");
 * - an ambiguous alias that opens a longer name the wire tags as a company of its own ("<Acme Widgets
 *   Ltd>", "... Association <PRSL>"), and so the article's bare alias; an untagged longer name may be
 *   the company's own unit and changes nothing;
 * - a blank-cheque company named after its sponsor ("Ares Acquisition Corp", "Apollo Strategic Growth
 *   Merger Corp"): a company of its own, no mention of the sponsor, whose own name still is. */
TEST(longer_or_hyphenated_name_is_another_company)
{
    static const struct live_case cases[] = {
        {"Acme buys stake in Orange-Co Farms", "", "Orange SA", 0},
        {"DEALERS WARNED ON HIGH MARK-UPS", "", "United Parcel Service Inc.", 0},
        {"Orange-Backed Startup Raises Seed Round", "", "Orange SA", 1},
        {"Nokia-Orange venture wins network contract", "", "Orange SA", 1},
        /* not a hyphen, the same class: a product word before "maker" is the product */
        {"Officials object to sale of a U.S. Microchip maker", "", "Microchip Technology Inc.", 0},
        {"Microchip makes offer for a sensor firm", "", "Microchip Technology Inc.", 1},
        {"ACME-ORANGE BID OUTLINED", "Acme and Orange would hold 40 pct of the venture.", "Orange SA", 2},
        {"ACME TO BUY PROGRESSIVE", "Acme Corp said it would buy Progressive Savings and Loan Association <PRSL> for cash.",
         "Progressive Corp.", 0},
        {"ACME BIDS FOR PROGRESSIVE", "Acme said it bid for <Progressive Grocers Ltd>. Progressive has 40 stores.",
         "Progressive Corp.", 0},
        {"SHELL SELLS REFINERY", "Shell Oil Co said it sold a refinery in Texas to Acme Corp.", "Shell plc", 2},
        {"Ares Acquisition Corp shares jump 12% in heavy trading", "", "Ares Management Corp.", 0},
        {"Apollo Strategic Growth Merger Corp files quarterly report", "", "Apollo Global Management Inc.", 0},
        {"Ares Management Corp agrees to buy a lender", "", "Ares Management Corp.", 1},
        {"Apollo Global Management Inc. raises $5bn for a credit fund", "", "Apollo Global Management Inc.", 1},
    };
    expect_live(cases, sizeof cases / sizeof *cases);
}

/* An ambiguous alias that opens another company's longer name in the same article is that
 * company ("Caesars World ... Caesars' board"), unless its own company is named outright. */
TEST(short_alias_of_longer_name_corefers)
{
    scan_shipped("CAESARS <CAW> REJECTS TENDER OFFER", "Caesars World Inc said its board rejected the offer.");
    int32_t world = filter_gaz_find(shipped, "Caesars World Inc."), czr = filter_gaz_find(shipped, "Caesars Entertainment Inc.");
    ASSERT(world >= 0 && czr >= 0);
    int w = 0, z = 0;
    for (size_t i = 0; i < ms.n; i++) {
        w += ms.v[i].entity == (uint32_t)world;
        z += ms.v[i].entity == (uint32_t)czr;
    }
    ASSERT(w >= 2); /* the headline's short name and the body's full one */
    ASSERT_EQ(z, 0);
    scan_shipped("Caesars to sell casino", "Caesars Entertainment said it was in talks; Caesars World is a 1980s name.");
    z = 0;
    for (size_t i = 0; i < ms.n; i++) z += ms.v[i].entity == (uint32_t)czr;
    ASSERT_EQ(z, 2);
    /* a listed longer name is the family's: the short name stays the parent's */
    scan_shipped("Brookfield to buy a pipeline operator", "Brookfield Infrastructure agreed to buy it.");
    int32_t bn = filter_gaz_find(shipped, "Brookfield Corp.");
    ASSERT(bn >= 0);
    ASSERT(ms.n >= 1 && ms.v[0].entity == (uint32_t)bn);
}

/* An ambiguous alias in parentheses after lower-case words whose initials spell it is their
 * abbreviation ("deep brain stimulation (DBS)"); the same alias after a capitalised name, or
 * with other initials before it, stays the company's to confirm. */
/* "$1.3M" is an amount: the alias 3M is never read in a decimal number's tail. */
TEST(number_tail_is_no_company)
{
    static const struct {
        const char *head;
        int seen;
    } cases[] = {
        {"Acme raises $1.3M seed round", 0},
        {"Acme wins 2,3M euro contract", 0},
        {"3M to buy Acme for $1.2bn", 1},
        {"Acme sues 3M over earplugs", 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        scan_shipped(cases[c].head, "");
        int32_t mmm = filter_gaz_find(shipped, "3M Co.");
        ASSERT(mmm >= 0);
        int seen = 0;
        for (size_t i = 0; i < ms.n; i++) seen += ms.v[i].entity == (uint32_t)mmm;
        if (seen != cases[c].seen) fprintf(stderr, "case %zu: %s\n", c, cases[c].head);
        ASSERT_EQ(seen, cases[c].seen);
    }
}

TEST(defined_acronym_is_no_company)
{
    struct {
        const char *head;
        int product; /* mentions of DBS Group made a common noun */
    } cases[] = {
        {"FDA grants designation to deep brain stimulation (DBS) system", 1},
        {"Regulator probes deep-brain stimulation (DBS) implants", 1},
        {"Singapore lender Development Bank of Singapore (DBS) is fined", 0},
        {"Regulator probes deposit rules at the bank (DBS) in Singapore", 0},
        {"Regulator probes brain stimulation (DBS) implants", 0}, /* two words for three letters */
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        scan_shipped(cases[c].head, "");
        int32_t dbs = filter_gaz_find(shipped, "DBS Group Holdings Ltd.");
        ASSERT(dbs >= 0);
        int product = 0, seen = 0;
        for (size_t i = 0; i < ms.n; i++) {
            if (ms.v[i].entity != (uint32_t)dbs) continue;
            seen++;
            product += ms.v[i].ambiguous == 2 && !ms.v[i].confirmed;
        }
        if (product != cases[c].product || !seen) fprintf(stderr, "case %zu: %s\n", c, cases[c].head);
        ASSERT_EQ(seen, 1);
        ASSERT_EQ(product, cases[c].product);
    }
}

/* The shipped gazetteer's mentions of entity name in head and body that may count as the company
 * (confirmed, or ambiguous but not the verb or the noun) must number want. */
static void expect_company_mentions(const char *head, const char *body, const char *name, int want)
{
    scan_shipped(head, body);
    int32_t e = filter_gaz_find(shipped, name);
    ASSERT(e >= 0);
    int company = 0;
    for (size_t i = 0; i < ms.n; i++)
        company += ms.v[i].entity == (uint32_t)e && (ms.v[i].confirmed || ms.v[i].ambiguous == 1);
    if (company != want) fprintf(stderr, "case: %s\n", head);
    ASSERT_EQ(company, want);
}

/* An alias that is also a verb (`verbs`) after "to" or a modal in Title Case or ALL CAPS is the verb
 * ("FTC Sues to Block Kroger Deal"); in sentence case, or where the article names the company
 * unambiguously, it is the company. */
TEST(title_case_verb_is_no_company)
{
    struct {
        const char *head, *body;
        int company; /* mentions of Block Inc. that may count */
    } cases[] = {
        {"FTC Sues to Block Kroger's Takeover of Albertsons", "", 0},
        {"EU WILL BLOCK MICROSOFT DEAL, SOURCES SAY", "", 0},
        {"Meta Fails to Block Users Under 13 as Required, EU Says", "", 0},
        {"Kroger sells its pharmacy unit to Block", "", 1},   /* sentence case: the company */
        {"Jack Dorsey's Block to Cut Jobs in Overhaul", "", 1}, /* not after "to" */
        {"Regulators Move to Block Payments Deal", "Block Inc. said it would fight the order.", 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        expect_company_mentions(cases[c].head, cases[c].body, "Block Inc.", cases[c].company);
}

/* In Title Case or ALL CAPS a verb alias followed by "of" or after a probe or takeover word is the noun
 * ("Target of SEC probe", "Takeover Target"), one followed by a stake within four words is the verb
 * ("FIRM UPS WRATHER STAKE"); either way no company. */
TEST(verb_alias_before_of_or_stake_is_no_company)
{
    struct {
        const char *head, *name;
        int company;
    } cases[] = {
        {"CARL ICAHN SAYS HE IS TARGET OF SEC PROBE", "Target Corp.", 0},
        {"Investor Is Target Of Regulator's Probe", "Target Corp.", 0},
        {"HONG KONG FIRM UPS WRATHER STAKE TO 11 PCT", "United Parcel Service Inc.", 0},
        {"PARTNERSHIP UPS HBO <HBOC.O> STAKE TO 8.7 PCT", "United Parcel Service Inc.", 0},
        {"HOME SHOPPING SAYS IT NOT INVESTIGATION TARGET", "Target Corp.", 0},
        {"Chipmaker Emerges As Takeover Target", "Target Corp.", 0},
        {"Analyst Raises Nvidia Price Target After Supply Deal", "Target Corp.", 0},
        {"Holder Ups Stake In Globex To 9%", "United Parcel Service Inc.", 0},
        {"UPS TO BUY GLOBEX FOR 1 BLN DLRS", "United Parcel Service Inc.", 1},
        {"Target to buy Globex's stores", "Target Corp.", 1}, /* sentence case: the company */
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        expect_company_mentions(cases[c].head, "", cases[c].name, cases[c].company);
}

/* An ambiguous alias that is an ordinary word (`words`) inside a Title Case headline is a common noun
 * ("Visa Curbs", "Cruise Ship"), and any ambiguous alias after an owner's possessive and one word is its
 * unit ("Reliance's Digital Arm"), unless company words, a possessive, a deal word, a company beside it in
 * a list or the body's prose vouch for it; at the headline's start, and in sentence case, it is read
 * as before. */
TEST(title_case_word_is_no_company)
{
    static const struct live_case cases[] = {
        {"Pompeo Says U.S. to Impose Visa Curbs on Huawei over Rights", "", "Visa Inc.", 0},
        {"Trump's H-1B Visa Fee to Hit US Employers with $14Bn Annual Bill", "", "Visa Inc.", 0},
        {"Royal Caribbean Acquires Cruise Ship Endeavor for $275 Mln", "", "General Motors Co.", 0},
        {"Lawmakers Write to Visa and Mastercard Over Card Fees", "", "Visa Inc.", 1},
        {"Regulators Probe Visa's Debit Card Business", "", "Visa Inc.", 1},
        {"Illumina Loses EU Antitrust Challenge for Grail Acquisition", "", "GRAIL Inc.", 1},
        {"Visa Curbs Hit Tech Hiring at Startups", "", "Visa Inc.", 1}, /* the headline's first word */
        /* any ambiguous alias after an owner's possessive and one word is the owner's unit */
        {"Google in Talks to Invest $4 Billion in Reliance's Digital Arm", "", "Arm Holdings plc", 0},
        {"Chinese EV Maker XPeng\xe2\x80\x99s Robotics Arm Raises $100 Million", "", "Arm Holdings plc", 0},
        {"SoftBank's Arm Jumps After Nvidia Deal", "", "Arm Holdings plc", 1},
        {"Nvidia to Buy Arm From SoftBank for $40 Billion", "", "Arm Holdings plc", 1},
        {"Lawmakers question Visa over card fees", "", "Visa Inc.", 1},  /* sentence case */
        {"Nvidia Partners With Visa on Agent Payments", "The card network Visa said the pilot starts in May.",
         "Visa Inc.", 2},
    };
    expect_live(cases, sizeof cases / sizeof *cases);
}

/* A product's maker named by the product ("the Mario maker", "the Claude maker"), or a short name
 * ("Rio"), is the company: news writes it for a second mention, and an event told that way still
 * needs its ticker. */
TEST(product_maker_names_company)
{
    static const struct live_case cases[] = {
        {"Mario maker buys a Finnish game studio", "", "Nintendo Co. Ltd.", 1},
        {"Investors pour $5bn into the Claude maker", "", "Anthropic", 1},
        {"Prosecutors charge Lafarge over payments in Syria", "", "Holcim AG", 1},
        /* an FT short name, ambiguous with a place whose name runs on */
        {"Rio buys lithium miner for $6.7bn", "", "Rio Tinto plc", 1},
        {"Rio de Janeiro bans ride-hailing apps", "", "Rio Tinto plc", 0},
    };
    expect_live(cases, sizeof cases / sizeof *cases);
}

/* A field with no capital at all is matched caselessly; there an ambiguous alias is the word it is. */
TEST(lower_case_field_matched_caselessly)
{
    static const struct live_case cases[] = {
        {"nvidia agrees to buy chip designer for $40 billion from softbank", "", "Nvidia Corp.", 1},
        {"microsoft and nvidia pledge $15bn for anthropic", "", "Anthropic", 1},
        {"apple pie sales jump at target stores this season", "", "Apple Inc.", 0},
        {"apple pie sales jump at target stores this season", "", "Target Corp.", 0},
        {"nvidia", "", "Nvidia Corp.", 0}, /* too few letters to judge: as written */
    };
    expect_live(cases, sizeof cases / sizeof *cases);
}

TEST(words_must_be_ambiguous_aliases)
{
    expect_load_error("entities:\n  - name: Zorblax Widgets Inc\n    aliases: [Zorblax, Widget]\n"
                      "    ambiguous: [Widget]\n    words: [Widget, Zorblax]\n",
                      ":2: entity Zorblax Widgets Inc: words: 'Zorblax' is not one of its ambiguous aliases");
}

/* The gazetteer scans exact-case text backwards and finds tickers in a pass of its own: every
 * ticker form, word edges on both sides and nested aliases as a forward scan finds them. */
TEST(every_form_found_backwards)
{
    const char *body = "Microsoft said Amazon Web Services grew; $MSFT and <AMZN> rose, (NASDAQ: NVDA) "
                       "and (NYSE:AAPL) too. Not $MSFTX, notAmazon, Amazonian, or FTC: MSFT.";
    scan("", body);
    const char *want[] = {"Microsoft", "Amazon Web Services", "MSFT", "AMZN", "NVDA", "AAPL", "FTC"};
    size_t n = 0;
    for (size_t i = 0; i < ms.n; i++) {
        if (ms.v[i].entity >= filter_gaz_size(gaz)) continue;
        ASSERT(n < sizeof want / sizeof *want);
        ASSERT_STR_EQ(span(body, &ms.v[i]), want[n]);
        n++;
    }
    ASSERT_EQ(n, sizeof want / sizeof *want);
    ASSERT_EQ(entity_of(body, SQUAWK_FIELD_BODY, "MSFT"), entity_of(body, SQUAWK_FIELD_BODY, "Microsoft"));
}

/* Past 4096 matches the scan keeps the first ones in text order, as the forward scan that
 * stops there: a company named only after them is not found. */
TEST(first_matches_kept)
{
    size_t reps = 4200, n = 0;
    char *big = malloc(reps * 12 + 16), *o = big;
    for (size_t i = 0; i < reps; i++) o += sprintf(o, "Nvidia %s", i % 2 ? "and " : "or ");
    strcpy(o, "OpenAI");
    scan("", big);
    for (size_t i = 0; i < ms.n; i++) n += strcmp(filter_gaz_entity(gaz, ms.v[i].entity) ? filter_gaz_entity(gaz, ms.v[i].entity)->name : "", "Nvidia Corp.") == 0;
    ASSERT_EQ(n, 4096);
    ASSERT_EQ(entity_of(big, SQUAWK_FIELD_BODY, "OpenAI"), -1);
    free(big);
}

int main(void)
{
    char err[512] = "";
    int rc = filter_gaz_load(&gaz, MINI_GAZ, err, sizeof err);
    if (rc) fprintf(stderr, "gazetteer: %s\n", err);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(filter_gaz_alloc_scratch(gaz, &scratch), 0);
    RUN(three_forms_found);
    RUN(every_form_found_backwards);
    RUN(first_matches_kept);
    RUN(short_alias_follows_longer_name);
    RUN(junk_not_found);
    RUN(gazetteer_wins_on_overlap);
    RUN(tags_attach_and_names_share);
    RUN(unicode_punctuation_ends_names);
    RUN(hostile_text);
    RUN(switch_in_gazetteer_file);
    RUN(retired_symbols_name_no_ticker);
    RUN(symbols_name_their_company);
    RUN(shipped_gazetteer_entries);
    RUN(model_number_is_no_company);
    RUN(amount_after_name_is_no_model_number);
    RUN(title_case_verb_is_no_company);
    RUN(verb_alias_before_of_or_stake_is_no_company);
    RUN(title_case_word_is_no_company);
    RUN(words_must_be_ambiguous_aliases);
    RUN(lower_case_field_matched_caselessly);
    RUN(defined_acronym_is_no_company);
    RUN(number_tail_is_no_company);
    RUN(longer_or_hyphenated_name_is_another_company);
    RUN(short_alias_of_longer_name_corefers);
    RUN(alias_of_two_entities_refused);
    RUN(venture_arms_and_absorbed);
    RUN(product_maker_names_company);
    filter_mentions_free(&ms);
    hs_free_scratch(shipped_sc);
    filter_gaz_destroy(shipped);
    hs_free_scratch(scratch);
    filter_gaz_destroy(gaz);
    RUN(host_resolves_anonymous_entities);
    RUN(score_end_to_end);
    fprintf(stderr, "ok\n");
    return 0;
}
