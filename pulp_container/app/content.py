"""The registry's routes on pulpcore's content app (imported by it at start-up).

``{path}`` is the repository name (a distribution's base path, slashes allowed): pulpcore's
Handler methods read ``match_info["path"]``. aiohttp binds HEAD to every GET route.
The registry middleware goes first, before pulpcore's authentication middleware, so that it
can take Basic credentials out of /v2/ requests (see registry/base.py).
"""

from aiohttp import web
from pulpcore.plugin.content import app

from pulp_container.app.auth.keys import token_auth_enabled, token_config
from pulp_container.app.pullthrough.shutdown import finish_put_off_work
from pulp_container.app.push.blob_delete_handler import BlobDelete
from pulp_container.app.push.manifests import ManifestWrites
from pulp_container.app.push.uploads import BlobUploads
from pulp_container.app.registry.base import PREFIX, TOKEN_PATHS, registry_middleware
from pulp_container.app.registry.blobs import Blobs
from pulp_container.app.registry.catalog import Catalog
from pulp_container.app.registry.manifests import Manifests
from pulp_container.app.registry.tags import Tags
from pulp_container.app.registry.token import Token
from pulp_container.app.registry.version import Version

_NAME = "{path:.+}"

if registry_middleware not in app.middlewares:
    app.middlewares.insert(0, registry_middleware)
if finish_put_off_work not in app.on_shutdown:
    app.on_shutdown.append(finish_put_off_work)

routes = [
    web.get(PREFIX, Version().get),
    web.get(f"{PREFIX}/", Version().get),
    web.get(f"{PREFIX}/_catalog", Catalog().get),
    web.get(f"{PREFIX}/{_NAME}/tags/list", Tags().get),
    web.get(f"{PREFIX}/{_NAME}/manifests/{{reference}}", Manifests().get),
    web.put(f"{PREFIX}/{_NAME}/manifests/{{reference}}", ManifestWrites().put),
    web.delete(f"{PREFIX}/{_NAME}/manifests/{{reference}}", ManifestWrites().delete),
    web.get(f"{PREFIX}/{_NAME}/blobs/{{digest}}", Blobs().get),
    web.post(f"{PREFIX}/{_NAME}/blobs/uploads/", BlobUploads().post),
    web.post(f"{PREFIX}/{_NAME}/blobs/uploads", BlobUploads().post),
    web.patch(f"{PREFIX}/{_NAME}/blobs/uploads/{{uuid}}", BlobUploads().patch),
    web.put(f"{PREFIX}/{_NAME}/blobs/uploads/{{uuid}}", BlobUploads().put),
    web.get(f"{PREFIX}/{_NAME}/blobs/uploads/{{uuid}}", BlobUploads().get),
    web.delete(f"{PREFIX}/{_NAME}/blobs/uploads/{{uuid}}", BlobUploads().delete),
    web.delete(f"{PREFIX}/{_NAME}/blobs/{{digest}}", BlobDelete().delete),
]
if token_auth_enabled():
    # Refuse to start, naming the setting and file, when the keys are missing or unusable.
    token_config()
    routes.extend(web.get(path, Token().get) for path in TOKEN_PATHS)
app.add_routes(routes)
