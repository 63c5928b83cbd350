"""`python -m mesoclinic.rules plan ...` runs the planner without Django."""

import sys

from .cli import main

sys.exit(main())
