# A detection experiment end to end: synthetic chest CTs (phantom) ->
# detections -> LUNA16 FROC/CPM with bootstrap intervals and the plot.
#   make -f examples/froc.mk -j2 MEDSEG=build/cli/medseg OUT=froc-out
# Until `medseg detect-nodules` lands, the detections are the phantom's
# truth jittered by a few mm with made-up probabilities, plus false marks,
# so the whole pipeline (and the evaluation) runs today; swap the
# $(OUT)/%.cand.csv rule for detect-nodules then.
MEDSEG ?= medseg
OUT ?= froc-out
SEEDS ?= 1 2 3 4 5 6
CASES := $(addprefix $(OUT)/case,$(SEEDS))

all: $(OUT)/cpm.json

$(OUT)/case%.truth.csv:
	@mkdir -p $(OUT)
	$(MEDSEG) phantom chest -q --size 96,96,48 --spacing 3.6,3.6,6.5 --seed $* -o $(OUT)/case$*.nii.gz --truth $@

# Jittered truth (a hit unless the jitter exceeds the radius) with
# probabilities that favour larger nodules, and five false marks per scan.
$(OUT)/case%.cand.csv: $(OUT)/case%.truth.csv
	awk -F, -v seed=$* 'BEGIN { srand(seed); OFS = "," } \
	  NR > 1 { uid = $$1; r = $$5 / 2; \
	    print $$1, $$2 + (rand() - 0.5) * r, $$3 + (rand() - 0.5) * r, $$4 + (rand() - 0.5) * r, \
	          0.3 + 0.6 * rand() * ($$5 > 12 ? 1 : 0.7) } \
	  END { for (i = 0; i < 5; i++) print uid, rand() * 200 - 100, rand() * 200 - 100, rand() * 100, rand() * 0.8 }' $< > $@

$(OUT)/candidates.csv: $(addsuffix .cand.csv,$(CASES))
	{ echo seriesuid,coordX,coordY,coordZ,probability; cat $^; } > $@

$(OUT)/annotations.csv: $(addsuffix .truth.csv,$(CASES))
	{ echo seriesuid,coordX,coordY,coordZ,diameter_mm; for f in $^; do tail -n +2 $$f | cut -d, -f1-5; done; } > $@

$(OUT)/cpm.json: $(OUT)/candidates.csv $(OUT)/annotations.csv
	$(MEDSEG) validate detect --pred $(OUT)/candidates.csv --ref $(OUT)/annotations.csv \
	  --plot $(OUT)/froc.svg --json > $@
	@sed -n 's/^	"cpm":	\(.*\),$$/CPM \1/p' $@

clean:
	rm -rf $(OUT)

.PHONY: all clean
