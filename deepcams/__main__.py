import sys

from deepcams.cli import main

sys.exit(main())
