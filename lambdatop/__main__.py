"""`python -m lambdatop`."""

import sys

from lambdatop.cli import main

sys.exit(main())
