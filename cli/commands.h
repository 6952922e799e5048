/* Every subcommand: its spec (for help and the man-page test) and entry. */
#ifndef MEDSEG_CLI_COMMANDS_H
#define MEDSEG_CLI_COMMANDS_H

#include "opt.h"

typedef int (*cmd_fn)(int argc, char **argv);

typedef struct command {
    const cmd_spec *spec;
    cmd_fn run;
} command;

extern const cmd_spec classify_spec, components_spec, convert_spec, detect_nodules_spec, info_spec, phantom_spec, prepare_npz_spec, propagate_spec,
    rag_index_spec, segment_spec, validate_spec;
int cmd_classify(int argc, char **argv);
int cmd_components(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_detect_nodules(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_phantom(int argc, char **argv);
int cmd_prepare_npz(int argc, char **argv);
int cmd_propagate(int argc, char **argv);
int cmd_rag_index(int argc, char **argv);
int cmd_segment(int argc, char **argv);
int cmd_validate(int argc, char **argv);

#endif
