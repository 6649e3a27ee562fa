/* status_retry.h - what a failed status patch leaves behind, for the next one.
 *
 * Owns: for one object whose status the agent writes (a policy, a SeccompRecording), the
 * content last refused with 400 or 422 (the API server or an admission webhook will not take
 * it: the same bytes would be refused again, so they are not sent again before the status
 * changes or STATUS_REFUSED_RETRY_MS pass), said once per message and counted
 * (kscmp_status_refused_total); and for the other failures (403, 429, 5xx, no answer) the
 * backoff, per object, and a log that says the first failure and then at most one line per
 * STATUS_FAILURE_LOG_MS. A success forgets both.
 */
#ifndef KSCMP_STATUS_RETRY_H
#define KSCMP_STATUS_RETRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/metrics.h"

/* A refused status is sent again unchanged after this long (the CRD or the webhook may have
 * changed meanwhile). */
#define STATUS_REFUSED_RETRY_MS (3600 * 1000)
/* Failures retried with backoff: a log line for the first, then at most one per this long. */
#define STATUS_FAILURE_LOG_MS (10 * 60 * 1000)
/* Their backoff: 1 s doubling to 30 s, with jitter. */
#define STATUS_BACKOFF_BASE_MS 1000
#define STATUS_BACKOFF_MAX_MS 30000

struct status_retry {
    json_t *refused;     /* the content last refused with 400 or 422, or NULL */
    uint64_t refused_at; /* when (now_ms()) */
    char *refused_msg;   /* what the server said then (logged once per message) */
    unsigned failures;   /* other failures in a row (the backoff) */
    uint64_t logged_at;  /* when the last of them was logged */
    unsigned not_logged; /* failures since, not logged */
};

/* A status without its times (nodes[].lastUpdate, conditions[].lastTransitionTime): what it
 * says, as compared with what was refused. NULL when out of memory. */
json_t *status_content(const json_t *status);

/* Whether content (status_content()) was refused less than STATUS_REFUSED_RETRY_MS before now:
 * then it is not to be sent. s may be NULL (nothing failed). */
bool status_retry_held(const struct status_retry *s, const json_t *content, uint64_t now);
/* When the refusal s holds ends (0: none). */
uint64_t status_retry_until(const struct status_retry *s);

/* The patch of content (status_content()) was refused with code (400 or 422) and body: counts
 * it in m, remembers it (not sent again, see above), and logs a warning naming kind and key
 * with the server's message when that message is not the one last logged. Returns whether it
 * logged. */
bool status_retry_refused(struct status_retry *s, struct metrics *m, const char *kind,
                          const char *key, long code, const char *body, const json_t *content,
                          uint64_t now);

/* Another failure of verb ("patch", "read"): code (0: no answer, error saying why) and body.
 * Logs the first in a row, then at most one line per STATUS_FAILURE_LOG_MS (with how many
 * were not logged). Returns the backoff before the next try (ms); *logged: whether it logged
 * (may be NULL). */
uint64_t status_retry_failed(struct status_retry *s, const char *kind, const char *key,
                             const char *verb, long code, const char *error, const char *body,
                             uint64_t now, bool *logged);

/* A write succeeded (or the object goes): forgets the refusal and the failures, freeing what s
 * holds (not s itself). */
void status_retry_reset(struct status_retry *s);
/* The same for one allocated on its own (object_record.retry): resets and frees *s, and sets
 * it to NULL. *s may be NULL. */
void status_retry_free(struct status_retry **s);

#endif
