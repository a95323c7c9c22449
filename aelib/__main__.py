"""`python -m aelib`: the codec's command line (aelib.compress.cli)."""
import sys

from aelib.compress.cli import main

if __name__ == "__main__":
    sys.exit(main())
