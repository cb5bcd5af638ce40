"""`python -m curation` runs the command line."""

import sys

from curation.cli import main

sys.exit(main())
