"""Run the CLI as ``python -m lokictl`` (same behaviour as the ``lokictl`` console script)."""

import sys

from lokictl.cli import main

if __name__ == "__main__":
    sys.exit(main())
