/* spell.h - the nearest of a set of names to one misspelt, for "did you mean" in messages.
 *
 * Owns: the edit distance between two short names (case not minded) and the choice of the
 * nearest candidate close enough to be worth suggesting. The caller walks its own set (a
 * list of fields, the syscall table) and offers each name; nothing is allocated.
 */
#ifndef KSCMP_SPELL_H
#define KSCMP_SPELL_H

#include <stddef.h>

/* Names this long or longer are too far from anything (bounded work on outside input). */
#define SPELL_MAX 64

/* The edit distance (insert, delete or replace a letter, or swap two letters side by side;
 * case not minded) between the n bytes of a and the m bytes of b, or SPELL_MAX when either
 * has SPELL_MAX bytes or more. */
unsigned spell_distance(const char *a, size_t n, const char *b, size_t m);

/* The search for the nearest name to word. */
struct spell {
    const char *word;
    size_t len;
    unsigned limit; /* the most edits a suggestion may be away */
    /* The suggestion: the nearest offered so far within limit, NULL when there is none or
     * when two are as near and neither is likelier (an operator NEQ is as near EQ as NE:
     * naming one could turn the meaning around). */
    const char *best;
    const char *cand; /* the nearest so far, even when tied */
    unsigned best_d;
    size_t best_len;
};

/* Starts a search: the limit grows with the word's length (1 edit up to 4 letters, 2 up to 8,
 * 3 beyond), so that a short word is not matched with an unrelated short name. */
void spell_init(struct spell *s, const char *word);

/* Offers a candidate: kept when nearer than every one offered before; of candidates as near,
 * the one of the word's length (a letter mistyped rather than one left out or added), and
 * none when that does not tell them apart. A candidate equal to the word, case and all, is not
 * a suggestion and is passed over. */
void spell_offer(struct spell *s, const char *name);

/* The suggestion for word among the first n of names (up to a NULL among them: a
 * NULL-terminated list may give SIZE_MAX), as spell_offer() chooses it, or NULL. */
const char *spell_nearest(const char *word, const char *const *names, size_t n);

/* What to add to "unknown field" for key, a mapping key not among allowed (NULL-terminated),
 * into buf: "; a colon needs a space after it (...)" or "; did you mean \"...\"?", else "".
 * Returns buf. */
const char *spell_key_hint(const char *key, const char *const *allowed, char *buf, size_t len);

/* Where key, an unknown mapping key, has a colon with no space after it ("action:Allow": YAML
 * reads that as one key, not a key and a value): the colon's offset, below SPELL_MAX; else 0. */
size_t spell_glued_colon(const char *key);

#endif
