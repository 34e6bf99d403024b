import sys

from smpstudio.cli import main

sys.exit(main())
