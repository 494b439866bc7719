"""`python -m artme_cop`: the same command line as `artme-cop`."""

import sys

from artme_cop.cli import main

sys.exit(main())
