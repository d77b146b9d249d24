/* say_voice.c -- espeak-ng in synchronous mode: samples to the device/WAV, paced, stopped at a word on request. */
#include "say_voice.h"

#include <dlfcn.h>
#include <errno.h>
#include <espeak-ng/speak_lib.h>
#include <pcaudiolib/audio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/error.h"

/* How far synthesis may run ahead of the listener: small, so a stop is heard quickly,
 * larger than one espeak buffer so the device never starves. */
#define SAY_LEAD_NS 60000000LL
#define SAY_BUF_MS 20
#define SAY_GAP_MS 70   /* this much silence (at 175 wpm) after a stop request: the word has ended */
#define SAY_SILENT 64   /* |sample| below this is silence (full scale is 32767) */

struct say_voice {
    say_voice_opts o;
    int rate_hz;
    struct audio_object *dev;
    FILE *wav;
    int wav_failed;
    say_voice_result *res;
    say_voice_tick_fn tick;
    void *ud;
    int stop_req;
    int silent_run; /* samples of silence in a row since the stop request */
};

static say_voice *current; /* espeak-ng's callback has no user pointer of ours */

/* ---- the libraries, opened when a voice is made: squawk run never speaks, and espeak-ng
 * with pcaudiolib pulls in ~25 audio, codec and X11 libraries (~2.8 MB resident). */

#define SAY_ESPEAK_SO "libespeak-ng.so.1"
#define SAY_PCAUDIO_SO "libpcaudio.so.0"
#define SAY_ESPEAK_FNS(X)                                                                         \
    X(espeak_Initialize) X(espeak_Terminate) X(espeak_SetVoiceByName) X(espeak_SetSynthCallback) \
    X(espeak_SetParameter) X(espeak_Synth)
#define SAY_AUDIO_FNS(X)                                                                  \
    X(create_audio_device_object) X(audio_object_open) X(audio_object_close)              \
    X(audio_object_destroy) X(audio_object_write) X(audio_object_flush) X(audio_object_drain) \
    X(audio_object_strerror)
#define SAY_FIELD(f) __typeof__(&f) f;

static struct {
    void *espeak, *audio; /* never closed: espeak-ng stays up until exit */
    SAY_ESPEAK_FNS(SAY_FIELD)
    SAY_AUDIO_FNS(SAY_FIELD)
} lib;

/* Opens so (once) and resolves the names X lists; 0, or -1 with the reason in err. */
#define SAY_LOAD(f) \
    if (!(*(void **)&lib.f = dlsym(d, #f))) missing = #f;
static int lib_open(void **h, const char *so, const char *pkg, int audio, char *err, size_t errlen)
{
    if (*h) return 0;
    void *d = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!d) {
        snprintf(err, errlen, "%s cannot be loaded: %s (apt-get install %s)", so, dlerror(), pkg);
        return -1;
    }
    const char *missing = NULL;
    if (audio) {
        SAY_AUDIO_FNS(SAY_LOAD)
    } else {
        SAY_ESPEAK_FNS(SAY_LOAD)
    }
    if (missing) {
        snprintf(err, errlen, "%s has no %s: not the library squawk was built against", so, missing);
        dlclose(d);
        return -1;
    }
    *h = d;
    return 0;
}

/* ---- WAV: RIFF header, sizes patched when the line ends */

static void put_le(unsigned char *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void wav_header(unsigned char h[44], uint32_t rate, uint32_t data_bytes)
{
    memcpy(h, "RIFF", 4);
    put_le(h + 4, 36 + data_bytes, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_le(h + 16, 16, 4);       /* fmt chunk size */
    put_le(h + 20, 1, 2);        /* PCM */
    put_le(h + 22, 1, 2);        /* mono */
    put_le(h + 24, rate, 4);
    put_le(h + 28, rate * 2, 4); /* bytes per second */
    put_le(h + 32, 2, 2);        /* block align */
    put_le(h + 34, 16, 2);       /* bits */
    memcpy(h + 36, "data", 4);
    put_le(h + 40, data_bytes, 4);
}

static void wav_write(say_voice *v, const short *s, size_t n)
{
    if (!v->wav || v->wav_failed) return;
    unsigned char buf[4096];
    while (n > 0) { /* little-endian on every host */
        size_t k = n > sizeof buf / 2 ? sizeof buf / 2 : n;
        for (size_t i = 0; i < k; i++) put_le(buf + 2 * i, (uint16_t)s[i], 2);
        if (fwrite(buf, 2, k, v->wav) != k) v->wav_failed = 1;
        s += k;
        n -= k;
    }
}

static int wav_finish(say_voice *v, const char *part, const char *path)
{
    unsigned char h[44];
    uint64_t bytes = v->res->samples * 2;
    wav_header(h, (uint32_t)v->rate_hz, bytes > 0xffffffd0u ? 0xffffffd0u : (uint32_t)bytes);
    int bad = v->wav_failed || fseek(v->wav, 0, SEEK_SET) != 0 || fwrite(h, 1, 44, v->wav) != 44;
    bad |= fclose(v->wav) != 0;
    v->wav = NULL;
    if (bad || rename(part, path) != 0) {
        remove(part);
        return SQ_E_IO;
    }
    return 0;
}

/* ---- synthesis */

/* Waits (asking the tick) until the listener is within the lead of what was produced. */
static void keep_time(say_voice *v, int64_t lead_ns)
{
    if (!v->o.pace || !v->res->first_sample_ns) {
        if (v->tick && v->tick(v->ud, 0)) v->stop_req = 1;
        return;
    }
    int64_t target = v->res->first_sample_ns +
                     (int64_t)(v->res->samples * 1000000000ULL / (uint64_t)v->rate_hz) - lead_ns;
    for (;;) {
        int64_t left = target - sq_clock_mono_ns();
        int ms = left > 0 ? (int)(left / 1000000) : 0;
        if (!v->tick) {
            struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        } else if (v->tick(v->ud, ms)) {
            v->stop_req = 1;
        }
        if (left <= 1000000 || (v->stop_req && lead_ns == 0)) return;
    }
}

static void emit(say_voice *v, const short *s, int n)
{
    if (n <= 0) return;
    if (!v->res->first_sample_ns) v->res->first_sample_ns = sq_clock_mono_ns();
    if (v->dev) lib.audio_object_write(v->dev, s, (size_t)n * 2);
    wav_write(v, s, (size_t)n);
    v->res->samples += (uint64_t)n;
}

/* Where a stopping line may end in this buffer: the next word's start, or, inside a clause
 * pause (which espeak-ng counts into the word before), once the pause has lasted SAY_GAP_MS.
 * Returns the sample count to keep, or -1 to keep all and go on. */
static int stop_point(say_voice *v, const short *wav, int n, const espeak_EVENT *ev)
{
    int word_at = -1;
    for (; ev && ev->type != espeakEVENT_LIST_TERMINATED; ev++) {
        if (ev->type != espeakEVENT_WORD && ev->type != espeakEVENT_END) continue;
        long at = (long)((int64_t)ev->audio_position * v->rate_hz / 1000 - (int64_t)v->res->samples);
        word_at = at < 0 ? 0 : at > n ? n : (int)at;
        v->res->stop_pos = ev->text_position;
        break;
    }
    /* Closures of stop consonants are silent too (up to ~50 ms at 175 wpm): the gap that
     * means "pause" scales with the rate like they do. */
    int wpm = v->o.rate > 0 ? v->o.rate : 175;
    int gap = (int)((int64_t)v->rate_hz * SAY_GAP_MS * 175 / wpm / 1000);
    int end = word_at >= 0 ? word_at : n;
    for (int i = 0; i < end; i++) {
        v->silent_run = (wav[i] < SAY_SILENT && wav[i] > -SAY_SILENT) ? v->silent_run + 1 : 0;
        if (v->silent_run >= gap) return i + 1;
    }
    return word_at;
}

static int on_synth(short *wav, int n, espeak_EVENT *ev)
{
    say_voice *v = current;
    if (!v || !wav) return 0;
    if (v->stop_req) {
        int cut = stop_point(v, wav, n, ev);
        if (cut >= 0) {
            emit(v, wav, cut);
            v->res->interrupted = 1;
            return 1;
        }
    } else {
        for (; ev && ev->type != espeakEVENT_LIST_TERMINATED; ev++)
            if (ev->type == espeakEVENT_WORD && ev->length > 0) v->res->words++;
    }
    emit(v, wav, n);
    int was = v->stop_req;
    keep_time(v, SAY_LEAD_NS);
    if (!was && v->stop_req) v->silent_run = 0;
    return 0;
}

static void espeak_stop(void) { lib.espeak_Terminate(); }

/* espeak-ng starts once per process: terminating and initialising it again deadlocks
 * espeak_Terminate (1.51), so it stays up until exit. */
static int espeak_rate(void)
{
    static int rate;
    if (rate == 0) {
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, SAY_BUF_MS, NULL,
                                 espeakINITIALIZE_DONT_EXIT);
        if (rate > 0) atexit(espeak_stop);
        else rate = -1;
    }
    return rate;
}

say_voice *say_voice_create(const say_voice_opts *o, char *err, size_t errlen)
{
    if (current) {
        snprintf(err, errlen, "only one voice per process");
        return NULL;
    }
    say_voice *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    v->o = *o;
    if (lib_open(&lib.espeak, SAY_ESPEAK_SO, "libespeak-ng1", 0, err, errlen) != 0 ||
        (o->device && lib_open(&lib.audio, SAY_PCAUDIO_SO, "libpcaudio0", 1, err, errlen) != 0)) {
        free(v);
        return NULL;
    }
    v->rate_hz = espeak_rate();
    if (v->rate_hz <= 0) {
        snprintf(err, errlen, "espeak-ng cannot start (is espeak-ng-data installed?)");
        free(v);
        return NULL;
    }
    current = v;
    const char *name = o->voice && *o->voice ? o->voice : "en-us";
    if (lib.espeak_SetVoiceByName(name) != EE_OK) {
        snprintf(err, errlen, "voice '%s' not found (espeak-ng --voices lists them)", name);
        say_voice_destroy(v);
        return NULL;
    }
    lib.espeak_SetSynthCallback(on_synth);
    if (o->rate) lib.espeak_SetParameter(espeakRATE, o->rate, 0);
    if (o->volume >= 0) lib.espeak_SetParameter(espeakVOLUME, o->volume, 0);
    if (o->device) {
        v->dev = lib.create_audio_device_object(NULL, "squawk", "squawk say");
        int rc = v->dev ? lib.audio_object_open(v->dev, AUDIO_OBJECT_FORMAT_S16LE, (uint32_t)v->rate_hz, 1)
                        : ENOMEM;
        if (rc != 0) {
            snprintf(err, errlen, "no audio device: %s (use --wav DIR or --text)",
                     v->dev ? lib.audio_object_strerror(v->dev, rc) : "out of memory");
            say_voice_destroy(v);
            return NULL;
        }
    }
    return v;
}

void say_voice_destroy(say_voice *v)
{
    if (!v) return;
    if (v->dev) {
        lib.audio_object_close(v->dev);
        lib.audio_object_destroy(v->dev);
    }
    if (current == v) current = NULL;
    free(v);
}

int say_voice_sample_rate(const say_voice *v) { return v->rate_hz; }

int say_voice_speak(say_voice *v, const char *text, const char *wav_path, say_voice_tick_fn tick,
                    void *ud, say_voice_result *res)
{
    memset(res, 0, sizeof *res);
    char part[4096 + 8];
    if (wav_path) {
        if (snprintf(part, sizeof part, "%s.part", wav_path) >= (int)sizeof part) return SQ_E_INVAL;
        v->wav = fopen(part, "wbe");
        if (!v->wav) return SQ_E_IO;
        unsigned char h[44];
        wav_header(h, (uint32_t)v->rate_hz, 0);
        v->wav_failed = fwrite(h, 1, 44, v->wav) != 44;
    }
    v->res = res;
    v->tick = tick;
    v->ud = ud;
    v->stop_req = 0;
    res->start_ns = sq_clock_mono_ns();
    espeak_ERROR e = lib.espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
                                  espeakCHARS_AUTO | espeakENDPAUSE, NULL, NULL);
    if (v->dev) {
        if (res->interrupted) lib.audio_object_flush(v->dev); /* drop what the device still holds */
        else lib.audio_object_drain(v->dev);
    }
    if (!res->interrupted) keep_time(v, 0); /* the listener hears the end before the next line */
    v->res = NULL;
    int rc = e == EE_OK ? 0 : SQ_E_IO;
    if (wav_path) {
        v->res = res;
        int w = wav_finish(v, part, wav_path);
        v->res = NULL;
        if (rc == 0) rc = w;
    }
    return rc;
}
