/* visibility.h -- marks the symbols other modules may call; the rest is hidden. */
#ifndef SQ_VISIBILITY_H
#define SQ_VISIBILITY_H
#if defined(__GNUC__)
#define SQ_API __attribute__((visibility("default")))
#else
#define SQ_API
#endif
#endif
