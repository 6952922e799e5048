# Shape-completion training data from a directory of heart label maps, one
# case per make job, then the train/val CSVs:
#
#   make -f hearts.mk -j8 LABELS=labels OUT=data
#
# Each case's bytes depend only on its file and the seed, so this gives the
# same files as one `medseg prepare-npz` over the directory. Re-running make
# redoes only cases whose label map changed.
MEDSEG ?= medseg
LABELS ?= labels
OUT ?= data
SUB ?= hearts
SEED ?= 0
ARGS ?= --partial drop:1-3 --copies 2

CASES := $(patsubst $(LABELS)/%.nii.gz,%,$(wildcard $(LABELS)/*.nii.gz))
NPZ := $(CASES:%=$(OUT)/$(SUB)/%.npz)

all: $(OUT)/train.csv

$(OUT)/$(SUB)/%.npz: $(LABELS)/%.nii.gz
	$(MEDSEG) prepare-npz -q --threads 1 --seed $(SEED) $(ARGS) -o $(OUT)/$(SUB) $<

# The split needs every case; --skip-existing makes this step only list them.
$(OUT)/train.csv: $(NPZ)
	$(MEDSEG) prepare-npz -q --seed $(SEED) $(ARGS) -o $(OUT)/$(SUB) --skip-existing --csv $(OUT) $(LABELS)

.PHONY: all
