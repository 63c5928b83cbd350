"""gunicorn as `make demo`, the benchmark and the browser tests run it.

Sync workers, one per core: a request is CPU-bound Python, so threads in one
process only queue for the interpreter lock (measured under issue 13: p95 about
2x p50 with 2 workers x 4 threads, 1.2-1.35x with one sync worker per core).
MESOCLINIC_WORKERS overrides the count (for example on a machine shared with the
database).
"""

import os

workers = int(os.environ.get("MESOCLINIC_WORKERS") or os.cpu_count() or 2)
worker_class = "sync"
threads = 1
forwarded_allow_ips = ""
# The longest request line gunicorn allows (the default, 4094, is shorter than an API call
# with a full-length search and cursor once percent-encoded).
limit_request_line = 8190
