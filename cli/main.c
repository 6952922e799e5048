/* medseg: the command table and dispatch; commands live in cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "medseg/atomic_file.h"
#include "medseg/dicom.h"

#ifndef MEDSEG_VERSION
#define MEDSEG_VERSION "unknown"
#endif

/* Sorted by name; `medseg --help` lists them in this order. */
static const command commands[] = {
    {&classify_spec, cmd_classify},
    {&components_spec, cmd_components},
    {&convert_spec, cmd_convert},
    {&detect_nodules_spec, cmd_detect_nodules},
    {&info_spec, cmd_info},
    {&phantom_spec, cmd_phantom},
    {&prepare_npz_spec, cmd_prepare_npz},
    {&propagate_spec, cmd_propagate},
    {&rag_index_spec, cmd_rag_index},
    {&segment_spec, cmd_segment},
    {&validate_spec, cmd_validate},
};
static const size_t n_commands = sizeof commands / sizeof *commands;

static const command *find(const char *name)
{
    for (size_t i = 0; i < n_commands; i++)
        if (strcmp(commands[i].spec->name, name) == 0) return &commands[i];
    return NULL;
}

static void usage(FILE *fp)
{
    fprintf(fp, "usage: medseg [--version] [--help] COMMAND [ARGS]\n\n"
                "3-D medical image segmentation and analysis.\n\ncommands:\n");
    for (size_t i = 0; i < n_commands; i++)
        fprintf(fp, "  %-16s %s\n", commands[i].spec->name, commands[i].spec->summary);
    fprintf(fp, "\n'medseg help COMMAND' or 'medseg COMMAND --help' shows a command's options.\n"
                "exit status: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *first = argv[1];
    if (!strcmp(first, "--help") || !strcmp(first, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(first, "--version")) {
        printf("medseg %s\n", MEDSEG_VERSION);
        return 0;
    }
    if (!strcmp(first, "help")) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        const command *c = find(argv[2]);
        if (!c) {
            fprintf(stderr, "medseg: no command '%s'; see 'medseg --help'\n", argv[2]);
            return 2;
        }
        opt_help(c->spec, stdout);
        return 0;
    }
    ms_dicom_public_dictionary_only();
    const command *c = find(first);
    if (!c) {
        fprintf(stderr, "medseg: no command '%s'; see 'medseg --help'\n", first);
        return 2;
    }
    ms_atomic_cleanup_on_signals();
    return c->run(argc - 1, argv + 1);
}
