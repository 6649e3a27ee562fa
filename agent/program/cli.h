/* cli.h - the kscmp command line: compile, explain, tree, list, groups, validate, import.
 *
 * Owns: argument parsing and output of the offline commands.
 * Exit status: 0 done, 1 invalid input, 2 wrong usage.
 */
#ifndef KSCMP_CLI_H
#define KSCMP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/decode.h"
#include "engine/engine.h"
#include "base/error.h"

#define EXIT_INVALID 1
#define EXIT_USAGE 2

/* Every command that reads files says the same when -f is missing; what: "policy", ... */
#define NO_FILE_GIVEN(what) "no " what " file given (-f FILE)"

/* A folder's entry named like a manifest (or a profile) that is itself a folder: said with a
 * warning naming it, and true (it is not read: sub-folders are not entered). */
bool cli_entry_is_folder(const char *path);

int cli_compile(int argc, char **argv, bool explain);
int cli_tree(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_groups(int argc, char **argv);
int cli_validate(int argc, char **argv);

/* import_cli.c: existing profiles to policies. */
int cli_import(int argc, char **argv);
/* kscmp startup-syscalls (startup_cli.c): the container runtime's start-up sets. */
int cli_startup(int argc, char **argv);
/* kscmp record (record.c). */
int cli_record(int argc, char **argv);
/* kubectl kscmp record show NAME (record.c): a recording's policy, from the cluster. */
int cli_record_show(int argc, char **argv);

/* cluster_cli.c: read-only looks at a live cluster (kubectl kscmp explain pod, status). */
int cli_cluster_explain(int argc, char **argv);
int cli_cluster_status(int argc, char **argv);

/* The agent (agent.c). */
int agent_main(int argc, char **argv);

#endif
