"""`python -m provsim` == the `provsim` console script."""

import sys

from .cli import main

sys.exit(main())
