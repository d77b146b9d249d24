/* test_say_voice.c -- squawk say's voice: espeak-ng renders to a valid WAV, stops at a word when told, keeps time. */
#include <ctype.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli/say_voice.h"
#include "../core/clock.h"
#include "../core/error.h"
#include "assert.h"

static const char *long_line =
    "Investment, talks: Amazon, OpenAI, ten billion dollars. Amazon in talks to invest in "
    "OpenAI, people familiar with the matter said on Tuesday, in what would be one of the "
    "largest private funding rounds on record.";

static say_voice *v;
static char dir[] = "/tmp/test_say_voice.XXXXXX";

static uint32_t le(const unsigned char *p, int n)
{
    uint32_t x = 0;
    for (int i = n - 1; i >= 0; i--) x = x << 8 | p[i];
    return x;
}

/* Checks the RIFF header against the file size; returns the data bytes. */
static uint32_t check_wav(const char *path, int rate)
{
    FILE *f = fopen(path, "rb");
    ASSERT(f);
    unsigned char h[44];
    ASSERT_EQ(fread(h, 1, 44, f), 44);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ASSERT(memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WAVEfmt ", 8) == 0);
    ASSERT_EQ(le(h + 4, 4), size - 8);
    ASSERT_EQ(le(h + 20, 2), 1);  /* PCM */
    ASSERT_EQ(le(h + 22, 2), 1);  /* mono */
    ASSERT_EQ(le(h + 24, 4), (uint32_t)rate);
    ASSERT_EQ(le(h + 34, 2), 16);
    ASSERT_EQ(le(h + 40, 4), size - 44);
    return le(h + 40, 4);
}

static int ticks;
static int count_tick(void *ud, int wait_ms)
{
    ticks++;
    return 0;
}

TEST(wav)
{
    char path[256];
    snprintf(path, sizeof path, "%s/full.wav", dir);
    say_voice_result r;
    ticks = 0;
    ASSERT_EQ(say_voice_speak(v, long_line, path, count_tick, NULL, &r), 0);
    int rate = say_voice_sample_rate(v);
    ASSERT_EQ(check_wav(path, rate), r.samples * 2);
    /* about 35 words at 175 wpm: 12 s; anything between 6 and 24 s is speech, not a glitch */
    ASSERT_GT(r.samples, (uint64_t)rate * 6);
    ASSERT_LT(r.samples, (uint64_t)rate * 24);
    ASSERT_GE(r.words, 30);
    ASSERT_EQ(r.interrupted, 0);
    ASSERT_GT(ticks, 10); /* the receive path is asked between buffers */
    ASSERT(r.first_sample_ns >= r.start_ns);
    char part[300];
    snprintf(part, sizeof part, "%s.part", path);
    ASSERT(access(part, F_OK) != 0); /* renamed when complete */
}

static int stop_after;
static int stop_tick(void *ud, int wait_ms) { return ++ticks >= stop_after; }

TEST(stop_at_a_word)
{
    char path[256];
    snprintf(path, sizeof path, "%s/cut.wav", dir);
    say_voice_result full, cut;
    ASSERT_EQ(say_voice_speak(v, long_line, NULL, NULL, NULL, &full), 0);
    ticks = 0;
    stop_after = 20; /* about a second in */
    ASSERT_EQ(say_voice_speak(v, long_line, path, stop_tick, NULL, &cut), 0);
    ASSERT_EQ(cut.interrupted, 1);
    ASSERT_LT(cut.samples, full.samples / 2);
    ASSERT_GT(cut.samples, 0);
    ASSERT_LT(cut.words, full.words);
    /* after a word: at the next word's start (what precedes it is a space or a clause's
     * punctuation), or in the pause after a word (the WAV ends in silence) */
    if (cut.stop_pos > 0) {
        ASSERT_GT(cut.stop_pos, 1);
        ASSERT(!isalnum((unsigned char)long_line[cut.stop_pos - 2]));
    } else {
        FILE *f = fopen(path, "rb");
        ASSERT(f);
        short tail[441]; /* 20 ms at 22050 Hz */
        ASSERT_EQ(fseek(f, -(long)sizeof tail, SEEK_END), 0);
        ASSERT_EQ(fread(tail, sizeof tail[0], 441, f), 441);
        fclose(f);
        for (int i = 0; i < 441; i++) ASSERT_LT(abs(tail[i]), 64);
    }
    ASSERT_EQ(check_wav(path, say_voice_sample_rate(v)), cut.samples * 2);
}

TEST(bad_wav_path)
{
    say_voice_result r;
    ASSERT_EQ(say_voice_speak(v, "Hello.", "/nonexistent-dir/x.wav", NULL, NULL, &r), SQ_E_IO);
}

int main(void)
{
    ASSERT(mkdtemp(dir));
    char err[256];
    say_voice_opts o = {.voice = "en-us", .rate = 175, .volume = 100, .device = 0, .pace = 0};
    v = say_voice_create(&o, err, sizeof err);
    if (!v) SQ_FAIL_("say_voice_create: %s", err);
    ASSERT(say_voice_create(&o, err, sizeof err) == NULL); /* one per process */
    RUN(wav);
    RUN(stop_at_a_word);
    RUN(bad_wav_path);
    say_voice_destroy(v);
    /* a voice that does not exist is an error naming it */
    o.voice = "no-such-voice";
    ASSERT(say_voice_create(&o, err, sizeof err) == NULL);
    ASSERT(strstr(err, "no-such-voice"));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ASSERT_EQ(system(cmd), 0);
    return 0;
}
