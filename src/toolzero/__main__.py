import sys

from toolzero.cli import main

sys.exit(main())
