"""Default settings of the container plugin; a deployment overrides them in its settings file."""

# Registry token authentication (the Docker token protocol). On by default; True switches the
# registry to HTTP Basic with Pulp users (and anonymous pulls of public distributions).
TOKEN_AUTH_DISABLED = False
# The token endpoint's URL (the realm of challenges); default: <CONTENT_ORIGIN>/token.
TOKEN_SERVER = None
# ES256 (default) or RS256, and the PEM files of the key pair (make run writes an ES256 pair).
TOKEN_SIGNATURE_ALGORITHM = "ES256"
PRIVATE_KEY_PATH = None
PUBLIC_KEY_PATH = None
# Seconds a token stays valid.
TOKEN_EXPIRATION_TIME = 300

# Pull-through caching. Seconds a cached tag is served without asking upstream whether it moved
# (afterwards a HEAD request decides), and seconds an upstream 404 is remembered.
CONTAINER_PULL_THROUGH_TAG_TTL = 300
CONTAINER_PULL_THROUGH_MISS_TTL = 30

# The plugin's own access conditions (global_access_conditions.py: namespace roles acting on
# distributions, permissions on a copy's source), added to pulpcore's.
DRF_ACCESS_POLICY = {
    "dynaconf_merge_unique": True,
    "reusable_conditions": ["pulp_container.app.global_access_conditions"],
}

# Seconds a distribution keeps answering by-digest requests (blobs, manifests by digest) from a
# version it stopped serving (a PATCH of repository/repository_version, or a new latest version),
# so that pulls begun before the switch finish with the image they began.
CONTAINER_SWITCH_GRACE_PERIOD = 600

# Seconds a request to an upstream registry (sync, on_demand and streamed blobs, pull-through)
# may take to connect, and to wait for the answer to begin and for each next chunk of a body,
# where the remote's sock_connect_timeout / sock_read_timeout are null. No total limit unless
# the remote sets total_timeout: a slow big blob that keeps arriving is never cut.
CONTAINER_UPSTREAM_CONNECT_TIMEOUT = 10
CONTAINER_UPSTREAM_READ_TIMEOUT = 30

# Push. Seconds after its last chunk that an unfinished blob upload expires (and its file goes).
CONTAINER_UPLOAD_EXPIRY = 86400
# Where unfinished uploads are kept; None: <WORKING_DIRECTORY>/container-uploads. Every content
# app process must see the same directory.
CONTAINER_UPLOAD_DIRECTORY = None
# Whether distributions created by a push are private, where the namespace's label
# pulp_container.push_private does not say.
CONTAINER_PUSH_PRIVATE = False
