import sys

from lipglance.cli import main

sys.exit(main())
