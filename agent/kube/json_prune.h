/* json_prune.h - JSON from the API server, read into only the parts the agent uses.
 *
 * Owns: turning a JSON text (a list page, a watch event) into a jansson tree that holds the
 * keys a rule names and nothing else. What is not kept is skipped without being built, so a
 * 1.4 MiB pod whose bulk is annotations, environment or volumes costs the agent the few
 * hundred bytes of its name, labels and seccomp settings, not the tens of megabytes its whole
 * tree would take. Kept values are decoded by jansson itself; skipped ones are checked for
 * well-formedness (strings, escapes, nesting, literals). A key kept twice is refused, as
 * jansson's JSON_REJECT_DUPLICATES does. Pure: no I/O, no globals. Depth is
 * bounded (JSON_PRUNE_MAX_DEPTH), and there is no recursion the input controls.
 */
#ifndef KSCMP_JSON_PRUNE_H
#define KSCMP_JSON_PRUNE_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"

#define JSON_PRUNE_MAX_DEPTH 128

/* One kept key of an object. keep NULL: its whole value is kept; else its value, when an
 * object, keeps the keys of keep (an array terminated by a NULL key), and when an array, each
 * element is pruned by keep the same way. Scalars are kept as they are. */
struct prune_rule {
    const char *key;
    const struct prune_rule *keep;
};

/* Parses text[0..len) (one JSON value, blanks around it allowed). keep: the keys the top-level
 * object keeps (NULL: everything). 0 and *ret (the caller's reference), or -EINVAL with err
 * saying where the text is not JSON, -E2BIG when it nests deeper than the limit, -ENOMEM. */
int json_prune(const char *text, size_t len, const struct prune_rule *keep, json_t **ret,
               struct kerr *err);

#endif
