/* agent.c - kscmp agent (placeholder until the node agent lands). */
#include <stdio.h>

#include "cli.h"

int agent_main(int argc, char **argv)
{
    fprintf(stderr, "kscmp agent: not built yet\n");
    return EXIT_USAGE;
}
