/* say_voice.h -- speech for squawk say: espeak-ng renders a line, samples go to the audio device and/or a WAV file. */
#ifndef CLI_SAY_VOICE_H
#define CLI_SAY_VOICE_H

#include <stddef.h>
#include <stdint.h>

typedef struct say_voice_opts {
    const char *voice; /* espeak-ng voice name; NULL = "en-us" */
    int rate;          /* words per minute, 80..450 */
    int volume;        /* 0..200, 100 = normal */
    int device;        /* play on the default audio device */
    int pace;          /* keep a listener's time even without a device (0: render at full speed) */
} say_voice_opts;

/* Called between audio buffers while a line is said; may block up to wait_ms for news.
 * Returns 1 when the line must stop at its next word boundary. */
typedef int (*say_voice_tick_fn)(void *ud, int wait_ms);

typedef struct say_voice_result {
    int64_t start_ns;        /* CLOCK_MONOTONIC when espeak was asked */
    int64_t first_sample_ns; /* CLOCK_MONOTONIC when the first sample went to the outputs, 0 none */
    uint64_t samples;        /* handed to the outputs */
    int words;               /* words begun */
    int interrupted;         /* stopped at a word boundary on the tick's request */
    int stop_pos;            /* character position (1-based) of the first word not said, 0 */
} say_voice_result;

typedef struct say_voice say_voice;

/* One per process (espeak-ng keeps global state). NULL with a reason in err on failure. */
say_voice *say_voice_create(const say_voice_opts *o, char *err, size_t errlen);
void say_voice_destroy(say_voice *v);
int say_voice_sample_rate(const say_voice *v);

/* Says text (UTF-8); with wav_path, also writes it there as a mono 16-bit WAV (via a .part
 * file renamed when complete). 0, or a negative SQ_E_* (SQ_E_IO: the WAV could not be written). */
int say_voice_speak(say_voice *v, const char *text, const char *wav_path, say_voice_tick_fn tick,
                    void *ud, say_voice_result *res);

#endif
