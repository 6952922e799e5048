# The experiment of examples/slurm/ on one machine: the same shards run by
# make -j instead of a job array, then the same merge.
#   make -f examples/slurm/local.mk -j4 LIST=studies.txt OUT=out TASKS=4 MEDSEG=...
MEDSEG ?= medseg
LIST ?= studies.txt
OUT ?= out
TASKS ?= 4
HERE := $(dir $(lastword $(MAKEFILE_LIST)))
SHARDS := $(shell seq 0 $$(($(TASKS) - 1)))

all: $(OUT)/manifest.tsv

# One shard, as one array task runs it (a failed input fails the target,
# as it fails the task, and holds the merge back).
$(OUT)/.shard-%.done: $(LIST)
	@mkdir -p $(OUT)
	$(MEDSEG) convert -q --list $(LIST) --out-dir $(OUT) --shard $*/$(TASKS) --skip-existing
	@touch $@

$(OUT)/manifest.tsv: $(foreach s,$(SHARDS),$(OUT)/.shard-$(s).done)
	MEDSEG=$(MEDSEG) sh $(HERE)merge.sh $(LIST) $(OUT)

.PHONY: all
