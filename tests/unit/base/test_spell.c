/* test_spell.c - the nearest name to a misspelt one, for "did you mean". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "base/spell.h"

static unsigned dist(const char *a, const char *b)
{
    return spell_distance(a, strlen(a), b, strlen(b));
}

static void test_distance(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        unsigned want;
    } cases[] = {
        {"", "", 0},
        {"", "read", 4},
        {"read", "", 4},
        {"read", "read", 0},
        {"READ", "read", 0}, /* case is not minded */
        {"raed", "read", 1}, /* two letters swapped: one edit */
        {"sepc", "spec", 1},
        {"opn", "open", 1},   /* one left out */
        {"reaad", "read", 1}, /* one too many */
        {"clone4", "clone3", 1},
        {"kitten", "sitting", 3},
        {"ca", "abc", 3}, /* a swap is not edited again (optimal string alignment) */
        {"matchlabel", "matchLabels", 1},
        {"abc", "xyz", 3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned d = dist(cases[i].a, cases[i].b);
        if (d != cases[i].want)
            fail_msg("%s -> %s: %u, want %u", cases[i].a, cases[i].b, d, cases[i].want);
        /* The distance is symmetric. */
        assert_int_equal(dist(cases[i].b, cases[i].a), d);
    }
}

static void test_long_words_are_far(void **state)
{
    (void)state;
    char a[SPELL_MAX + 1], b[SPELL_MAX + 1];
    memset(a, 'x', SPELL_MAX);
    a[SPELL_MAX] = '\0';
    memcpy(b, a, sizeof(b));
    /* 64 letters: too long to be compared, even with itself. */
    assert_int_equal(spell_distance(a, SPELL_MAX, b, SPELL_MAX), SPELL_MAX);
    assert_int_equal(spell_distance(a, SPELL_MAX - 1, b, SPELL_MAX - 1), 0);
    assert_int_equal(spell_distance(a, SPELL_MAX - 1, "", 0), SPELL_MAX - 1);
    struct spell s;
    spell_init(&s, a);
    spell_offer(&s, a + 1); /* one letter shorter, but the word is over the bound */
    assert_null(s.best);
}

static const char *nearest(const char *word, const char *const *names)
{
    struct spell s;
    spell_init(&s, word);
    for (; *names; names++)
        spell_offer(&s, *names);
    return s.best;
}

static void test_nearest(void **state)
{
    (void)state;
    static const char *const fields[] = {"syscalls", "groups", "action", "errno", "args", NULL};
    assert_string_equal(nearest("syscals", fields), "syscalls");
    assert_string_equal(nearest("Syscalls", fields), "syscalls"); /* case only */
    assert_string_equal(nearest("acton", fields), "action");
    assert_string_equal(nearest("arg", fields), "args");
    assert_null(nearest("foo", fields));
    assert_null(nearest("", fields));
    /* The limit grows with the word: 1 edit up to 4 letters, 2 up to 8, 3 beyond. */
    assert_null(nearest("ags", (const char *const[]){"args2", NULL})); /* 2 > 1 */
    assert_string_equal(nearest("grops", (const char *const[]){"groups", NULL}), "groups");
    assert_string_equal(nearest("actio_", (const char *const[]){"action", NULL}), "action");
    assert_null(nearest("axxxon", (const char *const[]){"action", NULL})); /* 3 > 2 */
    assert_string_equal(nearest("selectoors", (const char *const[]){"selector", NULL}),
                        "selector"); /* 2 of 10 */
    /* The word itself is no suggestion. */
    assert_null(nearest("args", (const char *const[]){"args", NULL}));
    /* The nearest wins, whatever the order. */
    assert_string_equal(nearest("readv2", (const char *const[]){"read", "readv", NULL}), "readv");
    assert_string_equal(nearest("readv2", (const char *const[]){"readv", "read", NULL}), "readv");
    /* Of two as near, the one of the word's length, else the first offered. */
    assert_string_equal(nearest("clone4", (const char *const[]){"clone", "clone3", NULL}),
                        "clone3");
    assert_string_equal(nearest("clone4", (const char *const[]){"clone3", "clone", NULL}),
                        "clone3");
    /* Two as near, neither of the word's length: neither is named (NEQ is as near EQ as NE,
     * and naming EQ would turn its meaning around). */
    assert_null(nearest("opn", (const char *const[]){"open", "opan", NULL}));
    assert_null(nearest("NEQ", (const char *const[]){"EQ", "NE", NULL}));
    /* ... until a nearer one comes. */
    assert_string_equal(nearest("opn", (const char *const[]){"open", "opan", "opn2", "OPN", NULL}),
                        "OPN");
    /* Of two as near, one of the word's length decides even after a tie. */
    assert_string_equal(
        nearest("clone4", (const char *const[]){"clone", "clone5x", "clone3", NULL}), "clone3");
    /* The same name offered twice is no tie. */
    assert_string_equal(nearest("opn", (const char *const[]){"open", "open", NULL}), "open");
}

/* A key with a colon glued to what follows (YAML's one key "action:Allow"): where. */
static void test_glued_colon(void **state)
{
    (void)state;
    assert_int_equal(spell_glued_colon("action:Allow"), 6);
    assert_int_equal(spell_glued_colon("a:b:c"), 1);
    assert_int_equal(spell_glued_colon("action"), 0);
    assert_int_equal(spell_glued_colon(":Allow"), 0);  /* no key before it */
    assert_int_equal(spell_glued_colon("action:"), 0); /* nothing after it */
    assert_int_equal(spell_glued_colon("action: Allow"), 0);
    assert_int_equal(spell_glued_colon(""), 0);
    char longer[SPELL_MAX + 8];
    memset(longer, 'k', SPELL_MAX);
    strcpy(longer + SPELL_MAX, ":v");
    assert_int_equal(spell_glued_colon(longer), 0); /* past the bound */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_long_words_are_far),
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_glued_colon),
    };
    return cmocka_run_group_tests_name("spell", tests, NULL, NULL);
}
