"""Settings for `make bench`: production settings plus the benchmark data generator.

`mesoclinic.scale` (the `seed-scale` and `bench-prepare` commands) writes a fake clinic
chain at scale; it is not part of a deployment, so only the benchmark installs it:

    DJANGO_SETTINGS_MODULE=mesoclinic.bench_settings mesoclinic seed-scale --patients 1000
"""

from mesoclinic.settings import *  # noqa: F403
from mesoclinic.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "mesoclinic.scale"]
