import sys

from pedal.cli import main

sys.exit(main())
