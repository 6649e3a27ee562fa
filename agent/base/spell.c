/* spell.c - the nearest of a set of names to one misspelt (spell.h). */
#include "base/spell.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

unsigned spell_distance(const char *a, size_t n, const char *b, size_t m)
{
    if (n >= SPELL_MAX || m >= SPELL_MAX)
        return SPELL_MAX;
    /* Three rows of the usual table: the one being filled and the two before it (a swap of
     * two letters looks two back). */
    unsigned back[SPELL_MAX], prev[SPELL_MAX], cur[SPELL_MAX];
    for (size_t j = 0; j <= m; j++)
        prev[j] = (unsigned)j;
    for (size_t i = 1; i <= n; i++) {
        int ai = tolower((unsigned char)a[i - 1]);
        cur[0] = (unsigned)i;
        for (size_t j = 1; j <= m; j++) {
            int bj = tolower((unsigned char)b[j - 1]);
            unsigned sub = prev[j - 1] + (ai != bj);
            unsigned del = prev[j] + 1, ins = cur[j - 1] + 1;
            unsigned d = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj && back[j - 2] + 1 < d)
                d = back[j - 2] + 1;
            cur[j] = d;
        }
        memcpy(back, prev, sizeof(back));
        memcpy(prev, cur, sizeof(prev));
    }
    return prev[m];
}

void spell_init(struct spell *s, const char *word)
{
    size_t len = strlen(word);
    *s = (struct spell){.word = word, .len = len, .limit = len <= 4 ? 1 : len <= 8 ? 2 : 3};
}

void spell_offer(struct spell *s, const char *name)
{
    size_t m = strlen(name);
    /* Lengths further apart than the limit cannot be within it. */
    if ((m > s->len ? m - s->len : s->len - m) > s->limit || strcmp(name, s->word) == 0)
        return;
    unsigned d = spell_distance(s->word, s->len, name, m);
    if (d > s->limit || (s->cand && d > s->best_d))
        return;
    if (s->cand && d == s->best_d && strcmp(name, s->cand) == 0)
        return; /* the same name offered again */
    if (s->cand && d == s->best_d) {
        /* Of two as near, the one of the word's length: a letter mistyped (clone4: clone3) is
         * likelier than one added (clone). Else neither is named. */
        bool mine = m == s->len, theirs = s->best_len == s->len;
        if (theirs && !mine)
            return;
        if (mine == theirs) {
            s->best = NULL;
            return;
        }
    }
    s->cand = s->best = name;
    s->best_d = d;
    s->best_len = m;
}

const char *spell_nearest(const char *word, const char *const *names, size_t n)
{
    struct spell near;
    spell_init(&near, word);
    for (size_t i = 0; i < n && names[i]; i++)
        spell_offer(&near, names[i]);
    return near.best;
}

const char *spell_key_hint(const char *key, const char *const *allowed, char *buf, size_t len)
{
    size_t colon = spell_glued_colon(key);
    const char *near = colon ? NULL : spell_nearest(key, allowed, SIZE_MAX);
    if (colon)
        snprintf(buf, len, "; a colon needs a space after it (\"%.*s: %.64s\")", (int)colon, key,
                 key + colon + 1);
    else if (near)
        snprintf(buf, len, "; did you mean \"%s\"?", near);
    else if (len)
        buf[0] = '\0';
    return buf;
}

size_t spell_glued_colon(const char *key)
{
    const char *colon = strchr(key, ':');
    if (!colon || colon == key || colon - key >= SPELL_MAX || !colon[1] ||
        isspace((unsigned char)colon[1]))
        return 0;
    return (size_t)(colon - key);
}
