/* headline.h -- how news feeds dress an article: a wire service's slugs before the headline, the outlet's name after it, a dateline before the body. */
#ifndef PROTO_HEADLINE_H
#define PROTO_HEADLINE_H

#include <stddef.h>
#include "../core/visibility.h"

/* Which slugs proto_headline_slugs reads: only those that say how a story is sent ("UPDATE 2-", "EXCLUSIVE-",
 * and as a site's label "Exclusive: "), not its genre ("ANALYSIS-", "COLUMN-"); in any case ("Analysis: "). */
enum { PROTO_SLUGS_SENT = 1, PROTO_SLUGS_ANY_CASE = 2 };

/* Bytes of the slugs that open s[0, len) -- "UPDATE 2-", "RPT-EXCLUSIVE: ", "BRIEF | " -- and of the
 * pictographs before or between them ("🚨 BREAKING: "), with the spaces after them; 0 when there are none.
 * Slugs are written in capitals unless flags say otherwise. */
SQ_API size_t proto_headline_slugs(const char *s, size_t len, unsigned flags);
/* Where an outlet named after the headline starts (" - Reuters", " | Bloomberg"), or len when none. */
SQ_API size_t proto_headline_outlet(const char *s, size_t len);
/* Bytes of a wire dateline that opens a body ("NEW YORK, Dec 5 (Reuters) - ", "(Bloomberg) -- ") with the spaces
 * after it; 0 when there is none (an agency in parentheses and a dash within the first 80 bytes, before any
 * sentence ends). */
SQ_API size_t proto_body_dateline(const char *s, size_t len);

#endif
