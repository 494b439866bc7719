import sys

from artme_cop.cli import main

sys.exit(main())
