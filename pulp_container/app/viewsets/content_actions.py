"""Content actions of container repositories, as mixins of their viewsets.

Each action validates its body, resolves the repository (and a copy's source), dispatches a
task that locks the repository (sharing the source) and answers 202 with the task.
"""

from drf_spectacular.utils import extend_schema
from pulpcore.plugin.serializers import AsyncOperationResponseSerializer
from pulpcore.plugin.tasking import dispatch
from pulpcore.plugin.viewsets import OperationPostponedResponse
from rest_framework.decorators import action

from .. import tasks
from ..serializers import actions as bodies


def _validated(serializer_class, request, repository, **context):
    serializer = serializer_class(
        data=request.data, context={"request": request, "repository": repository, **context}
    )
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _dispatch(request, task, repository, shared=(), **kwargs):
    """Dispatch `task` on `repository`; `shared` are detail objects it only reads."""
    task = dispatch(
        task,
        exclusive_resources=[repository],
        shared_resources=[obj for obj in shared if obj.pk != repository.pk],
        kwargs={"repository_pk": str(repository.pk), **kwargs},
    )
    return OperationPostponedResponse(task, request)


def _version_pk(version):
    return str(version.pk) if version else None


class TagActionsMixin:
    """`tag/` and `untag/` on a repository viewset."""

    @extend_schema(
        summary="Tag a manifest",
        description=(
            "Start a task that points the tag at a manifest of the latest version, moving a "
            "tag of that name if the repository has one. No new version when nothing changes."
        ),
        request=bodies.TagImageSerializer,
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=bodies.TagImageSerializer)
    def tag(self, request, pk):
        repository = self.get_object()
        body = _validated(bodies.TagImageSerializer, request, repository)
        return _dispatch(
            request, tasks.tag_image, repository, tag=body["tag"], digest=body["digest"]
        )

    @extend_schema(
        summary="Untag a manifest",
        description=(
            "Start a task that removes the tag from the repository; the manifest it pointed "
            "at stays, reachable by digest."
        ),
        request=bodies.UnTagImageSerializer,
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=bodies.UnTagImageSerializer)
    def untag(self, request, pk):
        repository = self.get_object()
        body = _validated(bodies.UnTagImageSerializer, request, repository)
        return _dispatch(request, tasks.untag_image, repository, tag=body["tag"])


class RecursiveContentMixin:
    """`add/` and `remove/` on a repository viewset: content and what it needs."""

    @extend_schema(
        summary="Add content",
        description=(
            "Start a task that adds tags, manifests and blobs with everything they need: a "
            "tag its manifest, an index its manifests, a manifest its config and layers. A "
            "tag replaces the repository's tag of the same name. No new version when nothing "
            "changes."
        ),
        request=bodies.RecursiveManageSerializer,
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=bodies.RecursiveManageSerializer)
    def add(self, request, pk):
        repository = self.get_object()
        body = _validated(bodies.RecursiveManageSerializer, request, repository)
        return _dispatch(
            request,
            tasks.recursive_add,
            repository,
            content_units=body["content_units"],
            base_version_pk=_version_pk(body.get("base_version")),
        )

    @extend_schema(
        summary="Remove content",
        description=(
            'Start a task that removes tags, manifests and blobs (`["*"]`: all content) with '
            "what they need, except what content staying in the repository still needs: a "
            "manifest a remaining tag points at or a remaining index lists, a blob a remaining "
            "manifest uses. No new version when nothing changes."
        ),
        request=bodies.RecursiveManageSerializer,
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=bodies.RecursiveManageSerializer)
    def remove(self, request, pk):
        repository = self.get_object()
        body = _validated(bodies.RecursiveManageSerializer, request, repository, remove=True)
        return _dispatch(
            request,
            tasks.recursive_remove,
            repository,
            content_units=body["content_units"],
            base_version_pk=_version_pk(body.get("base_version")),
        )


class CopyActionsMixin:
    """`copy_tags/` and `copy_manifests/` on a repository viewset."""

    @extend_schema(
        summary="Copy tags",
        description=(
            "Start a task that copies tags (all, or those named) from a repository or "
            "repository version, with the manifests and blobs they need. A copied tag "
            "replaces the repository's tag of the same name. No new version when nothing "
            "changes."
        ),
        request=bodies.TagCopySerializer,
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=bodies.TagCopySerializer)
    def copy_tags(self, request, pk):
        repository = self.get_object()
        body = _validated(bodies.TagCopySerializer, request, repository)
        source = body["source_version"]
        return _dispatch(
            request,
            tasks.copy_tags,
            repository,
            shared=[source.repository.cast()],
            source_version_pk=str(source.pk),
            names=body.get("names"),
        )

    @extend_schema(
        summary="Copy manifests",
        description=(
            "Start a task that copies manifests (all, or those chosen by digest and media "
            "type) from a repository or repository version, with the manifests and blobs they "
            "need; tags are not copied. No new version when nothing changes."
        ),
        request=bodies.ManifestCopySerializer,
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=bodies.ManifestCopySerializer)
    def copy_manifests(self, request, pk):
        repository = self.get_object()
        body = _validated(bodies.ManifestCopySerializer, request, repository)
        source = body["source_version"]
        return _dispatch(
            request,
            tasks.copy_manifests,
            repository,
            shared=[source.repository.cast()],
            source_version_pk=str(source.pk),
            digests=body.get("digests"),
            media_types=body.get("media_types"),
        )


class RemoveImageMixin:
    """`remove_image/` on a repository viewset (meant for push repositories)."""

    @extend_schema(
        summary="Delete an image from a repository",
        description=(
            "Start a task that removes the manifest, the tags pointing at it and the blobs and "
            "manifests nothing else in the repository needs. A manifest that an index staying "
            "in the repository lists stays."
        ),
        request=bodies.RemoveImageSerializer,
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=bodies.RemoveImageSerializer)
    def remove_image(self, request, pk):
        repository = self.get_object()
        body = _validated(bodies.RemoveImageSerializer, request, repository)
        return _dispatch(request, tasks.remove_image, repository, digest=body["digest"])
