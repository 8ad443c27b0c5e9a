"""Small real-looking manifests shared by the oci tests."""

# The schema 1 documents below are byte-exact fixtures: keep their long lines as they are.

import hashlib
import json

from pulp_container import constants


def fake_digest(label):
    """A valid sha256 digest standing for a blob we never need the bytes of."""
    return "sha256:" + hashlib.sha256(label.encode()).hexdigest()


def encode(document):
    """Serialize the way the Docker tools do: 3-space indent."""
    return json.dumps(document, indent=3).encode()


CONFIG = fake_digest("config")
LAYER_1 = fake_digest("layer-1")
LAYER_2 = fake_digest("layer-2")
FOREIGN_LAYER = fake_digest("windows-base")

DOCKER_V2 = {
    "schemaVersion": 2,
    "mediaType": constants.MEDIA_TYPE_DOCKER_MANIFEST_V2,
    "config": {"mediaType": constants.MEDIA_TYPE_DOCKER_CONFIG, "size": 1469, "digest": CONFIG},
    "layers": [
        {"mediaType": constants.MEDIA_TYPE_DOCKER_LAYER, "size": 2811478, "digest": LAYER_1},
        {"mediaType": constants.MEDIA_TYPE_DOCKER_LAYER, "size": 93, "digest": LAYER_2},
    ],
}

DOCKER_V2_FOREIGN = {
    "schemaVersion": 2,
    "mediaType": constants.MEDIA_TYPE_DOCKER_MANIFEST_V2,
    "config": {"mediaType": constants.MEDIA_TYPE_DOCKER_CONFIG, "size": 1922, "digest": CONFIG},
    "layers": [
        {
            "mediaType": constants.MEDIA_TYPE_DOCKER_FOREIGN_LAYER,
            "size": 1718332879,
            "digest": FOREIGN_LAYER,
            "urls": ["https://mcr.microsoft.com/v2/windows/servercore/blobs/" + FOREIGN_LAYER],
        },
        {"mediaType": constants.MEDIA_TYPE_DOCKER_LAYER, "size": 1050, "digest": LAYER_1},
    ],
}

OCI_MANIFEST = {
    "schemaVersion": 2,
    "mediaType": constants.MEDIA_TYPE_OCI_MANIFEST,
    "config": {"mediaType": constants.MEDIA_TYPE_OCI_CONFIG, "size": 7023, "digest": CONFIG},
    "layers": [
        {"mediaType": constants.MEDIA_TYPE_OCI_LAYER_GZIP, "size": 32654, "digest": LAYER_1},
        {
            "mediaType": constants.MEDIA_TYPE_OCI_NONDISTRIBUTABLE_LAYER_GZIP,
            "size": 16724,
            "digest": LAYER_2,
            "urls": ["https://example.com/blobs/layer-2"],
        },
        {"mediaType": constants.MEDIA_TYPE_OCI_LAYER_GZIP, "size": 73109, "digest": LAYER_1},
    ],
    "annotations": {"org.opencontainers.image.created": "2024-01-02T03:04:05Z"},
}

# OCI manifest without "mediaType": the type comes from Content-Type or detection.
OCI_MANIFEST_BARE = {key: value for key, value in OCI_MANIFEST.items() if key != "mediaType"}

OCI_ARTIFACT = {
    "schemaVersion": 2,
    "mediaType": constants.MEDIA_TYPE_OCI_MANIFEST,
    "artifactType": "application/vnd.example.sbom.v1+json",
    "config": {"mediaType": constants.MEDIA_TYPE_OCI_EMPTY, "size": 2, "digest": fake_digest("{}")},
    "layers": [{"mediaType": "application/spdx+json", "size": 1234, "digest": LAYER_1}],
    "subject": {
        "mediaType": constants.MEDIA_TYPE_OCI_MANIFEST,
        "size": 1024,
        "digest": fake_digest("subject"),
    },
}

AMD64 = fake_digest("image-amd64")
ARM64 = fake_digest("image-arm64")
WINDOWS = fake_digest("image-windows")

OCI_INDEX = {
    "schemaVersion": 2,
    "mediaType": constants.MEDIA_TYPE_OCI_INDEX,
    "manifests": [
        {
            "mediaType": constants.MEDIA_TYPE_OCI_MANIFEST,
            "size": 7143,
            "digest": AMD64,
            "platform": {"architecture": "amd64", "os": "linux"},
        },
        {
            "mediaType": constants.MEDIA_TYPE_OCI_MANIFEST,
            "size": 7682,
            "digest": ARM64,
            "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"},
            "annotations": {"org.opencontainers.image.ref.name": "arm"},
        },
        {
            "mediaType": constants.MEDIA_TYPE_OCI_MANIFEST,
            "size": 5000,
            "digest": WINDOWS,
            "platform": {
                "architecture": "amd64",
                "os": "windows",
                "os.version": "10.0.17763.5830",
                "os.features": ["win32k"],
            },
        },
    ],
    "annotations": {"com.example.key1": "value1"},
}

# An index entry may omit "platform" (e.g. attestations, nested indexes).
OCI_INDEX_NO_PLATFORM = {
    "schemaVersion": 2,
    "manifests": [
        {"mediaType": constants.MEDIA_TYPE_OCI_INDEX, "size": 300, "digest": AMD64},
    ],
}

DOCKER_LIST = {
    "schemaVersion": 2,
    "mediaType": constants.MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    "manifests": [
        {
            "mediaType": constants.MEDIA_TYPE_DOCKER_MANIFEST_V2,
            "size": 7143,
            "digest": AMD64,
            "platform": {"architecture": "amd64", "os": "linux", "features": ["sse4"]},
        },
        {
            "mediaType": constants.MEDIA_TYPE_DOCKER_MANIFEST_V2,
            "size": 7682,
            "digest": ARM64,
            "platform": {"architecture": "arm", "os": "linux", "variant": "v7"},
        },
    ],
}

SCHEMA1_LAYER_TOP = "sha256:3f8866b477bcafe259533897fdf23eb97ef38cfe49af57b43d1ebcfd655f3194"
SCHEMA1_LAYER_BASE = "sha256:77f155e6a7e511c5b9a970783c0eedcafee157d91464e9a8a1e46030e3df3844"

# The signed payload: what `docker` signs and what the manifest digest covers.
SCHEMA1_PAYLOAD = rb"""{
   "schemaVersion": 1,
   "name": "library/hello",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [
      {
         "blobSum": "sha256:3f8866b477bcafe259533897fdf23eb97ef38cfe49af57b43d1ebcfd655f3194"
      },
      {
         "blobSum": "sha256:77f155e6a7e511c5b9a970783c0eedcafee157d91464e9a8a1e46030e3df3844"
      },
      {
         "blobSum": "sha256:3f8866b477bcafe259533897fdf23eb97ef38cfe49af57b43d1ebcfd655f3194"
      }
   ],
   "history": [
      {
         "v1Compatibility": "{\"id\": \"c\", \"parent\": \"b\", \"architecture\": \"amd64\", \"os\": \"linux\"}"
      },
      {
         "v1Compatibility": "{\"id\": \"b\", \"parent\": \"a\"}"
      },
      {
         "v1Compatibility": "{\"id\": \"a\"}"
      }
   ]
}"""
SCHEMA1_PAYLOAD_DIGEST = "sha256:30bf9da6bdeeb9de408420bc45329b97334d146d894fea718286955b405ff320"

# The same manifest as served: a libtrust "pretty" JWS. The protected header decodes to
# {"formatLength":750,"formatTail":"Cn0","time":"2016-05-02T13:18:30Z"}; "Cn0" is "\n}".
SCHEMA1_SIGNED = rb"""{
   "schemaVersion": 1,
   "name": "library/hello",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [
      {
         "blobSum": "sha256:3f8866b477bcafe259533897fdf23eb97ef38cfe49af57b43d1ebcfd655f3194"
      },
      {
         "blobSum": "sha256:77f155e6a7e511c5b9a970783c0eedcafee157d91464e9a8a1e46030e3df3844"
      },
      {
         "blobSum": "sha256:3f8866b477bcafe259533897fdf23eb97ef38cfe49af57b43d1ebcfd655f3194"
      }
   ],
   "history": [
      {
         "v1Compatibility": "{\"id\": \"c\", \"parent\": \"b\", \"architecture\": \"amd64\", \"os\": \"linux\"}"
      },
      {
         "v1Compatibility": "{\"id\": \"b\", \"parent\": \"a\"}"
      },
      {
         "v1Compatibility": "{\"id\": \"a\"}"
      }
   ],
   "signatures": [
      {
         "header": {
            "jwk": {
               "crv": "P-256",
               "kid": "ABCD:EFGH:IJKL:MNOP:QRST:UVWX:YZ23:4567:ABCD:EFGH:IJKL:MNOP",
               "kty": "EC",
               "x": "3gAwX48IQ5oaYQAYSxor6rYYc_6yjuLCjtQ9LUakg4A",
               "y": "t72ge6kIA1XOjqjVoEOiPPAURltJFBMGDSQvEGVB010"
            },
            "alg": "ES256"
         },
         "signature": "XREm0L8WNn27Ga_iE_vRnTxVMhhYY0Zst_FfkKopg6gWSoTOZTuW4rK0fg_IqnKkEKlbD83tD46LKEGi5aIVFg",
         "protected": "eyJmb3JtYXRMZW5ndGgiOjc1MCwiZm9ybWF0VGFpbCI6IkNuMCIsInRpbWUiOiIyMDE2LTA1LTAyVDEzOjE4OjMwWiJ9"
      }
   ]
}"""
