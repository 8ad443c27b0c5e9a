"""Which actions on one repository name a token grants, given what may be asked about the caller.

Pure (no Django): ``service.py`` passes the questions as functions, asked lazily and at most
once each, since every answer costs permission queries.
"""

from collections.abc import Callable
from dataclasses import dataclass

from pulp_container.app.auth.scopes import DELETE, PULL, PUSH


@dataclass(frozen=True)
class Questions:
    """What may be asked about the caller and one repository name; each a function of nothing.

    Attributes:
        may_pull: whether the caller may pull what serves the name.
        may_push: whether the caller may push to the name (``push.may_push``).
        may_delete: whether the caller may delete from it (``push.may_delete``).
        unknown: whether nothing serves the name yet.
        sees_everything: whether the caller may view every distribution (admins too).
    """

    may_pull: Callable[[], bool]
    may_push: Callable[[], bool]
    may_delete: Callable[[], bool]
    unknown: Callable[[], bool]
    sees_everything: Callable[[], bool]


def _once(question):
    answers = []

    def ask():
        if not answers:
            answers.append(question())
        return answers[0]

    return ask


def repository_actions(wanted, questions: Questions) -> set:
    """The actions of `wanted` granted on the name.

    ``push`` and ``delete`` to whoever may; ``pull`` to whoever may pull, and on a name nothing
    serves yet to whoever sees every distribution or may push there, so that they get
    404 NAME_UNKNOWN rather than a 401; never an action that was not asked for.
    """
    may_push = _once(questions.may_push)
    allowed = set()
    if PUSH in wanted and may_push():
        allowed.add(PUSH)
    if DELETE in wanted and questions.may_delete():
        allowed.add(DELETE)
    if PULL in wanted and (
        questions.may_pull()
        or (questions.unknown() and (questions.sees_everything() or may_push()))
    ):
        allowed.add(PULL)
    return allowed
