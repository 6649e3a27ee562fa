/* cli.h - the kscmp command line: compile, explain, tree, list, groups, validate.
 *
 * Owns: argument parsing and output of the offline commands (contract section 6), and the
 * loading of manifest files into an engine, shared with `kscmp agent --local`.
 * Exit status: 0 done, 1 invalid input, 2 wrong usage.
 */
#ifndef KSCMP_CLI_H
#define KSCMP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "decode.h"
#include "engine.h"
#include "error.h"

#define EXIT_INVALID 1
#define EXIT_USAGE 2

/* Reads one manifest file (YAML or JSON, several documents, `kind: List` opened up) and
 * hands every object to cb, which takes ownership. "-" reads standard input. */
int manifest_load_file(const char *path, int (*cb)(struct object *o, void *userdata),
                       void *userdata, struct kerr *err);

/* The same for bytes already read; name is used in messages. */
int manifest_load_buffer(const char *buf, size_t len, const char *name,
                         int (*cb)(struct object *o, void *userdata), void *userdata,
                         struct kerr *err);

#define MAX_MANIFEST (64u * 1024 * 1024)

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer. */
int read_file_all(const char *path, size_t max, char **ret, size_t *ret_len, struct kerr *err);

int cli_compile(int argc, char **argv, bool explain);
int cli_tree(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_groups(int argc, char **argv);
int cli_validate(int argc, char **argv);

/* The agent (agent.c). */
int agent_main(int argc, char **argv);

#endif
