"""The actions a token grants on one name (auth/grants.py), with the questions as data."""

import pytest

from pulp_container.app.auth.grants import Questions, repository_actions
from pulp_container.app.auth.scopes import DELETE, PULL, PUSH

ALL = (PULL, PUSH, DELETE)


class Asked:
    """Questions answered from a dict, counting how often each is asked."""

    def __init__(self, **answers):
        self.answers = {
            "may_pull": False,
            "may_push": False,
            "may_delete": False,
            "unknown": False,
            "sees_everything": False,
            **answers,
        }
        self.counts = dict.fromkeys(self.answers, 0)

    def questions(self):
        def question(key):
            def ask():
                self.counts[key] += 1
                return self.answers[key]

            return ask

        return Questions(**{key: question(key) for key in self.answers})


@pytest.mark.parametrize(
    "answers, wanted, expected",
    [
        ({}, ALL, set()),
        ({"may_pull": True}, ALL, {PULL}),
        ({"may_pull": True, "may_push": True}, ALL, {PULL, PUSH}),
        ({"may_pull": True, "may_push": True, "may_delete": True}, ALL, set(ALL)),
        ({"may_pull": True, "may_push": True, "may_delete": True}, (PULL,), {PULL}),
        ({"may_push": True, "may_delete": True}, ("frobnicate", DELETE), {DELETE}),
        # A name nothing serves: pull to whoever sees everything or may push there.
        ({"unknown": True}, (PULL,), set()),
        ({"unknown": True, "sees_everything": True}, (PULL,), {PULL}),
        ({"unknown": True, "may_push": True}, (PULL, PUSH), {PULL, PUSH}),
        ({"unknown": True, "may_push": True}, (PULL,), {PULL}),
        # ... but not on a served name they may not pull: names stay hidden.
        ({"sees_everything": True, "may_push": True}, (PULL,), set()),
    ],
)
def test_granted_actions(answers, wanted, expected):
    assert repository_actions(wanted, Asked(**answers).questions()) == expected


def test_each_question_is_asked_at_most_once():
    asked = Asked(unknown=True)
    repository_actions(ALL, asked.questions())
    assert max(asked.counts.values()) == 1


def test_nothing_is_asked_about_actions_not_wanted():
    asked = Asked(may_pull=True)
    assert repository_actions((PULL,), asked.questions()) == {PULL}
    assert asked.counts["may_push"] == asked.counts["may_delete"] == 0
