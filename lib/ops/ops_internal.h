/* Entry points shared between the public ops and their CPU/GPU halves. */
#ifndef MEDSEG_OPS_INTERNAL_H
#define MEDSEG_OPS_INTERNAL_H

#include "medseg/components.h"

ms_status ms_cc_label_cpu(const ms_volume *in, const ms_cc_opts *o, ms_volume *labels, ms_components *stats);
/* 26-connected binary labelling through 2x2 blocks of rows. */
ms_status ms_cc_label_blocks(const ms_volume *in, ms_volume *labels, ms_components *stats);
ms_status ms_cc_label_cuda(const ms_volume *in, const ms_cc_opts *o, ms_volume *labels, ms_components *stats);

#endif
